"""Folders of part files, as ``--engine spark`` writes them.

Such a folder holds Spark's part files (``part-*``: JSON lines, or Parquet with a
``record`` column holding the same JSON line) and a manifest,
``_kmner_manifest.json``, with the counts of the run. Names starting with ``_`` or
``.`` are Spark's and Hadoop's hidden files (``_SUCCESS``, ``_rejects/``, CRCs), so
``spark.read.text(OUT)`` sees the records and nothing else; kmner's readers see the
same through :func:`iter_part_lines`, which :func:`kmner.core.jsonl.read_records`
calls for a folder.
"""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator

from kmner.core.errors import InputError
from kmner.core.textfiles import iter_lines

MANIFEST = "_kmner_manifest.json"
FORMAT = "kmner-parts/1"
REJECTS_DIR = "_rejects"


def read_manifest(folder: str | os.PathLike) -> dict[str, Any]:
    """The manifest of a part-file folder; an InputError when there is none."""
    p = Path(folder) / MANIFEST
    if not p.is_file():
        raise InputError(f"is a directory without a {MANIFEST}; expected a JSONL file or a "
                         "folder written by `--engine spark`", path=str(folder))
    try:
        manifest = json.loads(p.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"unreadable manifest: {exc}", path=str(p)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f"not a {FORMAT} manifest", path=str(p))
    return manifest


def part_files(folder: str | os.PathLike) -> list[Path]:
    """The visible part files of a folder in name order (Spark's partition order)."""
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_file() and not p.name.startswith(("_", ".")))


def iter_part_lines(folder: str | os.PathLike, *,
                    on_bad: Callable[[str, int, InputError, str], None] | None = None
                    ) -> Iterator[tuple[str, int, str]]:
    """(part file, line or row number, JSON line) for every record of the folder.
    An undecodable line raises, or with ``on_bad`` is handed to it as (part file,
    line number, error, the line escaped) and skipped."""
    manifest = read_manifest(folder)
    parquet = manifest.get("file_format") == "parquet"
    for part in part_files(folder):
        if parquet:
            yield from _parquet_lines(part)
        else:
            src = str(part)
            for lineno, line in iter_lines(part, on_bad=partial(on_bad, src) if on_bad
                                           else None):
                yield src, lineno, line


def _parquet_lines(part: Path) -> Iterator[tuple[str, int, str]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow comes with the datasets extra
        raise InputError("reading Parquet parts needs pyarrow (pip install "
                         "'kmner[datasets]')", path=str(part)) from None
    pf = pq.ParquetFile(part)
    if "record" not in pf.schema_arrow.names:
        raise InputError("Parquet part without a `record` column", path=str(part))
    row = 0
    for batch in pf.iter_batches(columns=["record"], batch_size=4096):
        for line in batch.column(0).to_pylist():
            row += 1
            yield str(part), row, line or ""
