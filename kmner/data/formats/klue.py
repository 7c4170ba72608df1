"""KLUE-NER character-per-line files: a ``## <id>\\t<tagged sentence>`` comment,
then one ``character\\tTAG`` line per character (spaces included), BIO prefix tags,
and a blank line between sentences. Other ``##`` lines are header comments.
"""

from __future__ import annotations

import os
from typing import Iterable, Iterator

from kmner.core.errors import InputError
from kmner.core.records import Record
from kmner.data.report import Report
from kmner.data.tags import TagError, decode_tags, encode_tags
from kmner.data.textio import check_not_empty, default_id, iter_blocks, write_blocks
from kmner.data.tokens import spans_to_entities


def read_klue(path: str | os.PathLike, *, report: Report | None = None, repair: bool = False,
              encoding: str = "utf-8") -> Iterator[Record]:
    report = report or Report()
    src = str(path)
    n = 0
    for block in iter_blocks(path, encoding):
        rec_id = None
        chars: list[str] = []
        rows: list[tuple[int, str]] = []
        for lineno, line in block:
            if line.startswith("##") and not rows:
                body = line[2:].lstrip(" ")
                if "\t" in body:
                    rec_id = body.split("\t", 1)[0]
                continue
            if "\t" not in line:
                raise InputError(f"expected CHARACTER<TAB>TAG, got {line!r}", path=src,
                                 line=lineno)
            ch, tag = line.rsplit("\t", 1)
            if len(ch) != 1:
                raise InputError(f"expected one character before the tab, got {ch!r}",
                                 path=src, line=lineno)
            chars.append(ch)
            rows.append((lineno, tag))
        if not rows and rec_id is None:
            continue
        rec_id = rec_id or default_id(path, n)
        n += 1
        text = "".join(chars)
        raw = "\n".join(f"{c}\t{t}" for c, (_, t) in zip(chars, rows))
        try:
            ranges, problems = decode_tags([t for _, t in rows], "bio")
        except TagError as exc:
            report.fail(InputError(str(exc), path=src, line=block[0][0], record_id=rec_id),
                        raw=raw)
            continue
        if problems and not repair:
            p = problems[0]
            report.fail(InputError(p.message + " (use --repair to start a new entity there)",
                                   path=src, line=rows[p.index][0], record_id=rec_id), raw=raw)
            continue
        for p in problems:
            report.warn("tags-repaired", p.message, path=src, line=rows[p.index][0],
                        record_id=rec_id)
        offsets = [(i, i + 1) for i in range(len(text))]
        yield Record(rec_id, text, spans_to_entities(text, offsets, ranges))
    check_not_empty(n, path)


def _tagged(rec: Record) -> str:
    out, pos = [], 0
    for e in rec.sorted_entities():
        out.append(rec.text[pos:e.start])
        out.append(f"<{e.text}:{e.type}>")
        pos = e.end
    out.append(rec.text[pos:])
    return "".join(out)


def write_klue(path: str | os.PathLike, records: Iterable[Record], *,
               report: Report | None = None) -> int:
    report = report or Report()
    src = str(path)

    def render(rec: Record) -> str | None:
        ents = rec.sorted_entities()
        clash = next((b for a, b in zip(ents, ents[1:]) if a.overlaps(b)), None)
        if clash is not None:
            report.fail(InputError(f"entity {clash.text!r} [{clash.start}:{clash.end}] "
                                   "overlaps another; BIO cannot carry it", path=src,
                                   record_id=rec.id))
            return None
        tags = encode_tags(len(rec.text), [(e.start, e.end, e.type) for e in ents])
        rows = "".join(f"{ch}\t{tag}\n" for ch, tag in zip(rec.text, tags))
        return f"## {rec.id}\t{_tagged(rec)}\n{rows}\n"

    return write_blocks(path, records, report, "a character-per-line file", render)
