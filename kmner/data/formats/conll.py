"""CoNLL token-per-line files: one token per line with its tag in a chosen column,
blank lines between sentences, BIO (IOB2), BIOES or IOB1 tags in prefix or suffix
style. ``-DOCSTART-`` lines are skipped.

CoNLL has no spacing, so by default the text is the tokens joined by single spaces.
kmner's writer adds CoNLL-U style comments ``# id = ...`` and, where the text is not
simply the tokens joined by spaces, ``# text = ...``; the reader finds the tokens in
that text, so a round trip keeps the original text and offsets.
"""

from __future__ import annotations

import os
import re
from typing import Iterable, Iterator

from kmner.core.errors import InputError
from kmner.core.records import Record
from kmner.data.report import Report
from kmner.data.tags import Scheme, Style, TagError, decode_tags, encode_tags, parse_tag
from kmner.data.textio import (check_not_empty, default_id, iter_blocks, join_tokens,
                               locate_tokens, write_blocks)
from kmner.data.tokens import Tokenizer, Unaligned, align_record, spans_to_entities

_META_RE = re.compile(r"# (id|text) =(?: (.*))?")


def _columns(line: str) -> list[str]:
    return line.split("\t") if "\t" in line else line.split()


def _is_token_line(cols: list[str], tag_column: int) -> bool:
    try:
        parse_tag(cols[tag_column])
    except (TagError, IndexError):
        return False
    return len(cols) >= 2


def read_conll(path: str | os.PathLike, *, report: Report | None = None,
               scheme: Scheme = "bio", tag_column: int = -1, repair: bool = False,
               style: Style | None = None, encoding: str = "utf-8") -> Iterator[Record]:
    """Records from a CoNLL file; the token is column 0, the tag ``tag_column``.
    Tag style (prefix ``B-X`` or suffix ``X-B``) is recognised per sentence unless
    ``style`` fixes it."""
    report = report or Report()
    src = str(path)
    n = 0
    for block in iter_blocks(path, encoding):
        meta: dict[str, str] = {}
        rows: list[tuple[int, str, str]] = []
        for lineno, line in block:
            if line.startswith("-DOCSTART-"):
                continue
            if line.startswith("#") and not rows:
                m = _META_RE.fullmatch(line)
                if m:
                    meta[m.group(1)] = m.group(2) or ""
                    continue
                if not _is_token_line(_columns(line), tag_column):
                    continue  # a comment
            cols = _columns(line)
            if len(cols) < 2:
                raise InputError("expected a token and a tag separated by a tab or spaces, "
                                 f"got {line!r}", path=src, line=lineno)
            try:
                rows.append((lineno, cols[0], cols[tag_column]))
            except IndexError:
                raise InputError(f"tag column {tag_column} does not exist in a line with "
                                 f"{len(cols)} columns", path=src, line=lineno) from None
        if not rows and not meta:
            continue
        rec_id = meta.get("id") or default_id(path, n)
        n += 1
        rec = _block_record(rows, meta, rec_id, src, block[0][0], report, scheme, repair,
                            style)
        if rec is not None:
            yield rec
    check_not_empty(n, path)


def _block_record(rows, meta, rec_id, src, first_line, report, scheme, repair, style):
    tokens = [tok for _, tok, _ in rows]
    raw = "\n".join(f"{t}\t{g}" for _, t, g in rows)
    if "text" in meta:
        text = meta["text"]
        offsets = locate_tokens(text, tokens)
        if offsets is None:
            report.fail(InputError("the tokens do not spell the '# text =' line", path=src,
                                   line=first_line, record_id=rec_id), raw=raw)
            return None
    else:
        text, offsets = join_tokens(tokens)
    try:
        ranges, problems = decode_tags([tag for _, _, tag in rows], scheme,
                                       style=style or "auto")
    except TagError as exc:
        bad_line = next((ln for ln, _, tag in rows if not _parses(tag, style)), first_line)
        report.fail(InputError(str(exc), path=src, line=bad_line, record_id=rec_id), raw=raw)
        return None
    for p in problems:
        line = rows[p.index][0]
        if not repair:
            report.fail(InputError(p.message + " (use --repair to start a new entity there)",
                                   path=src, line=line, record_id=rec_id), raw=raw)
            return None
        report.warn("tags-repaired", p.message, path=src, line=line, record_id=rec_id)
    return Record(rec_id, text, spans_to_entities(text, offsets, ranges))


def _parses(tag: str, style: Style | None = None) -> bool:
    try:
        parse_tag(tag, style or "auto")
    except TagError:
        return False
    return True


def write_conll(path: str | os.PathLike, records: Iterable[Record], *,
                report: Report | None = None, tokenizer: Tokenizer = "kiwi",
                unaligned: Unaligned = "split", scheme: Scheme = "bio",
                style: Style = "prefix") -> int:
    """Write records as CoNLL (token TAB tag); returns sentences written."""
    report = report or Report()
    src = str(path)

    def render(rec: Record) -> str | None:
        aligned = align_record(rec, tokenizer, unaligned=unaligned, report=report, path=src)
        if aligned is None:
            return None
        toks, ranges = aligned
        words = [rec.text[s:e] for s, e in toks]
        out = [f"# id = {rec.id}\n"]
        if join_tokens(words)[0] != rec.text:
            out.append(f"# text = {rec.text}\n")
        tags = encode_tags(len(words), ranges, scheme=scheme, style=style)
        out.extend(f"{word}\t{tag}\n" for word, tag in zip(words, tags))
        out.append("\n")
        return "".join(out)

    return write_blocks(path, records, report, "CoNLL", render)
