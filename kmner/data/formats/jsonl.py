"""KBMC-style JSONL, kmner's own format (kmner.core.jsonl does the work)."""

from __future__ import annotations

import os
from typing import Iterable, Iterator

from kmner.core.jsonl import read_records, write_records
from kmner.core.records import Record
from kmner.data.report import Report
from kmner.data.textio import check_not_empty


def read_jsonl(path: str | os.PathLike, *, report: Report | None = None,
               allow_overlaps: bool = False) -> Iterator[Record]:
    report = report or Report()
    rejected_before = len(report.rejects)
    n = 0
    for rec in read_records(path, on_error=report.on_error, rejects=report.rejects,
                            allow_overlaps=allow_overlaps):
        n += 1
        yield rec
    check_not_empty(n + len(report.rejects) - rejected_before, path)


def write_jsonl(path: str | os.PathLike, records: Iterable[Record], *,
                report: Report | None = None) -> int:
    return write_records(path, records)
