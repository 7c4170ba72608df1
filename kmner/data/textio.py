"""Line reading with encodings, and tokens located in a known text.

UTF-8 (with or without BOM, gzip allowed) is read by kmner.core.jsonl.iter_lines;
when that fails we check whether the file is cp949/EUC-KR, the usual legacy Korean
encoding, and say so, or read it directly when the user names that encoding.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Sequence

from kmner.core.errors import InputError
from kmner.core.jsonl import iter_lines


def read_lines(path: str | os.PathLike, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """Yield (line number, line) pairs; decoding problems become InputErrors that
    name the line and, for cp949 files, the encoding to ask for."""
    if encoding.lower().replace("_", "-") in {"utf-8", "utf8", "utf-8-sig"}:
        try:
            yield from iter_lines(path)
        except InputError as err:
            if "not valid UTF-8" in err.reason and _decodes_as(path, "cp949"):
                raise InputError(
                    f"{err.reason}. The file decodes cleanly as cp949 (EUC-KR); "
                    "read it with --encoding cp949", path=err.path, line=err.line) from None
            raise
        return
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", path=str(p))
    lineno = 0
    with open(p, encoding=encoding, errors="strict", newline="") as fh:
        while True:
            try:
                line = fh.readline()
            except UnicodeDecodeError as exc:
                raise InputError(f"not valid {encoding} ({exc.reason})", path=str(p),
                                 line=lineno + 1) from None
            if not line:
                return
            lineno += 1
            yield lineno, line.rstrip("\r\n")


def _decodes_as(path: str | os.PathLike, encoding: str) -> bool:
    try:
        Path(path).read_bytes().decode(encoding)
    except (UnicodeDecodeError, OSError):
        return False
    return True


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
    for lineno, line in read_lines(path, encoding):
        if line.strip():
            block.append((lineno, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


def default_id(path: str | os.PathLike, index: int) -> str:
    """Id for record ``index`` of a file that names none: ``<file stem>-00042``."""
    return f"{Path(path).name.split('.')[0]}-{index:05d}"
