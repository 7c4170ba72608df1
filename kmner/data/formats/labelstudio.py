"""Label Studio tasks, delegated to kmner.labelstudio (which owns the format):
writing makes one task per record with the spans as a prediction; reading takes a
Label Studio export and applies that module's gold import policy."""

from __future__ import annotations

import os
from typing import Iterable, Iterator

from kmner.core.records import Record
from kmner.data.report import Report


def read_labelstudio(path: str | os.PathLike, *, report: Report | None = None
                     ) -> Iterator[Record]:
    from kmner.labelstudio.gold import import_export, load_export

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
    from kmner.labelstudio.tasks import records_to_tasks, write_tasks

    return write_tasks(path, records_to_tasks(records))
