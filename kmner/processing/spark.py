"""Spark plumbing for ``--engine spark``: the session, input lines with exact line
numbers, and output written only by Spark's writers (part files) plus a manifest.

Line numbers: Spark splits a text file into blocks and reads them in parallel, so
a line's number within its file is not known to the task that reads it. One
counting job gives every (file, block) its number of lines (and of JSONL
records), the driver turns those into "lines before this block", and the task
reading the block counts on from there. Ids such as ``notes-17-2`` therefore
come out the same as from the single-process run.
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from kmner.core.errors import InputError
from kmner.core.parts import FORMAT, MANIFEST, REJECTS_DIR
from kmner.processing.batches import count_blocks, path_key
from kmner.silver.inputs import input_kind


def spark_session(master: str | None = None, workers: int | None = None,
                  app_name: str = "kmner", conf: dict[str, str] | None = None,
                  task_cpus: int | None = None):
    """The active SparkSession, or a new one on ``master`` (default ``local[N]``
    with N = ``workers``, default all cores). ``task_cpus`` (``spark.task.cpus``,
    Kiwi's threads per task) defaults to 2 in local mode with 2 cores or more: Kiwi
    analyses in one thread while the task matches in another, as one process does."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    n = workers or os.cpu_count() or 1
    master = master or f"local[{n}]"
    conf = dict(conf or {})
    if master.startswith("local"):
        # Local Python workers must run this interpreter and import this kmner.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        root = str(Path(__file__).resolve().parents[2])
        paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
        if root not in paths:
            os.environ["PYTHONPATH"] = os.pathsep.join([root] + [p for p in paths if p])
        # The local JVM only reads, shuffles and writes: its quick JIT tier and a
        # serial collector cost less CPU than the defaults, which the Python
        # workers need (measured on the 2-core benchmark machine).
        conf.setdefault("spark.driver.extraJavaOptions",
                        "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        task_cpus = task_cpus or min(2, n)
    if task_cpus:
        conf.setdefault("spark.task.cpus", str(task_cpus))
    # Text costs far more to analyse than to open: Spark's default "cost" of opening
    # a file (4 MB) would read a 2 MB input as one block, so one task on one core.
    conf.setdefault("spark.sql.files.openCostInBytes", str(64 * 1024))
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    builder = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", str(max(2, n)))
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "2000")
               .config("spark.python.worker.reuse", "true"))
    for k, v in conf.items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@dataclass
class InputFile:
    source: str   # as the user gave it (names sources in records and rejects)
    kind: str     # txt | jsonl | parquet
    prefix: str   # id prefix, as kmner.silver.inputs gives it


@dataclass
class InputLines:
    """The input as one DataFrame of (path, block, value) and what tasks need to
    number its lines: which file each path is, and where each block starts."""

    df: Any
    files: dict[str, InputFile] = field(default_factory=dict)
    # (path, block start) -> (lines before the block, JSONL records before it)
    offsets: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)


def file_kind(path: str) -> str:
    name = path.lower().removesuffix(".gz")
    return "parquet" if name.endswith((".parquet", ".parq")) else input_kind(Path(path))


def input_files(sources: list[str]) -> dict[str, InputFile]:
    """Each input by its comparable path, with its kind and id prefix (numbered
    like the single-process run: ``notes``, ``notes2`` for a second notes.*)."""
    if not sources:
        raise InputError("no input files given")
    stems: dict[str, int] = {}
    out: dict[str, InputFile] = {}
    for src in sources:
        if not urlparse(src).scheme and not Path(src).is_file():
            raise InputError("input file not found", path=src)
        stem = Path(urlparse(src).path).name.split(".")[0]
        stems[stem] = stems.get(stem, 0) + 1
        prefix = stem if stems[stem] == 1 else f"{stem}{stems[stem]}"
        key = path_key(src)
        if key in out:
            raise InputError("the same input file is given twice", path=src)
        out[key] = InputFile(src, file_kind(src), prefix)
    return out


