"""Reading text files line by line with exact errors: gzip, BOM, LF/CRLF/CR
line endings, per-line decoding (a bad line is named, and said to be cp949 when
it is), and refusal of directories, devices and binary files. kmner.core.jsonl
(records) and kmner.core.parts (folders of part files) read through here."""

from __future__ import annotations

import gzip
import io
import os
import zlib
from pathlib import Path
from typing import Callable, Iterator, TextIO

from kmner.core.errors import InputError


def _check_file(p: Path) -> bool:
    """Raise for a missing path, a directory or a binary file; return whether gzip."""
    if not p.exists():
        raise InputError("file not found; check the path", path=str(p))
    if p.is_dir():
        raise InputError("is a directory, expected a file; give the file inside it",
                         path=str(p))
    if not p.is_file():
        raise InputError("is not a regular file (a pipe, socket or device?), which could "
                         "block or never end; give a file", path=str(p))
    with open(p, "rb") as fh:
        head = fh.read(4096)
    gzipped = head[:2] == b"\x1f\x8b"
    # a stray NUL is a bad line (located, rejectable); many of them, a binary file
    if not gzipped and head.count(b"\x00") * 20 > len(head):
        raise InputError("looks like a binary file (NUL bytes), expected UTF-8 text; give "
                         "the text or JSONL file",
                         path=str(p))
    return gzipped


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _raw_lines(fh) -> Iterator[bytes]:
    """Lines of a binary handle without their endings; LF, CRLF and a lone CR
    (old Mac files) all end a line, as in Python's universal newlines."""
    for raw in fh:
        raw = raw.rstrip(b"\n")
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if b"\r" in raw:
            yield from raw.split(b"\r")
        else:
            yield raw


def _decode_line(raw: bytes, codec: str, utf8: bool) -> str:
    """One line as text, or InputError (without a location) saying why not."""
    if b"\x00" in raw:
        raise InputError("contains NUL bytes; is this a binary file?")
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        hint = ""
        if utf8 and _decodes(raw, "cp949"):
            hint = ("; this line is valid cp949 (EUC-KR): read the file with --encoding "
                    "cp949 where the command offers it, or convert it with iconv -f cp949 "
                    "-t utf-8")
        raise InputError(f"not valid {codec} ({exc.reason} at byte {exc.start} of the "
                         f"line){hint}") from None


BadLine = Callable[[int, InputError, str], None]


def iter_lines(path: str | os.PathLike, encoding: str = "utf-8", *,
               on_bad: BadLine | None = None) -> Iterator[tuple[int, str]]:
    """Yield (line number, line without its line ending) from a text or gzip file.

    Each line is decoded on its own so that a decoding error names its exact line
    (and says so when the line is valid cp949/EUC-KR); a UTF-8 BOM is dropped. A
    line that cannot be decoded raises InputError, or with ``on_bad`` is handed to
    it as (line number, error, the line with undecodable bytes escaped) and skipped."""
    p = Path(path)
    gzipped = _check_file(p)
    utf8 = encoding.lower().replace("_", "-") in {"utf-8", "utf8", "utf-8-sig"}
    codec = "UTF-8" if utf8 else encoding
    try:
        with (gzip.open(p, "rb") if gzipped else open(p, "rb")) as fh:
            for lineno, raw in enumerate(_raw_lines(fh), start=1):
                if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                try:
                    line = _decode_line(raw, codec, utf8)
                except InputError as err:
                    err = InputError(err.reason, path=str(p), line=lineno)
                    if on_bad is None:
                        raise err from None
                    on_bad(lineno, err, raw.decode("utf-8", "backslashreplace"))
                    continue
                yield lineno, line
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InputError(f"broken gzip stream: {exc}; check the file (gzip -t)",
                         path=str(p)) from None


def open_text(path: str | os.PathLike) -> TextIO:
    """A UTF-8 (optionally gzip) text handle for readers such as ``csv`` that need a
    file object; a BOM is dropped. Prefer iter_lines where exact error lines matter."""
    p = Path(path)
    gzipped = _check_file(p)
    raw = gzip.open(p, "rb") if gzipped else open(p, "rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")


def read_text(path: str | os.PathLike) -> str:
    """A whole UTF-8 (optionally gzip) file as one string, BOM dropped; decoding
    errors name the line where they occur."""
    p = Path(path)
    gzipped = _check_file(p)
    with (gzip.open(p, "rb") if gzipped else open(p, "rb")) as fh:
        raw = fh.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(f"not valid UTF-8 ({exc.reason}); is it cp949/EUC-KR? convert it "
                         "with iconv -f cp949 -t utf-8", path=str(p), line=line) from None
