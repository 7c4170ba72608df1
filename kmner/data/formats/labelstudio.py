"""Label Studio files: writing makes one task per record with the spans as a
prediction (data/ls_tasks.py); reading takes a Label Studio export and applies
the gold import policy (data/gold.py). kmner.labelstudio adds the server side."""

from __future__ import annotations

import os
from typing import Iterable, Iterator

from kmner.core.records import Record
from kmner.data.gold import import_export, load_export
from kmner.data.ls_tasks import records_to_tasks, write_tasks
from kmner.data.report import Report


def read_labelstudio(path: str | os.PathLike, *, report: Report | None = None
                     ) -> Iterator[Record]:
    report = report or Report()
    rejects = report.rejects if report.on_error == "reject" else None
    tasks = load_export(path)
    records, summary = import_export(tasks, source=str(path), rejects=rejects)
    if len(records) < len(tasks):
        report.warn("labelstudio-import", f"{len(tasks) - len(records)} of {len(tasks)} task(s) "
                    f"gave no gold record (no usable annotation or rejected); import summary: "
                    f"{summary.to_dict()}",
                    path=str(path))
    yield from records


def write_labelstudio(path: str | os.PathLike, records: Iterable[Record], *,
                      report: Report | None = None) -> int:
    return write_tasks(path, records_to_tasks(records))
