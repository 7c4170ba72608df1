"""Label Studio round-trip: silver records out as pre-annotated tasks, human
corrections back in as gold, and a diff of what the humans changed.

Modules, one job each:
- ``config``: the labelling-interface XML and the label set read back from it;
- ``tasks``: KBMC records -> Label Studio tasks (NFC, stable region ids, scores);
- ``ordering``: how uncertain each silver record is, for ``--order uncertainty``;
- ``policies``: which annotation of a task becomes gold;
- ``gold``: Label Studio JSON / JSON_MIN exports -> checked gold records;
- ``client``: push and pull against a server with label-studio-sdk (imported lazily);
- ``diff``: what the humans did to the silver labels.
"""
