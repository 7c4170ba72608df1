"""Label Studio tasks, delegated to kmner.labelstudio (which owns the format):
writing makes one task per record with the spans as a prediction; reading takes a
Label Studio export and applies that module's gold import policy. Without that
module, use ``kmner ls import/export``."""

from __future__ import annotations

import os
from typing import Iterable, Iterator

from kmner.core.errors import KmnerError
from kmner.core.records import Record
from kmner.data.report import Report

HINT = "labelstudio format: use `kmner ls import/export`"


def read_labelstudio(path: str | os.PathLike, *, report: Report | None = None
                     ) -> Iterator[Record]:
    try:
        from kmner.labelstudio.gold import import_export, load_export
    except ImportError:
        raise KmnerError(HINT) from None
    report = report or Report()
    rejects = report.rejects if report.on_error == "reject" else None
    tasks = load_export(path)
    records, summary = import_export(tasks, source=str(path), rejects=rejects)
    if len(records) < len(tasks):
        report.warn("labelstudio-import", f"{len(tasks) - len(records)} of {len(tasks)} task(s) "
                    f"gave no gold record (no usable annotation or rejected); import summary: "
                    f"{summary.to_dict() if hasattr(summary, 'to_dict') else summary}",
                    path=str(path))
    yield from records


def write_labelstudio(path: str | os.PathLike, records: Iterable[Record], *,
                      report: Report | None = None) -> int:
    try:
        from kmner.labelstudio.tasks import records_to_tasks, write_tasks
    except ImportError:
        raise KmnerError(HINT) from None
    return write_tasks(path, records_to_tasks(records))
