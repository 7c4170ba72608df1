"""GLiNER2 prediction over pandas batches and ``kmner predict --engine spark``.

The model is loaded once per Python worker (on the executor's GPU when it has
one) and every batch goes through :func:`kmner.training.predict.predict_records`,
the function a local run calls, so chunking of long texts and character offsets
are the same. torch and pyspark are imported inside the functions only.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterator

from kmner.core.errors import InputError
from kmner.core.jsonl import dumps, parse_record
from kmner.core.parts import read_manifest
from kmner.processing import OUTPUT_SCHEMA
from kmner.processing.batches import shipped_path, task_cpus
from kmner.processing.spark import ship_file, spark_session, write_manifest, write_output
from kmner.training.model import load_model
from kmner.training.predict import MODEL, PredictStats, predict_records
from kmner.training.span_morphology import SpanMorphology
from kmner.training.splitter import load_pretokenized

_MODEL: dict[tuple, Any] = {}  # one loaded model per Python worker


@dataclass
class PredictOptions:
    """What ``kmner predict`` takes, for each worker (plain values: pickled to tasks)."""

    model: str
    base: str | None = None
    device: str | None = None
    splitter: str | None = None
    no_kiwi: bool = False
    types: list[str] | None = None  # names; descriptions come from the model, as locally
    threshold: float | None = None
    thresholds: dict[str, float] | None = None
    batch_size: int = 16
    chunk_words: int = 200
    precision: str = "fp32"
    model_shipped: bool = False
    # span morphology: counts learned with --span-filter-from (SpanMorphology.to_dict),
    # or None for the model's own; no_span_filter turns it off
    span_morphology: dict | None = None
    no_span_filter: bool = False

    def span_filter(self):
        if self.no_span_filter:
            return None
        return SpanMorphology.from_dict(self.span_morphology) if self.span_morphology else MODEL


def worker_model(o: PredictOptions):
    """This worker's model, loaded on first use (GPU if the executor has one)."""
    key = (o.model, o.base, o.device, o.splitter, o.no_kiwi, o.model_shipped)
    loaded = _MODEL.get(key)
    if loaded is None:
        import torch

        torch.set_num_threads(task_cpus())
        loaded = load_model(shipped_path(o.model, o.model_shipped), base=o.base,
                            device=o.device, splitter=o.splitter,
                            allow_kiwi=False if o.no_kiwi else None)
        _MODEL.clear()
        _MODEL[key] = loaded
    return loaded


def predict_mapper(opts: PredictOptions, *, value_column: str = "value"
                   ) -> Callable[[Iterator], Iterator]:
    """A function for ``df.mapInPandas(fn, OUTPUT_SCHEMA)`` over rows whose
    ``value_column`` holds one JSON record (id, text, optional tokens)."""

    def predict_batches(batches: Iterator) -> Iterator:
        import pandas as pd

        loaded = worker_model(opts)
        type_map = ({t: loaded.descriptions.get(t, "") for t in opts.types}
                    if opts.types else None)
        stats, n_rejected, entities = PredictStats(), 0, Counter()
        for pdf in batches:
            records, rows = [], []
            for value in pdf[value_column]:
                line = (value or "").rstrip("\r\n").removeprefix("\ufeff")
                if not line.strip():
                    continue
                try:
                    records.append(parse_record(line, src="input", lineno=None))
                except InputError as err:
                    n_rejected += 1
                    rows.append(("reject", _str(err.record_id),
                                 dumps({"id": err.record_id, "reason": err.reason,
                                        "raw": line[:2000]})))
            load_pretokenized(loaded.splitter, records)
            preds = predict_records(loaded, records, types=type_map,
                                    threshold=opts.threshold, thresholds=opts.thresholds,
                                    batch_size=opts.batch_size, chunk_words=opts.chunk_words,
                                    stats=stats, precision=opts.precision,
                                    span_morphology=opts.span_filter()) if records else []
            for r in preds:
                entities.update(e.type for e in r.entities)
                rows.append(("record", _str(r.id), dumps(r.to_dict())))
            yield pd.DataFrame(rows, columns=["kind", "id", "record"])
        summary = asdict(stats) | {"rejected": n_rejected, "entities": dict(entities),
                                   "pid": os.getpid()}
        yield pd.DataFrame([("stats", None, dumps(summary))], columns=["kind", "id", "record"])

    return predict_batches


