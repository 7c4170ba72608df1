"""Silver over pandas batches: the functions ``DataFrame.mapInPandas`` runs.

Each Python worker builds Kiwi and loads the compiled gazetteer once (a
module-level cache; Spark reuses Python workers) from a file path, never from a
pickled automaton, and gives Kiwi as many threads as the task has CPU slots
(``spark.task.cpus``). The work itself is :class:`kmner.silver.pipeline.SilverProcessor`,
the code ``kmner silver run`` runs, so both engines give the same records.

Use in your own job::

    silver = notes.mapInPandas(silver_mapper("/shared/default.gaz"), OUTPUT_SCHEMA)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import unquote, urlparse

from kmner.core.errors import InputError
from kmner.core.jsonl import dumps, parse_record
from kmner.core.morph import get_kiwi
from kmner.core.records import Record
from kmner.gazetteer.compiled import CompiledGazetteer
from kmner.gazetteer.default import default_gazetteer_path
from kmner.gazetteer.matcher import Matcher
from kmner.silver.inputs import DocUnit, RecordUnit, Rejected, Unit
from kmner.silver.pipeline import SilverProcessor, SilverSummary

# (gazetteer path, Kiwi user dictionary, Kiwi threads) -> (processor, kiwi); one per worker
_WORKER: dict[tuple, tuple[SilverProcessor, Any]] = {}
_LOADS = [0]  # how often this process loaded a gazetteer (reported in the stats rows)
FAIL_FIRST_ATTEMPT = "kmner.fail_first_attempt"  # local property, for the retry test


def worker_silver(gazetteer: str | None, kiwi_user_dict: str | None = None,
                  num_workers: int = 1) -> tuple[SilverProcessor, Any]:
    """This worker's processor and Kiwi, built on first use and kept."""
    key = (gazetteer, kiwi_user_dict, num_workers)
    hit = _WORKER.get(key)
    if hit is None:
        gaz = CompiledGazetteer.load(gazetteer or default_gazetteer_path())
        matcher = Matcher(gaz, user_dict=kiwi_user_dict, num_workers=num_workers)
        hit = (SilverProcessor(matcher), get_kiwi(kiwi_user_dict, num_workers))
        _WORKER.clear()  # keep one gazetteer per worker
        _WORKER[key] = hit
        _LOADS[0] += 1
    return hit


def task_cpus() -> int:
    """CPU slots of the running Spark task (1 outside Spark)."""
    try:
        from pyspark import TaskContext
    except ImportError:  # pragma: no cover
        return 1
    ctx = TaskContext.get()
    return max(1, int(ctx.cpus())) if ctx is not None else 1


def path_key(path: str) -> str:
    """A comparable form of a local path or a URI as Spark reports it."""
    u = urlparse(path)
    if u.scheme in ("", "file"):
        return str(Path(unquote(u.path) if u.scheme else path).resolve())
    return f"{u.scheme}://{u.netloc}{u.path}"


def shipped_path(name: str | None, shipped: bool) -> str | None:
    """The worker-side path of a file given by :func:`kmner.processing.spark.ship_file`."""
    if name is None or not shipped:
        return name
    from pyspark import SparkFiles

    return SparkFiles.get(name)


def _clean(value: str | None, first: bool) -> str:
    line = (value or "").rstrip("\r\n")
    return line.removeprefix("\ufeff") if first else line


def _parse(line: str, source: str, lineno: int) -> Record | Rejected:
    # as kmner.silver.inputs reads .jsonl: overlaps and duplicated spans allowed (the
    # entities get replaced)
    try:
        return parse_record(line, src=source, lineno=lineno, allow_overlaps=True,
                            allow_duplicates=True)
    except InputError as err:
        return Rejected(source, lineno, err.record_id, err.reason, line)


def line_units(rows: Iterable[tuple[str, int, str]], files: dict, offsets: dict
               ) -> Iterator[Unit]:
    """Units from (path, block, line) rows, numbered like kmner.silver.inputs does:
    ``offsets[(path, block)]`` is (lines, JSONL records) before the block."""
    state: dict[tuple[str, int], list[int]] = {}
    for path, block, value in rows:
        f = files[path]
        st = state.get((path, block))
        if st is None:
            st = state[(path, block)] = list(offsets[(path, block)])
        st[0] += 1
        lineno = st[0]
        line = _clean(value, lineno == 1)
        if f.kind == "txt":
            if not line.strip():
                yield Rejected(f.source, lineno, None, "empty line (no text)")
            else:
                yield DocUnit(f.source, lineno, f"{f.prefix}-{lineno}", line)
            continue
        if not line.strip():  # not a record: rejected (counted), as read_records does
            yield Rejected(f.source, lineno, None, "blank line (no record)", line)
            continue
        rec = _parse(line, f.source, lineno)
        if isinstance(rec, Rejected):
            yield rec
            continue
        st[1] += 1
        if rec.id is None:
            rec.id = f"{f.prefix}-{st[1]}"
        if not rec.text.strip():
            yield Rejected(f.source, None, rec.id, "empty text")
        else:
            yield RecordUnit(f.source, rec)


