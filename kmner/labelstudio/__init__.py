"""Label Studio round-trip: silver records out as pre-annotated tasks, human
corrections back in as gold, and a diff of what the humans changed.

Modules, one job each:
- ``config``: the labelling-interface XML and the label set read back from it;
- ``ordering``: how uncertain each silver record is, for ``--order uncertainty``;
- ``client``: push and pull against a server with label-studio-sdk (imported lazily);
- ``diff``: what the humans did to the silver labels.

The file formats live in kmner.data, which both this package and ``kmner data
convert`` use: ``ls_tasks`` (records -> tasks: NFC, stable region ids, scores),
``gold`` (JSON / JSON_MIN exports -> checked gold records) and ``gold_policies``
(which annotation of a task becomes gold).
"""
