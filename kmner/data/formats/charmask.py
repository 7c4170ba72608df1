"""Word + character-mask + tag columns, the layout of the Korean clinical NER set
(Kim & Lee 2020): one eojeol (space-separated word) per line, a mask with one
letter per character (``X`` inside the entity, ``O`` outside) and the word's BIO
tag, blank lines between sentences::

    어지럼증이	XXXXO	B-ST

The mask is what keeps particles out of spans: 어지럼증이 tagged B-ST gives the
entity 어지럼증. A multi-word entity is a B- word whose mask runs to its end, then
I- words whose masks start at their beginning. The text is the words joined by
single spaces, as published; kmner's writer adds ``# id = ...`` and, when the text
has other spacing, ``# text = ...`` lines, which the reader honours.
"""

from __future__ import annotations

import os
import re
from typing import Iterable, Iterator

from kmner.core.errors import InputError
from kmner.core.records import Record, make_entity
from kmner.data.report import Report
from kmner.data.tags import TagError, decode_tags, encode_tags
from kmner.data.textio import (check_not_empty, default_id, iter_blocks, join_tokens,
                               locate_tokens, write_blocks)
from kmner.core.kiwi_tokens import whitespace_spans
from kmner.data.tokens import Unaligned

_META_RE = re.compile(r"# (id|text) =(?: (.*))?")
_MASK_RE = re.compile(r"[XO]+")


def _columns(line: str) -> list[str]:
    return line.split("\t") if "\t" in line else line.split()


def _is_row(line: str) -> bool:
    cols = _columns(line)
    if len(cols) != 3 or not _MASK_RE.fullmatch(cols[1]):
        return False
    try:
        decode_tags([cols[2]], "iob1")
    except TagError:
        return False
    return True


def read_charmask(path: str | os.PathLike, *, report: Report | None = None,
                  repair: bool = False, encoding: str = "utf-8") -> Iterator[Record]:
    report = report or Report()
    src = str(path)
    n = 0
    for block in iter_blocks(path, encoding):
        meta: dict[str, str] = {}
        rows: list[tuple[int, str, str, str]] = []
        for lineno, line in block:
            if line.startswith("#") and not rows:
                m = _META_RE.fullmatch(line)
                if m:
                    meta[m.group(1)] = m.group(2) or ""
                    continue
                if not _is_row(line):
                    continue  # a comment
            cols = _columns(line)
            if len(cols) != 3:
                raise InputError(f"expected WORD MASK TAG, got {len(cols)} column(s): {line!r}",
                                 path=src, line=lineno)
            rows.append((lineno, *cols))
        if not rows and not meta:
            continue
        rec_id = meta.get("id") or default_id(path, n)
        n += 1
        try:
            yield _block_record(rows, meta, rec_id, src, block[0][0], report, repair)
        except InputError as err:
            report.fail(err, raw="\n".join("\t".join(r[1:]) for r in rows))
    check_not_empty(n, path)


def _block_record(rows, meta, rec_id, src, first_line, report, repair) -> Record:
    words = [w for _, w, _, _ in rows]
    for lineno, word, mask, _ in rows:
        if not _MASK_RE.fullmatch(mask):
            raise InputError(f"mask {mask!r} may only contain X (entity) and O (outside)",
                             path=src, line=lineno, record_id=rec_id)
        if len(mask) != len(word):
            raise InputError(f"mask {mask!r} has {len(mask)} letters but word {word!r} has "
                             f"{len(word)} characters", path=src, line=lineno, record_id=rec_id)
    if "text" in meta:
        text = meta["text"]
        offsets = locate_tokens(text, words)
        if offsets is None:
            raise InputError("the words do not spell the '# text =' line", path=src,
                             line=first_line, record_id=rec_id)
    else:
        text, offsets = join_tokens(words)
    try:
        ranges, problems = decode_tags([t for _, _, _, t in rows], "bio")
    except TagError as exc:
        raise InputError(str(exc), path=src, line=first_line, record_id=rec_id) from None
    for p in problems:
        if not repair:
            raise InputError(p.message + " (use --repair to start a new entity there)",
                             path=src, line=rows[p.index][0], record_id=rec_id)
        report.warn("tags-repaired", p.message, path=src, line=rows[p.index][0],
                    record_id=rec_id)
    in_entity = set()
    entities = []
    for first, end, type_ in ranges:
        in_entity.update(range(first, end))
        entities.append(_masked_entity(rows, offsets, text, first, end, type_, src, rec_id))
    for i, (lineno, word, mask, tag) in enumerate(rows):
        if i not in in_entity and "X" in mask:
            raise InputError(f"mask {mask!r} marks characters of {word!r}, which is tagged "
                             f"{tag}", path=src, line=lineno, record_id=rec_id)
    return Record(rec_id, text, entities)


