"""Spans <-> BIO tag sequences, one tag per character, and seqeval's view of them.

Tagging every code point (spaces included) keeps every span expressible: an
entity may start or end anywhere, be one character long, or touch its neighbour
(B-X I-X B-X keeps two adjacent same-type spans apart). Only overlapping spans
cannot be written as BIO, and they are an error rather than silently dropped.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from kmner.core.errors import InputError
from kmner.core.records import Entity, Record

OUTSIDE = "O"


def spans_to_bio(text: str, entities: Iterable[Entity], *, record_id: object = None
                 ) -> list[str]:
    """One IOB2 tag per character of ``text``."""
    tags = [OUTSIDE] * len(text)
    for e in sorted(entities, key=lambda e: (e.start, e.end)):
        if not (0 <= e.start < e.end <= len(text)):
            raise InputError(f"entity [{e.start}:{e.end}] {e.type} lies outside the text "
                             f"(length {len(text)})", record_id=record_id)
        if any(t != OUTSIDE for t in tags[e.start:e.end]):
            raise InputError(f"entity {e.text!r} [{e.start}:{e.end}] overlaps another span; "
                             "overlapping spans cannot be written as BIO", record_id=record_id)
        tags[e.start] = f"B-{e.type}"
        for i in range(e.start + 1, e.end):
            tags[i] = f"I-{e.type}"
    return tags


def bio_to_spans(text: str, tags: Sequence[str]) -> list[Entity]:
    """Inverse of spans_to_bio for well-formed IOB2 (a stray I- starts a span,
    as in conlleval)."""
    if len(tags) != len(text):
        raise ValueError(f"{len(tags)} tags for a text of {len(text)} characters")
    spans: list[Entity] = []
    start, type_ = None, None
    for i, tag in enumerate(list(tags) + [OUTSIDE]):
        prefix, _, label = tag.partition("-")
        continues = prefix == "I" and label == type_ and start is not None
        if start is not None and not continues:
            spans.append(Entity(type_, text[start:i], start, i))
            start, type_ = None, None
        if prefix in ("B", "I") and not continues:
            start, type_ = i, label
    return spans


def records_to_bio(records: Iterable[Record]) -> list[list[str]]:
    return [spans_to_bio(r.text, r.entities, record_id=r.id) for r in records]


def seqeval_scores(gold: Sequence[Record], pred: Sequence[Record]) -> dict[str, float]:
    """seqeval's entity-level micro P/R/F1 on the per-character IOB2 form of
    aligned records (strict IOB2 mode, so no tag repair happens)."""
    from seqeval.metrics import f1_score, precision_score, recall_score
    from seqeval.scheme import IOB2

    y_true = records_to_bio(gold)
    y_pred = records_to_bio(pred)
    kw = {"mode": "strict", "scheme": IOB2, "zero_division": 0}
    return {"precision": float(precision_score(y_true, y_pred, **kw)),
            "recall": float(recall_score(y_true, y_pred, **kw)),
            "f1": float(f1_score(y_true, y_pred, **kw))}
