"""``kmner silver run --engine spark``: the silver pipeline as one Spark job.

Inputs are read by Spark (``.txt``, ``.jsonl``, gzip, Parquet with a text column),
numbered exactly as the single-process run numbers them, matched by
:func:`kmner.processing.batches.lines_mapper` on each partition, and written by
Spark's writers only: a folder of part files, its rejects in ``_rejects/`` and a
manifest of counts. A failed or retried task leaves no output behind (Spark's
commit protocol), so no record is written twice or lost.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from kmner.core.errors import InputError
from kmner.core.paths import check_outputs
from kmner.gazetteer.default import default_gazetteer_path
from kmner.processing import OUTPUT_SCHEMA
from kmner.processing.batches import (UNITS_SCHEMA, lines_mapper, units_mapper,
                                      units_silver_mapper)
from kmner.processing.spark import (read_lines, ship_file, spark_session, write_manifest,
                                    write_output)
from kmner.silver.pipeline import SilverConfig, SilverSummary, run_info_path


@dataclass
class SparkOptions:
    """Where and how to run: ``master`` (default ``local[workers]``), output
    ``file_format`` (jsonl or parquet), the text/id columns of Parquet inputs and
    the CPU slots per task (see :func:`kmner.processing.spark.spark_session`)."""

    master: str | None = None
    workers: int | None = None
    file_format: str = "jsonl"
    text_column: str = "text"
    id_column: str = "id"
    conf: dict[str, str] | None = None
    task_cpus: int | None = None  # spark.task.cpus: Kiwi threads per task


def run_silver_spark(cfg: SilverConfig, opts: SparkOptions | None = None, *,
                     spark=None) -> tuple[SilverSummary, dict[str, Any]]:
    """Run silver on Spark; returns the summary and the manifest written to
    ``cfg.output``. Every input unit ends up written or rejected."""
    from pyspark import StorageLevel

    opts = opts or SparkOptions()
    _check_paths(cfg)
    t0 = time.perf_counter()
    spark = spark or spark_session(opts.master, opts.workers, "kmner silver", opts.conf,
                                   opts.task_cpus)
    gaz_path = str(cfg.gazetteer or default_gazetteer_path())
    _check_gazetteer(gaz_path)
    gaz, gaz_shipped = ship_file(spark, gaz_path)
    udict, dict_shipped = ship_file(spark, cfg.kiwi_user_dict)
    lines = read_lines(spark, list(cfg.inputs), text_column=opts.text_column,
                       id_column=opts.id_column)
    shipped = {"kiwi_user_dict": udict, "dict_shipped": dict_shipped}
    sc = spark.sparkContext
    slots = max(1, sc.defaultParallelism // int(sc.getConf().get("spark.task.cpus", "1")))
    if lines.df.rdd.getNumPartitions() >= slots:  # as read: numbered and matched in place
        fn = lines_mapper(lines.files, lines.offsets, gaz, gaz_shipped, **shipped)
        out = lines.df.mapInPandas(fn, OUTPUT_SCHEMA)
    else:  # too few blocks (a .gz is one): number, spread over the slots, then match
        units = (lines.df.mapInPandas(units_mapper(lines.files, lines.offsets), UNITS_SCHEMA)
                 .repartition(2 * slots))
        out = units.mapInPandas(units_silver_mapper(gaz, gaz_shipped, **shipped), OUTPUT_SCHEMA)
    out = out.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        rejects = write_output(spark, out, cfg.output, file_format=opts.file_format,
                               rejects=cfg.rejects)
        stats = [r["record"] for r in out.filter("kind = 'stats'").select("record").collect()]
    finally:
        out.unpersist()
    summary, workers = merge_stats(stats)
    summary.seconds = time.perf_counter() - t0
    manifest = {"kind": "silver", "file_format": opts.file_format, "rejects": rejects,
                "counts": summary.to_dict(), "balanced": summary.balanced(),
                "inputs": list(cfg.inputs), "gazetteer": gaz_path,
                "engine": {"name": "spark", "master": spark.sparkContext.master,
                           "partitions": len(stats), "input_blocks": len(lines.offsets),
                           "python_workers": workers}}
    write_manifest(spark, cfg.output, manifest)
    return summary, manifest


def _check_paths(cfg: SilverConfig) -> None:
    """Local outputs checked before Spark starts (see kmner.core.paths): the output
    and reject folders and the run info must not overwrite an input."""
    if urlparse(cfg.output).scheme:
        return
    local = [p for p in (*cfg.inputs, cfg.gazetteer, cfg.kiwi_user_dict)
             if p and not urlparse(p).scheme]
    check_outputs(inputs=local, dirs=[cfg.output, cfg.rejects],
                  files=[run_info_path(Path(cfg.output))])


def _check_gazetteer(path: str) -> None:
    """Fail in the driver, with kmner's message, before any task tries to load it."""
    if not urlparse(path).scheme and not Path(path).exists():
        raise InputError("gazetteer file not found; build one with `kmner gazetteer build "
                         "CONFIG -o FILE`", path=path)


def merge_stats(stats: list[str]) -> tuple[SilverSummary, dict[str, int]]:
    """One summary from the partitions' stats rows, and gazetteer loads per worker."""
    import json

    s = SilverSummary()
    loads: dict[str, int] = {}
    for line in stats:
        d = json.loads(line)
        for key in ("units", "written_units", "rejected", "records", "records_with_entities"):
            setattr(s, key, getattr(s, key) + int(d.get(key, 0)))
        s.entities.update(Counter(d.get("entities", {})))
        s.reject_reasons.update(Counter(d.get("reject_reasons", {})))
        loads[str(d["pid"])] = max(loads.get(str(d["pid"]), 0), int(d["loads"]))
    return s, loads
