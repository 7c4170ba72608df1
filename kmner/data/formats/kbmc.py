"""KBMC tables: ``Sentence`` (morpheme tokens joined by spaces) and ``Tags`` (one
suffix-BIO tag per token, ``Disease-B``/``Disease-I``/``O``), as TSV, CSV or parquet.

Reading: the text is the tokens joined by single spaces, exactly as published.
``respace=True`` rebuilds natural spacing with Kiwi's spacing model, deciding only
whether each token boundary gets a space, so spans move with their tokens exactly;
rows where Kiwi's output does not spell the same characters keep the published
spacing and are reported.

Writing: tokens come from Kiwi (or whitespace) and kmner adds ``id`` and ``text``
columns, which KBMC scripts ignore and which let kmner read the original text back
exactly. ``keep_text=False`` writes the two published columns only.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from kmner.core.errors import InputError, KmnerError
from kmner.core.jsonl import atomic_write, iter_lines
from kmner.core.morph import get_kiwi
from kmner.core.records import Record
from kmner.data.report import Report
from kmner.data.tags import Scheme, TagError, decode_tags, encode_tags
from kmner.data.textio import check_not_empty, default_id, join_tokens, locate_tokens
from kmner.data.tokens import Tokenizer, Unaligned, align_record, spans_to_entities

SENTENCE, TAGS = "Sentence", "Tags"


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise KmnerError("parquet needs pyarrow: pip install 'kmner[datasets]'") from None
    return pa, pq


def _table_kind(path: str | os.PathLike) -> str:
    suffix = "".join(Path(path).suffixes[-2:]).lower().removesuffix(".gz")
    if suffix.endswith(".parquet"):
        return "parquet"
    if suffix.endswith(".csv"):
        return "csv"
    return "tsv"


def _rows(path: str | os.PathLike, encoding: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line or row number, row as a dict) of a TSV, CSV or parquet table."""
    if _table_kind(path) == "parquet":
        _, pq = _pyarrow()
        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several types for unreadable files
            raise InputError(f"cannot read as parquet: {exc}", path=str(path)) from None
        for i, row in enumerate(table.to_pylist(), start=1):
            yield i, row
        return
    delimiter = "," if _table_kind(path) == "csv" else "\t"
    lines = iter_lines(path, encoding)
    reader = csv.reader((line + "\n" for _, line in lines), delimiter=delimiter)
    header: list[str] | None = None
    for fields in reader:
        if not fields or not any(f.strip() for f in fields):
            continue
        if header is None:
            header = [f.strip() for f in fields]
            continue
        if len(fields) != len(header):
            raise InputError(f"row has {len(fields)} fields but the header has {len(header)}",
                             path=str(path), line=reader.line_num)
        yield reader.line_num, dict(zip(header, fields))


def _column(row: dict[str, Any], name: str) -> Any:
    for key in row:
        if key.lower() == name.lower():
            return row[key]
    return None


def read_kbmc(path: str | os.PathLike, *, report: Report | None = None, respace: bool = False,
              repair: bool = False, scheme: Scheme = "bio", encoding: str = "utf-8"
              ) -> Iterator[Record]:
    """Records from a KBMC table. Raises (or, in reject mode, logs) rows whose token
    and tag counts differ or whose tags are malformed."""
    report = report or Report()
    src = str(path)
    n = 0
    for line, row in _rows(path, encoding):
        n += 1
        if n == 1 and (_column(row, SENTENCE) is None or _column(row, TAGS) is None):
            raise InputError(f"needs columns {SENTENCE!r} and {TAGS!r}, found "
                             f"{sorted(row)}", path=src)
        rec_id = _column(row, "id")
        rec_id = str(rec_id) if rec_id not in (None, "") else default_id(path, n - 1)
        rec = _row_record(row, rec_id, src, line, report, repair, scheme)
        if rec is None:
            continue
        if respace and _column(row, "text") in (None, ""):
            rec = respace_record(rec, src, line, report)
        yield rec
    check_not_empty(n, path)