def count_blocks(batches: Iterator, json_keys: frozenset) -> Iterator:
    """mapInPandas: (path, block, lines, JSONL records) for each block seen;
    ``json_keys`` are the inputs (as :func:`path_key` gives them) read as records."""
    import pandas as pd

    counts: dict[tuple[str, int], list[int]] = {}
    is_json: dict[str, bool] = {}
    for pdf in batches:
        for path, block, value in zip(pdf["path"], pdf["block"], pdf["value"]):
            c = counts.setdefault((path, int(block)), [0, 0])
            c[0] += 1
            j = is_json.get(path)
            if j is None:
                j = is_json[path] = path_key(path) in json_keys
            if j:
                line = _clean(value, c[0] == 1 and block == 0)
                if line.strip() and isinstance(_parse(line, path, c[0]), Record):
                    c[1] += 1
    yield pd.DataFrame([(p, b, n, r) for (p, b), (n, r) in counts.items()],
                       columns=["path", "block", "n", "records"])


def output_batches(pairs: Iterable[tuple[Unit, list[Record]]], batch_rows: int = 2000
                   ) -> Iterator:
    """OUTPUT_SCHEMA frames from (unit, records) pairs, and a last ``stats`` row
    with this partition's counts (summed into the run's manifest)."""
    import pandas as pd

    s = SilverSummary()
    rows: list[tuple[str, str | None, str]] = []
    for unit, records in pairs:
        s.units += 1
        if isinstance(unit, Rejected):
            s.rejected += 1
            s.reject_reasons[unit.reason[:100]] += 1
            rows.append(("reject", _str(unit.record_id), dumps(unit.to_dict())))
        else:
            s.written_units += 1
            s.records += len(records)
            for r in records:
                if r.entities:
                    s.records_with_entities += 1
                    s.entities.update(e.type for e in r.entities)
                rows.append(("record", _str(r.id), dumps(r.to_dict())))
        if len(rows) >= batch_rows:
            yield pd.DataFrame(rows, columns=["kind", "id", "record"])
            rows = []
            _maybe_fail()
    stats = s.to_dict() | {"pid": os.getpid(), "loads": _LOADS[0]}
    rows.append(("stats", None, dumps(stats)))
    yield pd.DataFrame(rows, columns=["kind", "id", "record"])
    _maybe_fail()


def _str(x: Any) -> str | None:
    return None if x is None else str(x)


def _maybe_fail() -> None:
    """Fault injection for tests: when the job sets the local property (to a
    folder), the first attempts of partitions 0 and 1 leave a marker there and
    fail after part of their output has gone to Spark; the retries must leave no
    trace of them."""
    from pyspark import TaskContext

    ctx = TaskContext.get()
    where = ctx.getLocalProperty(FAIL_FIRST_ATTEMPT) if ctx is not None else None
    if where and ctx.attemptNumber() == 0 and ctx.partitionId() < 2:
        marker = os.path.join(where, f"failed-stage{ctx.stageId()}-part{ctx.partitionId()}")
        with open(marker, "w", encoding="utf-8") as fh:
            fh.write(str(ctx.taskAttemptId()))
        raise RuntimeError("injected failure on a first attempt (kmner retry test)")


def record_units(batches: Iterator, text_column: str = "text", id_column: str = "id"
                 ) -> Iterator[Unit]:
    """Units from DataFrame rows with a text column (and an id column if any):
    each row is one record, matched whole, like a .jsonl record."""
    import pandas as pd

    for pdf in batches:
        ids = pdf[id_column] if id_column in pdf.columns else [None] * len(pdf)
        for rid, text in zip(ids, pdf[text_column]):
            rid = None if pd.isna(rid) else rid  # None, NaN or NA
            if not isinstance(text, str) or not text.strip():
                yield Rejected(text_column, None, _str(rid), "empty text")
            else:
                yield RecordUnit(text_column, Record(rid, text, []))


