"""Line reading with encodings, and tokens located in a known text.

Lines are decoded one by one so that an encoding error names its exact line, and
a line that is valid cp949/EUC-KR (the usual legacy Korean encoding) is called
that; ``encoding="cp949"`` reads such files directly.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Iterator, Sequence

from kmner.core.errors import InputError


def read_lines(path: str | os.PathLike, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """Yield (line number, line without its line ending). Each line is decoded on
    its own, so a decoding error names the exact line (and, when that line is
    valid cp949, says so); a UTF-8 BOM is dropped; gzip files are read transparently."""
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", path=str(p))
    if p.is_dir():
        raise InputError("is a directory, expected a file", path=str(p))
    with open(p, "rb") as fh:
        head = fh.read(4096)
    gzipped = head[:2] == b"\x1f\x8b"
    if not gzipped and b"\x00" in head:
        raise InputError("looks like a binary file (NUL bytes), expected text", path=str(p))
    utf8 = encoding.lower().replace("_", "-") in {"utf-8", "utf8", "utf-8-sig"}
    codec = "UTF-8" if utf8 else encoding
    with (gzip.open(p, "rb") if gzipped else open(p, "rb")) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode(codec)
            except UnicodeDecodeError as exc:
                hint = ""
                if utf8 and _decodes(raw, "cp949"):
                    hint = ("; this line is valid cp949 (EUC-KR): read the file with "
                            "--encoding cp949 if all of it is, or convert it with "
                            "iconv -f cp949 -t utf-8")
                raise InputError(f"not valid {codec} ({exc.reason} at byte {exc.start} of the "
                                 f"line){hint}", path=str(p), line=lineno) from None
            yield lineno, line.rstrip("\r\n")


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
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
