"""Tokens for token-based writers and the alignment of entity spans to them.

Token formats (KBMC TSV, CoNLL, spaCy) can only carry spans whose edges are token
edges. When a span cuts a Kiwi token (a gazetteer match inside a longer noun, for
instance) the writer's ``unaligned`` policy decides, and every case is reported:

* ``split`` (default): cut the token at the span edge, so the span survives exactly;
* ``drop``: leave the entity out of that record;
* ``error``: reject the record.

Spans that start or end on whitespace or overlap another span cannot be carried by
any token format; they are dropped (or rejected under ``error``) and reported.
"""

from __future__ import annotations

from typing import Literal, Sequence

from kmner.core.errors import InputError
from kmner.core.kiwi_tokens import cut_tokens, kiwi_spans, whitespace_spans
from kmner.core.records import Entity, Record, make_entity
from kmner.data.report import Report

Unaligned = Literal["split", "drop", "error"]
Tokenizer = Literal["kiwi", "whitespace"]


def token_spans(text: str, tokenizer: Tokenizer) -> list[tuple[int, int]]:
    """Token offsets of ``text``: Kiwi tokens (core/kiwi_tokens.py) or whitespace runs."""
    if tokenizer == "kiwi":
        return kiwi_spans(text)
    if tokenizer == "whitespace":
        return whitespace_spans(text)
    raise ValueError(f"unknown tokenizer {tokenizer!r}; choose kiwi or whitespace")


def align_record(record: Record, tokenizer: Tokenizer, *, unaligned: Unaligned = "split",
                 report: Report, path: str | None = None
                 ) -> tuple[list[tuple[int, int]], list[tuple[int, int, str]]] | None:
    """The record's ``tokenizer`` token spans (possibly cut) and entity token ranges
    ``(first, last+1, type)``, or None when the record was rejected."""
    text = record.text
    tokens = token_spans(text, tokenizer)
    kept: list[Entity] = []
    for ent in record.sorted_entities():
        problem = None
        if text[ent.start].isspace() or text[ent.end - 1].isspace():
            problem = "starts or ends on whitespace"
        elif kept and ent.start < kept[-1].end:
            problem = f"overlaps {kept[-1].text!r} [{kept[-1].start}:{kept[-1].end}]"
        if problem is not None:
            msg = f"entity {ent.text!r} [{ent.start}:{ent.end}] {ent.type} {problem}; " \
                  f"token formats cannot carry it"
            if unaligned == "error":
                report.fail(InputError(msg, path=path, record_id=record.id))
                return None
            report.warn("entity-dropped", msg, path=path, record_id=record.id)
            continue
        kept.append(ent)

    starts = {s for s, _ in tokens}
    ends = {e for _, e in tokens}
    cuts: set[int] = set()
    final: list[Entity] = []
    for ent in kept:
        if ent.start in starts and ent.end in ends:
            final.append(ent)
            continue
        msg = f"entity {ent.text!r} [{ent.start}:{ent.end}] {ent.type} does not align " \
              f"to {tokenizer} tokens"
        if unaligned == "error":
            report.fail(InputError(msg, path=path, record_id=record.id))
            return None
        if unaligned == "drop":
            report.warn("entity-dropped", msg + "; left out", path=path, record_id=record.id)
            continue
        report.warn("token-split", msg + "; token cut at the entity edge", path=path,
                    record_id=record.id)
        cuts.update((ent.start, ent.end))
        final.append(ent)

    if cuts:
        tokens = cut_tokens(tokens, cuts)
    index_of_start = {s: i for i, (s, _) in enumerate(tokens)}
    index_of_end = {e: i for i, (_, e) in enumerate(tokens)}
    ranges = [(index_of_start[e.start], index_of_end[e.end] + 1, e.type) for e in final]
    return list(tokens), ranges


def spans_to_entities(text: str, token_offsets: Sequence[tuple[int, int]],
                      ranges: Sequence[tuple[int, int, str]]) -> list[Entity]:
    """Entities for token ranges: from the first token's start to the last one's end."""
    return [make_entity(text, token_offsets[a][0], token_offsets[b - 1][1], t)
            for a, b, t in ranges]