def silver_mapper(gazetteer: str | None = None, *, kiwi_user_dict: str | None = None,
                  shipped: bool = False, text_column: str = "text", id_column: str = "id",
                  batch_rows: int = 2000) -> Callable[[Iterator], Iterator]:
    """A function for ``df.mapInPandas(fn, OUTPUT_SCHEMA)`` over rows with a text
    (and optional id) column, each matched whole like a .jsonl record.
    ``gazetteer`` (default: the bundled one) is a compiled gazetteer path every
    executor can read, or with ``shipped`` the name of a file sent with
    ``spark.sparkContext.addFile`` (the same goes for ``kiwi_user_dict``)."""

    def silver_batches(batches: Iterator) -> Iterator:
        processor, kiwi = worker_silver(shipped_path(gazetteer, shipped),
                                        shipped_path(kiwi_user_dict, shipped), task_cpus())
        units = record_units(batches, text_column, id_column)
        yield from output_batches(processor.process(units, kiwi), batch_rows)

    return silver_batches


def _shipped_worker(gazetteer: str | None, shipped: bool, kiwi_user_dict: str | None,
                    dict_shipped: bool) -> tuple[SilverProcessor, Any]:
    return worker_silver(shipped_path(gazetteer, shipped),
                         shipped_path(kiwi_user_dict, dict_shipped), task_cpus())


def lines_mapper(files: dict, offsets: dict, gazetteer: str | None, shipped: bool, *,
                 kiwi_user_dict: str | None = None, dict_shipped: bool = False,
                 batch_rows: int = 2000) -> Callable[[Iterator], Iterator]:
    """mapInPandas over (path, block, value) input lines: ``silver run --engine spark``."""

    def silver_lines(batches: Iterator) -> Iterator:
        processor, kiwi = _shipped_worker(gazetteer, shipped, kiwi_user_dict, dict_shipped)
        rows = ((p, int(b), v) for pdf in batches
                for p, b, v in zip(pdf["path"], pdf["block"], pdf["value"]))
        units = line_units(rows, files, offsets)
        yield from output_batches(processor.process(units, kiwi), batch_rows)

    return silver_lines


# Numbered units as rows, for inputs with fewer blocks than task slots (a big .gz is
# one block): numbered where they are read, then spread over the slots, then matched.
UNITS_SCHEMA = "kind string, source string, line long, key string, payload string"
_UNIT_COLUMNS = ["kind", "source", "line", "key", "payload"]


def _unit_row(u: Unit) -> tuple:
    if isinstance(u, DocUnit):
        return ("doc", u.source, u.line, u.id_prefix, u.text)
    if isinstance(u, RecordUnit):
        return ("record", u.source, None, None, dumps(u.record.to_dict()))
    return ("reject", u.source, u.line, None,
            dumps({"id": u.record_id, "reason": u.reason, "raw": u.raw}))


def _row_unit(kind: str, source: str, line: Any, key: str | None, payload: str) -> Unit:
    import json

    import pandas as pd

    line = None if pd.isna(line) else int(line)
    if kind == "doc":
        return DocUnit(source, line, key, payload)
    if kind == "record":
        return RecordUnit(source, Record.from_dict(json.loads(payload)))
    d = json.loads(payload)
    return Rejected(source, line, d["id"], d["reason"], d["raw"])


def units_mapper(files: dict, offsets: dict) -> Callable[[Iterator], Iterator]:
    """mapInPandas: input lines to numbered units (UNITS_SCHEMA)."""

    def number_lines(batches: Iterator) -> Iterator:
        import pandas as pd

        rows = ((p, int(b), v) for pdf in batches
                for p, b, v in zip(pdf["path"], pdf["block"], pdf["value"]))
        out = []
        for unit in line_units(rows, files, offsets):
            out.append(_unit_row(unit))
            if len(out) >= 2000:
                yield pd.DataFrame(out, columns=_UNIT_COLUMNS)
                out = []
        yield pd.DataFrame(out, columns=_UNIT_COLUMNS)

    return number_lines


def units_silver_mapper(gazetteer: str | None, shipped: bool, *,
                        kiwi_user_dict: str | None = None, dict_shipped: bool = False,
                        batch_rows: int = 2000) -> Callable[[Iterator], Iterator]:
    """mapInPandas over UNITS_SCHEMA rows: the matching half of ``lines_mapper``."""

    def silver_units(batches: Iterator) -> Iterator:
        processor, kiwi = _shipped_worker(gazetteer, shipped, kiwi_user_dict, dict_shipped)
        units = (_row_unit(*row) for pdf in batches
                 for row in zip(*(pdf[c] for c in _UNIT_COLUMNS)))
        yield from output_batches(processor.process(units, kiwi), batch_rows)

    return silver_units
