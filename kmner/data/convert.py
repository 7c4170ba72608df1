"""Format conversion as a library call: what `kmner data convert` does, minus
the printing. Every input record is written or rejected with a reason (in the
Report)."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from tqdm import tqdm

from kmner.core.errors import KmnerError
from kmner.core.labelmap import LabelMap
from kmner.core.records import Record
from kmner.data import formats
from kmner.data.report import Report


def read_records(path: str | os.PathLike, fmt: str | None, report: Report,
                 options: dict[str, Any] | None = None, *, progress: bool = False
                 ) -> list[Record]:
    """All records of one file (a progress bar on a terminal when ``progress``)."""
    records = formats.read(path, fmt, report=report, **(options or {}))
    if progress:
        records = tqdm(records, desc=f"reading {Path(path).name}", unit=" rec", disable=None,
                       leave=False)
    return list(records)


@dataclass
class Conversion:
    """What one conversion did; the Report holds warnings and rejects."""

    fmt_in: str
    fmt_out: str
    n_read: int = 0
    n_written: int = 0
    rejected_reading: int = 0
    rejected_writing: int = 0
    label_map_counts: dict[str, int] | None = None
    report: Report = field(default_factory=Report, repr=False)


def split_options(fmt_in: str, fmt_out: str, given: dict[str, Any]
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """``given`` options (None values ignored) as (reader's, writer's); an option
    neither side takes is an error naming it as a flag."""
    given = {k: v for k, v in given.items() if v is not None}
    r_opts, w_opts = formats.options_of(fmt_in, "read"), formats.options_of(fmt_out, "write")
    unused = [k for k in given if k not in r_opts | w_opts]
    if unused:
        raise KmnerError(f"option(s) {', '.join('--' + k.replace('_', '-') for k in unused)} "
                         f"do not apply to reading {fmt_in} or writing {fmt_out}")
    return ({k: v for k, v in given.items() if k in r_opts},
            {k: v for k, v in given.items() if k in w_opts})


def convert(src: str | os.PathLike, dst: str | os.PathLike, *, fmt_in: str | None = None,
            fmt_out: str | None = None, options: dict[str, Any] | None = None,
            label_map: str | None = None, report: Report | None = None,
            progress: bool = False, on_read: Callable[[Conversion], None] | None = None
            ) -> Conversion:
    """Read ``src`` and write ``dst``, formats guessed from the paths unless given.
    ``options`` go to the reader or writer that takes them (others are an error);
    ``label_map`` renames or drops types in between. ``on_read`` is called once
    the input is read (the CLI reports it then)."""
    fmt_in = fmt_in or formats.guess_format(src)
    fmt_out = fmt_out or formats.guess_format(dst, for_writing=True)
    read_opts, write_opts = split_options(fmt_in, fmt_out, options or {})
    report = report if report is not None else Report()
    out = Conversion(fmt_in, fmt_out, report=report)
    records = read_records(src, fmt_in, report, read_opts, progress=progress)
    out.n_read = len(records)
    out.rejected_reading = len(report.rejects)
    if on_read:
        on_read(out)
    if label_map:
        counts: Counter = Counter()
        records = LabelMap.parse(label_map).apply(records, counts)
        out.label_map_counts = dict(counts)
    out.n_written = formats.write(dst, records, fmt_out, report=report, **write_opts)
    out.rejected_writing = len(report.rejects) - out.rejected_reading
    return out
