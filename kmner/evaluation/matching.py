"""Lenient match modes beside the strict headline, in the style of MUC and
SemEval-2013 task 9.1.

- ``strict``: exact start, end and type (the headline).
- ``boundary``: exact start and end, type ignored. A hit is credited to the gold
  type; an unmatched prediction is a false positive of its own type.
- ``overlap``: same type and any character overlap earns full credit.
- ``partial``: same type; exact boundaries earn 1, a partial overlap earns 1/2
  (SemEval's "partial" credit, but with the type required).

Lenient modes pair spans one to one, so a long prediction covering two gold
spans matches only one of them. Pairing is greedy and deterministic: exact
boundaries first, then the largest overlap, then leftmost.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Sequence

from kmner.core.records import Entity
from kmner.evaluation.counts import PRF

MATCH_MODES = ("strict", "boundary", "overlap", "partial")

MODE_DESCRIPTIONS = {
    "strict": "exact start, end and type (headline)",
    "boundary": "exact start and end, type ignored",
    "overlap": "same type, any overlap counts fully",
    "partial": "same type, exact = 1, partial overlap = 1/2 (SemEval)",
}

SentenceCounter = Callable[[Sequence[Entity], Sequence[Entity]], dict[str, PRF]]


def strict_sentence_counts(gold: Sequence[Entity], pred: Sequence[Entity]
                           ) -> dict[str, PRF]:
    """Per-type counts for one sentence under exact (start, end, type) matching.
    A duplicated prediction of the same span matches at most once."""
    gold_keys = Counter(e.key for e in gold)
    pred_keys = Counter(e.key for e in pred)
    sent: dict[str, PRF] = {}
    for key in gold_keys.keys() | pred_keys.keys():
        hit = min(gold_keys[key], pred_keys[key])
        c = sent.setdefault(key[2], PRF())
        c.tp += hit
        c.fn += gold_keys[key] - hit
        c.fp += pred_keys[key] - hit
    return sent


def overlap_pairs(gold: Sequence[Entity], pred: Sequence[Entity], *,
                  same_type: bool) -> list[tuple[int, int]]:
    """One-to-one (gold index, pred index) pairs of overlapping spans, greedy:
    exact boundaries first, then the largest overlap, then leftmost."""
    candidates = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if not g.overlaps(p) or (same_type and g.type != p.type):
                continue
            exact = g.start == p.start and g.end == p.end
            shared = min(g.end, p.end) - max(g.start, p.start)
            candidates.append((not exact, -shared, g.start, p.start, gi, pi))
    candidates.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for *_, gi, pi in candidates:
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        pairs.append((gi, pi))
    return pairs


def boundary_counts(gold: Sequence[Entity], pred: Sequence[Entity]) -> dict[str, PRF]:
    unmatched = list(pred)
    sent: dict[str, PRF] = {}
    for g in gold:
        hit = next((p for p in unmatched if p.start == g.start and p.end == g.end), None)
        if hit is not None:
            unmatched.remove(hit)
            sent.setdefault(g.type, PRF()).tp += 1
        else:
            sent.setdefault(g.type, PRF()).fn += 1
    for p in unmatched:
        sent.setdefault(p.type, PRF()).fp += 1
    return sent


def _overlap_counts(gold: Sequence[Entity], pred: Sequence[Entity], *,
                    partial_credit: float) -> dict[str, PRF]:
    sent: dict[str, PRF] = {}
    credit_g = [0.0] * len(gold)
    credit_p = [0.0] * len(pred)
    for gi, pi in overlap_pairs(gold, pred, same_type=True):
        g, p = gold[gi], pred[pi]
        c = 1.0 if (g.start, g.end) == (p.start, p.end) else partial_credit
        credit_g[gi] = credit_p[pi] = c
    for g, c in zip(gold, credit_g):
        prf = sent.setdefault(g.type, PRF())
        prf.tp += c
        prf.fn += 1 - c
    for p, c in zip(pred, credit_p):
        sent.setdefault(p.type, PRF()).fp += 1 - c
    return sent


def overlap_counts(gold: Sequence[Entity], pred: Sequence[Entity]) -> dict[str, PRF]:
    return _overlap_counts(gold, pred, partial_credit=1.0)


def partial_counts(gold: Sequence[Entity], pred: Sequence[Entity]) -> dict[str, PRF]:
    return _overlap_counts(gold, pred, partial_credit=0.5)


_COUNTERS: dict[str, SentenceCounter] = {
    "strict": strict_sentence_counts,
    "boundary": boundary_counts,
    "overlap": overlap_counts,
    "partial": partial_counts,
}


def sentence_counter(mode: str) -> SentenceCounter:
    try:
        return _COUNTERS[mode]
    except KeyError:
        raise ValueError(f"unknown match mode {mode!r}; use one of {', '.join(MATCH_MODES)}"
                         ) from None