def read_lines(spark, sources: list[str], *, text_column: str = "text",
               id_column: str = "id") -> InputLines:
    """Every input line (a Parquet row as a JSON record) with its file and block."""
    from pyspark.sql import functions as F

    files = input_files(sources)
    meta = [F.col("_metadata.file_path").alias("path"),
            F.col("_metadata.file_block_start").alias("block")]
    frames = []
    texts = [f.source for f in files.values() if f.kind != "parquet"]
    if texts:
        df = spark.read.text(texts, lineSep="\n")
        frames.append(df.select(*meta, F.col("value")))
    for f in files.values():
        if f.kind == "parquet":
            df = spark.read.parquet(f.source)
            if text_column not in df.columns:
                raise InputError(f"Parquet input without a {text_column!r} column "
                                 f"(columns: {', '.join(df.columns)})", path=f.source)
            cols = [F.col(text_column).cast("string").alias("text")]
            if id_column in df.columns:
                cols.insert(0, F.col(id_column).alias("id"))
            frames.append(df.select(*meta, F.to_json(F.struct(*cols)).alias("value")))
    lines = frames[0]
    for other in frames[1:]:
        lines = lines.unionByName(other)
    found = InputLines(lines, {})
    _count_blocks(found, files)
    return found


def _count_blocks(lines: InputLines, files: dict[str, InputFile]) -> None:
    """One job: lines and JSONL records per (file, block); then offsets per block."""
    json_keys = frozenset(k for k, f in files.items() if f.kind != "txt")
    if json_keys:  # records are counted by kmner's own parser
        schema = "path string, block long, n long, records long"
        rows = lines.df.mapInPandas(partial(count_blocks, json_keys=json_keys),
                                    schema).collect()
    else:  # text lines only: counted in the JVM, no Python worker needed
        from pyspark.sql import functions as F

        rows = (lines.df.groupBy("path", "block")
                .agg(F.count(F.lit(1)).alias("n"), F.lit(0).alias("records")).collect())
    per_file: dict[str, list] = {}
    for r in rows:
        key = path_key(r["path"])
        if key not in files:
            raise InputError(f"Spark read a file that is not an input: {r['path']}")
        lines.files[r["path"]] = files[key]
        per_file.setdefault(r["path"], []).append((r["block"], r["n"], r["records"]))
    for path, blocks in per_file.items():
        n_lines = n_recs = 0
        for block, n, recs in sorted(blocks):
            lines.offsets[(path, block)] = (n_lines, n_recs)
            n_lines += n
            n_recs += recs


def write_output(spark, out, output: str, *, file_format: str = "jsonl",
                 rejects: str | None = None) -> str:
    """Write the records of ``out`` (OUTPUT_SCHEMA rows) as part files under
    ``output`` and its rejects under ``rejects`` (default ``output/_rejects``),
    overwriting what was there. Returns the rejects path."""
    from pyspark.sql import functions as F

    if file_format not in ("jsonl", "parquet"):
        raise InputError(f"--format must be jsonl or parquet, got {file_format!r}")
    rejects = rejects or f"{output.rstrip('/')}/{REJECTS_DIR}"
    records = out.filter(F.col("kind") == "record")
    bad = out.filter(F.col("kind") == "reject")
    if file_format == "jsonl":
        records.select("record").write.mode("overwrite").text(output)
        bad.select("record").write.mode("overwrite").text(rejects)
    else:
        schema = ("text string, entities array<struct<type:string,text:string,"
                  "start:int,end:int>>")
        parsed = F.from_json(F.col("record"), schema)
        (records.select("id", parsed["text"].alias("text"),
                        parsed["entities"].alias("entities"), "record")
         .write.mode("overwrite").parquet(output))
        bad.select("id", "record").write.mode("overwrite").parquet(rejects)
    return rejects


def write_manifest(spark, output: str, manifest: dict[str, Any]) -> None:
    """The manifest, through Hadoop's file system (local disk, HDFS, S3 alike)."""
    import json

    data = json.dumps({"format": FORMAT, **manifest}, ensure_ascii=False, indent=2) + "\n"
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(f"{output.rstrip('/')}/{MANIFEST}")
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(data.encode("utf-8")))
    finally:
        stream.close()


def ship_file(spark, path: str | None) -> tuple[str | None, bool]:
    """(path or name, shipped): on a local master, workers read the path itself;
    otherwise it is sent to every executor with addFile and read with SparkFiles."""
    if path is None:
        return None, False
    if spark.sparkContext.master.startswith("local"):
        return path, False
    spark.sparkContext.addFile(path, recursive=Path(path).is_dir())
    return Path(path).name, True