def _masked_entity(rows, offsets, text, first, end, type_, src, rec_id):
    last = end - 1
    for i in range(first, end):
        lineno, word, mask, _ = rows[i]
        x = [k for k, c in enumerate(mask) if c == "X"]
        where = dict(path=src, line=lineno, record_id=rec_id)
        if not x:
            raise InputError(f"word {word!r} is tagged as part of a {type_} entity but its "
                             f"mask {mask!r} marks no character", **where)
        if x != list(range(x[0], x[-1] + 1)):
            raise InputError(f"mask {mask!r} of {word!r} marks characters that are not "
                             "contiguous", **where)
        if i < last and x[-1] != len(word) - 1:
            raise InputError(f"the {type_} entity continues on the next word but the mask "
                             f"{mask!r} of {word!r} stops before the word ends", **where)
        if i > first and x[0] != 0:
            raise InputError(f"the {type_} entity continues from the previous word but the "
                             f"mask {mask!r} of {word!r} does not start at the word start",
                             **where)
    start = offsets[first][0] + rows[first][2].index("X")
    end_char = offsets[last][0] + rows[last][2].rindex("X") + 1
    return make_entity(text, start, end_char, type_)


def write_charmask(path: str | os.PathLike, records: Iterable[Record], *,
                   report: Report | None = None, unaligned: Unaligned = "drop") -> int:
    """Write records as word, mask and tag columns. An entity sharing a word with
    another, or starting or ending on whitespace, cannot be carried: it is dropped
    and reported (``unaligned="error"`` rejects the record instead)."""
    report = report or Report()
    src = str(path)

    def render(rec: Record) -> str | None:
        lines = _record_lines(rec, src, report, unaligned)
        return None if lines is None else "".join(lines)

    return write_blocks(path, records, report, "this format", render)


def _record_lines(rec: Record, src: str, report: Report, unaligned: Unaligned
                  ) -> list[str] | None:
    words = whitespace_spans(rec.text)
    masks = [["O"] * (e - s) for s, e in words]
    owner: dict[int, object] = {}
    ranges = []
    for ent in rec.sorted_entities():
        touched = [i for i, (s, e) in enumerate(words) if s < ent.end and ent.start < e]
        problem = None
        if rec.text[ent.start].isspace() or rec.text[ent.end - 1].isspace():
            problem = "starts or ends on whitespace"
        elif any(i in owner for i in touched):
            problem = "shares a word with another entity"
        if problem:
            msg = f"entity {ent.text!r} [{ent.start}:{ent.end}] {ent.type} {problem}; " \
                  "the word/mask format cannot carry it"
            if unaligned == "error":
                report.fail(InputError(msg, path=src, record_id=rec.id))
                return None
            report.warn("entity-dropped", msg, path=src, record_id=rec.id)
            continue
        for i in touched:
            owner[i] = ent
            s, _ = words[i]
            for k in range(max(ent.start, s), min(ent.end, words[i][1])):
                masks[i][k - s] = "X"
        ranges.append((touched[0], touched[-1] + 1, ent.type))
    tags = encode_tags(len(words), ranges)
    word_texts = [rec.text[s:e] for s, e in words]
    lines = [f"# id = {rec.id}\n"]
    if join_tokens(word_texts)[0] != rec.text:
        lines.append(f"# text = {rec.text}\n")
    lines += [f"{w}\t{''.join(m)}\t{t}\n" for w, m, t in zip(word_texts, masks, tags)]
    lines.append("\n")
    return lines