def _str(x: Any) -> str | None:
    return None if x is None else str(x)


def input_values(spark, path: str, text_column: str = "text", id_column: str = "id"):
    """A DataFrame of JSON records (column ``value``) from a JSONL file, a folder
    written by ``--engine spark`` or a Parquet file with a text column."""
    from pathlib import Path

    from pyspark.sql import functions as F

    p = Path(path)
    if p.is_dir():
        if read_manifest(p).get("file_format") == "parquet":
            return spark.read.parquet(path).select(F.col("record").alias("value"))
        return spark.read.text(path, lineSep="\n")
    if path.lower().endswith((".parquet", ".parq")):
        df = spark.read.parquet(path)
        cols = [F.col(text_column).cast("string").alias("text")]
        if id_column in df.columns:
            cols.insert(0, F.col(id_column).alias("id"))
        return df.select(F.to_json(F.struct(*cols)).alias("value"))
    if not p.is_file():
        raise InputError("input file not found", path=path)
    return spark.read.text(path, lineSep="\n")


def run_predict_spark(opts: PredictOptions, input_path: str, output: str, *,
                      master: str | None = None, workers: int | None = None,
                      file_format: str = "jsonl", spark=None) -> dict[str, Any]:
    """Predict on Spark; writes part files, rejects and a manifest; returns it."""
    import json

    from pyspark import StorageLevel

    t0 = time.perf_counter()
    spark = spark or spark_session(master, workers, "kmner predict")
    model, shipped = ship_file(spark, opts.model)
    opts = PredictOptions(**{**asdict(opts), "model": model, "model_shipped": shipped})
    values = input_values(spark, input_path)
    out = values.mapInPandas(predict_mapper(opts), OUTPUT_SCHEMA)
    out = out.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        rejects = write_output(spark, out, output, file_format=file_format)
        stats = [json.loads(r["record"]) for r in
                 out.filter("kind = 'stats'").select("record").collect()]
    finally:
        out.unpersist()
    counts: dict[str, Any] = {"records": 0, "rejected": 0, "chunked_records": 0,
                              "chunks": 0, "dropped_past_end": 0, "rejected_by_morphology": 0}
    entities: Counter = Counter()
    for s in stats:
        for k in counts:
            counts[k] += int(s.get(k, 0))
        entities.update(s.get("entities", {}))
    counts["entities"] = dict(entities)
    counts["seconds"] = round(time.perf_counter() - t0, 3)
    manifest = {"kind": "predictions", "file_format": file_format, "rejects": rejects,
                "counts": counts, "input": input_path, "model": opts.model,
                "engine": {"name": "spark", "master": spark.sparkContext.master,
                           "partitions": len(stats),
                           "python_workers": sorted({s["pid"] for s in stats})}}
    write_manifest(spark, output, manifest)
    return manifest



def predict_cli(args: dict[str, Any], thresholds: dict[str, float] | None) -> None:
    """``kmner predict --engine spark``: the options of the local command."""
    import typer

    if args["engine"] != "spark":
        raise typer.BadParameter(f"--engine must be local or spark, got {args['engine']!r}")
    types = [t.strip() for t in args["types"].split(",") if t.strip()] if args["types"] else None
    opts = PredictOptions(model=args["model"], base=args["base"], device=args["device"],
                          splitter=args["splitter"], no_kiwi=args["no_kiwi"], types=types,
                          threshold=args["threshold"], thresholds=thresholds,
                          batch_size=args["batch_size"], chunk_words=args["chunk_words"],
                          precision=args["precision"],
                          span_morphology=(args["span_morphology"].to_dict()
                                           if isinstance(args["span_morphology"], SpanMorphology)
                                           else None),
                          no_span_filter=args["span_morphology"] is None)
    m = run_predict_spark(opts, str(args["input"]), str(args["output"]),
                          master=args["master"], workers=args["workers"])
    c = m["counts"]
    typer.echo(f"wrote {c['records']} records, {sum(c['entities'].values())} entities to "
               f"{args['output']} ({c['rejected']} rejected, "
               f"{c['rejected_by_morphology']} candidate spans rejected by span morphology, "
               f"{c['chunks']} chunks of "
               f"{c['chunked_records']} long records, {c['seconds']:.1f}s)")