def _split_field(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return str(value).split()


def _row_record(row: dict[str, Any], rec_id: str, src: str, line: int, report: Report,
                repair: bool, scheme: Scheme) -> Record | None:
    tokens = _split_field(_column(row, SENTENCE))
    tags = _split_field(_column(row, TAGS))
    raw = f"{_column(row, SENTENCE)}\t{_column(row, TAGS)}"
    if len(tokens) != len(tags):
        report.fail(InputError(f"{len(tokens)} tokens but {len(tags)} tags", path=src,
                               line=line, record_id=rec_id), raw=raw)
        return None
    given_text = _column(row, "text")
    if given_text not in (None, ""):
        text = str(given_text)
        offsets = locate_tokens(text, tokens)
        if offsets is None:
            report.fail(InputError("the Sentence tokens do not spell the text column",
                                   path=src, line=line, record_id=rec_id), raw=raw)
            return None
    else:
        text, offsets = join_tokens(tokens)
    try:
        ranges, problems = decode_tags(tags, scheme, prefer="suffix")
    except TagError as exc:
        report.fail(InputError(str(exc), path=src, line=line, record_id=rec_id), raw=raw)
        return None
    for p in problems:
        msg = f"token {p.index + 1} {tokens[p.index]!r}: {p.message}"
        if not repair:
            report.fail(InputError(msg + " (use --repair to start a new entity there)",
                                   path=src, line=line, record_id=rec_id), raw=raw)
            return None
        report.warn("tags-repaired", msg, path=src, line=line, record_id=rec_id)
    return Record(rec_id, text, spans_to_entities(text, offsets, ranges))


def respace_record(rec: Record, src: str | None, line: int | None, report: Report) -> Record:
    """The record with Kiwi's natural spacing between its tokens, spans carried over."""
    tokens = rec.text.split(" ")
    spaced = get_kiwi().space("".join(tokens), reset_whitespace=True)
    glue = _boundary_spaces(tokens, spaced)
    if glue is None:
        report.warn("respace-failed", "Kiwi's spacing changed characters, not only spaces; "
                    "published spacing kept", path=src, line=line, record_id=rec.id)
        return rec
    new_text = tokens[0] if tokens else ""
    # old offset of each token start -> new offset
    old_pos, moved = 0, {}
    new_pos = 0
    for i, tok in enumerate(tokens):
        if i:
            sep = " " if glue[i - 1] else ""
            new_pos += len(sep)
            new_text += sep + tok
        moved[old_pos] = new_pos
        moved[old_pos + len(tok)] = new_pos + len(tok)
        old_pos += len(tok) + 1
        new_pos += len(tok)
    ents = [type(e)(e.type, new_text[moved[e.start]:moved[e.end]], moved[e.start],
                    moved[e.end]) for e in rec.entities]
    return Record(rec.id, new_text, ents, rec.meta, rec.extra)


def _boundary_spaces(tokens: Sequence[str], spaced: str) -> list[bool] | None:
    """For each boundary between tokens: does Kiwi's spaced text put a space there?"""
    chars = [(c, i) for i, c in enumerate(spaced) if not c.isspace()]
    if "".join(c for c, _ in chars) != "".join(tokens):
        return None
    out, k = [], 0
    for tok in tokens[:-1]:
        k += len(tok)
        pos = chars[k][1]
        out.append(pos > 0 and spaced[pos - 1].isspace())
    return out


def write_kbmc(path: str | os.PathLike, records: Iterable[Record], *,
               report: Report | None = None, tokenizer: Tokenizer = "kiwi",
               unaligned: Unaligned = "split", keep_text: bool = True) -> int:
    """Write a KBMC table (format from the extension); returns rows written."""
    report = report or Report()
    src = str(path)
    kind = _table_kind(path)
    rows = []
    for rec in records:
        aligned = align_record(rec, tokenizer, unaligned=unaligned, report=report, path=src)
        if aligned is None:
            continue
        toks, ranges = aligned
        tags = encode_tags(len(toks), ranges, style="suffix")
        row = {SENTENCE: " ".join(rec.text[s:e] for s, e in toks), TAGS: " ".join(tags)}
        if keep_text:
            if "\r" in rec.text and kind != "parquet":
                report.fail(InputError("text contains a carriage return, which a text table "
                                       "cannot carry; write parquet instead", path=src,
                                       record_id=rec.id))
                continue
            row["id"] = "" if rec.id is None else str(rec.id)
            row["text"] = rec.text
        rows.append(row)
    columns = [SENTENCE, TAGS] + (["id", "text"] if keep_text else [])
    if kind == "parquet":
        pa, pq = _pyarrow()
        table = pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in columns})
        with atomic_write(path, "wb") as fh:
            pq.write_table(table, fh)
    else:
        with atomic_write(path) as fh:
            writer = csv.writer(fh, delimiter="," if kind == "csv" else "\t",
                                lineterminator="\n")
            writer.writerow(columns)
            for r in rows:
                writer.writerow([r[c] for c in columns])
    return len(rows)
