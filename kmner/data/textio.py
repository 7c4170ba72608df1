"""Line reading with encodings, and tokens located in a known text.

Lines are decoded one by one so that an encoding error names its exact line, and
a line that is valid cp949/EUC-KR (the usual legacy Korean encoding) is called
that; ``encoding="cp949"`` reads such files directly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from kmner.core.errors import InputError
from kmner.core.jsonl import atomic_write, iter_lines, loads_strict


def check_not_empty(count: int, path: str | os.PathLike) -> None:
    """An input file that yields no record at all is almost always a mistake."""
    if count == 0:
        raise InputError("no records found (empty file?)", path=str(path))


def locate_tokens(text: str, tokens: Sequence[str]) -> list[tuple[int, int]] | None:
    """Offsets of ``tokens`` found in order in ``text`` with only whitespace between
    them, or None when they do not spell the text that way."""
    spans = []
    pos = 0
    n = len(text)
    for tok in tokens:
        while pos < n and text[pos].isspace():
            pos += 1
        if not tok or not text.startswith(tok, pos):
            return None
        spans.append((pos, pos + len(tok)))
        pos += len(tok)
    if text[pos:].strip():
        return None
    return spans


def join_tokens(tokens: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """Tokens joined by single spaces, as KBMC and CoNLL publish them, with offsets."""
    spans = []
    pos = 0
    for tok in tokens:
        spans.append((pos, pos + len(tok)))
        pos += len(tok) + 1
    return " ".join(tokens), spans


def iter_blocks(path: str | os.PathLike, encoding: str = "utf-8"
                ) -> Iterator[list[tuple[int, str]]]:
    """Blank-line separated blocks of (line number, line), as in CoNLL-like files."""
    block: list[tuple[int, str]] = []
    for lineno, line in iter_lines(path, encoding):
        if line.strip():
            block.append((lineno, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


def iter_json_lines(path: str | os.PathLike, report, encoding: str = "utf-8"
                    ) -> Iterator[tuple[int, int, str, Any]]:
    """(record index, line number, line, parsed JSON) for each non-blank line; a line
    that is not JSON is reported to ``report`` and skipped. The index counts every
    non-blank line, so default ids stay stable whether or not a line parses; a file
    without any is an InputError."""
    index = -1
    for lineno, line in iter_lines(path, encoding):
        if not line.strip():
            continue
        index += 1
        try:
            obj = loads_strict(line)
        except json.JSONDecodeError as exc:
            report.fail(InputError(f"malformed JSON: {exc.msg} at column {exc.colno}",
                                   path=str(path), line=lineno), raw=line)
            continue
        except (ValueError, RecursionError) as exc:
            report.fail(InputError(str(exc) if isinstance(exc, ValueError) else
                                   "nested too deeply", path=str(path), line=lineno), raw=line)
            continue
        yield index, lineno, line, obj
    check_not_empty(index + 1, path)


def default_id(path: str | os.PathLike, index: int) -> str:
    """Id for record ``index`` of a file that names none: ``<file stem>-00042``."""
    return f"{Path(path).name.split('.')[0]}-{index:05d}"


def has_line_break(rec, src: str, report, fmt: str) -> bool:
    """Line-per-token formats cannot carry a text with line breaks: report the record
    (nothing is dropped silently) and tell the writer to skip it."""
    if "\n" in rec.text or "\r" in rec.text:
        report.fail(InputError(f"text contains a line break, which {fmt} cannot carry",
                               path=src, record_id=rec.id))
        return True
    return False


def write_blocks(path: str | os.PathLike, records: Iterable, report, fmt: str,
                 render: Callable[[Any], str | None]) -> int:
    """Write one text block per record (atomically) for line-per-token formats:
    records with a line break, or for which ``render`` returns None (it reported
    why), are left out. Returns the records written."""
    src = str(path)
    n = 0
    with atomic_write(path) as fh:
        for rec in records:
            if has_line_break(rec, src, report, fmt):
                continue
            block = render(rec)
            if block is None:
                continue
            fh.write(block)
            n += 1
    return n
