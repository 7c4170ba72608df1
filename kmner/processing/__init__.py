"""Corpus-scale processing on Apache Spark (``--engine spark``).

- :mod:`kmner.processing.batches`: silver over pandas batches, for ``mapInPandas``
  in your own Spark jobs (Kiwi and the gazetteer built once per Python worker);
- :mod:`kmner.processing.predict`: the same for GLiNER2 prediction;
- :mod:`kmner.processing.spark`: session, input reading with exact line numbers,
  part-file output with a manifest of counts;
- :mod:`kmner.processing.silver`: ``kmner silver run --engine spark``;
- :mod:`kmner.processing.engines`: registers the Spark runners with
  :mod:`kmner.core.engines`, where the silver and predict commands find them (this
  package imports silver and training, so their commands cannot import it).

pyspark is imported only inside functions, so ``import kmner`` never loads it.
Every row these functions emit has the schema :data:`OUTPUT_SCHEMA`: ``kind``
(``record``, ``reject`` or ``stats``), ``id`` and ``record`` (one JSON line, the
same bytes the single-process run writes).
"""

from __future__ import annotations

OUTPUT_SCHEMA = "kind string, id string, record string"

__all__ = ["OUTPUT_SCHEMA"]
