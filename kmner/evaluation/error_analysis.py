"""Where the errors are: a type confusion table with "missed" and "spurious",
the most frequent false negatives and positives with context, and boundary
errors sorted into kinds that point at a fix (a particle swallowed, a modifier
dropped, ...).

The confusion table pairs spans with exactly the same boundaries, so its
diagonal is the strict true positives, a gold type's row sums to its support and
a predicted type's column to its prediction count. Spans that only overlap are
counted as missed and spurious there, and classified in the boundary table.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Sequence

from kmner.core.records import Entity, Record
from kmner.evaluation.matching import overlap_pairs

MISSED = "(missed)"
SPURIOUS = "(spurious)"

# Common Korean particles and copula endings that attach directly to a noun.
# A prediction that runs past the gold end by exactly one of these has
# swallowed a particle (간이, 두통을, 위염입니다).
PARTICLES = frozenset("""
이 가 은 는 을 를 의 에 에서 에게 께 께서 한테 으로 로 으로는 로는 으로도 로도 과 와 도 만 까지 부터
이나 나 이랑 랑 에는 에도 에서는 에서도 처럼 보다 같이 마다 조차 밖에 뿐 이며 며 이고 고 이다 다 입니다
이에요 예요 이라 라 이라는 라는 인 이란 란 에의 으로의 로의 과의 와의 들 들이 들은 들을 들의 들에
""".split())

BOUNDARY_KINDS = {
    "particle included": "prediction runs on into a particle or copula (간이, 두통을)",
    "suffix added": "prediction runs on past the gold end (not a particle)",
    "suffix dropped": "prediction stops before the gold end (간경변증 -> 간경변)",
    "modifier dropped": "prediction starts after the gold start (급성 위염 -> 위염)",
    "modifier added": "prediction starts before the gold start",
    "too long": "prediction extends the gold span on both sides",
    "too short": "prediction lies inside the gold span, short on both sides",
    "crossing": "spans overlap but each sticks out on a different side",
}


def boundary_kind(text: str, gold: Entity, pred: Entity) -> str:
    """Classify an overlapping, non-identical (gold, pred) pair."""
    if pred.start == gold.start:
        if pred.end > gold.end:
            return "particle included" if text[gold.end:pred.end] in PARTICLES \
                else "suffix added"
        return "suffix dropped"
    if pred.end == gold.end:
        return "modifier dropped" if pred.start > gold.start else "modifier added"
    if pred.start < gold.start and pred.end > gold.end:
        return "too long"
    if pred.start > gold.start and pred.end < gold.end:
        return "too short"
    return "crossing"


def context(text: str, start: int, end: int, width: int = 20) -> tuple[str, str, str]:
    left = text[max(0, start - width):start]
    right = text[end:end + width]
    return (("…" if start > width else "") + left, text[start:end],
            right + ("…" if end + width < len(text) else ""))


@dataclass
class Example:
    record_id: object
    left: str
    span: str
    right: str
    note: str = ""

    def to_dict(self) -> dict:
        return {"id": self.record_id, "left": self.left, "span": self.span,
                "right": self.right, "note": self.note}


@dataclass
class FrequentError:
    text: str
    type: str
    count: int
    examples: list[Example] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"text": self.text, "type": self.type, "count": self.count,
                "examples": [e.to_dict() for e in self.examples]}


@dataclass
class BoundaryError:
    record_id: object
    kind: str
    gold: Entity
    pred: Entity

    def to_dict(self) -> dict:
        return {"id": self.record_id, "kind": self.kind,
                "gold": {"text": self.gold.text, "type": self.gold.type,
                         "start": self.gold.start, "end": self.gold.end},
                "pred": {"text": self.pred.text, "type": self.pred.type,
                         "start": self.pred.start, "end": self.pred.end},
                "type_also_wrong": self.gold.type != self.pred.type}


@dataclass
class ErrorAnalysis:
    confusion: dict[str, dict[str, int]]
    row_labels: list[str]
    col_labels: list[str]
    false_negatives: list[FrequentError]
    false_positives: list[FrequentError]
    boundary_counts: dict[str, int]
    boundary_examples: dict[str, list[BoundaryError]]
    n_fn: int
    n_fp: int
    sentences_with_errors: list[tuple[Record, Record]]

    def to_dict(self) -> dict:
        return {
            "confusion": {"rows": self.row_labels, "cols": self.col_labels,
                          "counts": self.confusion,
                          "note": "exact boundaries; rows gold, columns predicted"},
            "false_negatives": [e.to_dict() for e in self.false_negatives],
            "false_positives": [e.to_dict() for e in self.false_positives],
            "n_false_negatives": self.n_fn, "n_false_positives": self.n_fp,
            "boundary_errors": {k: {"count": self.boundary_counts.get(k, 0),
                                    "description": d,
                                    "examples": [b.to_dict() for b in
                                                 self.boundary_examples.get(k, [])]}
                                for k, d in BOUNDARY_KINDS.items()},
        }


def _exact_pairs(gold: Sequence[Entity], pred: Sequence[Entity]
                 ) -> tuple[list[tuple[Entity, Entity]], list[Entity], list[Entity]]:
    """One-to-one pairs with identical boundaries (same type preferred), plus
    the unpaired gold and predictions."""
    free = list(pred)
    pairs = []
    left_gold = []
    for g in sorted(gold, key=lambda e: (e.start, e.end, e.type)):
        same = [p for p in free if (p.start, p.end) == (g.start, g.end)]
        if same:
            p = next((p for p in same if p.type == g.type), same[0])
            free.remove(p)
            pairs.append((g, p))
        else:
            left_gold.append(g)
    return pairs, left_gold, free


def analyse_errors(pairs: Sequence[tuple[Record, Record]], *, top_k: int = 15,
                   examples_per_error: int = 3, max_boundary_examples: int = 5,
                   context_width: int = 20) -> ErrorAnalysis:
    """Error analysis of aligned (gold, pred) records under strict matching."""
    confusion: dict[str, Counter] = defaultdict(Counter)
    fn_groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    fp_groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    fn_counts: Counter = Counter()
    fp_counts: Counter = Counter()
    b_counts: Counter = Counter()
    b_examples: dict[str, list[BoundaryError]] = defaultdict(list)
    with_errors = []
    types: set[str] = set()
    for g_rec, p_rec in pairs:
        text = g_rec.text
        types.update(e.type for e in g_rec.entities)
        types.update(e.type for e in p_rec.entities)
        exact, free_gold, free_pred = _exact_pairs(g_rec.entities, p_rec.entities)
        for g, p in exact:
            confusion[g.type][p.type] += 1
        for g in free_gold:
            confusion[g.type][MISSED] += 1
        for p in free_pred:
            confusion[SPURIOUS][p.type] += 1
        wrong_type = [(g, p) for g, p in exact if g.type != p.type]
        fn = free_gold + [g for g, _ in wrong_type]
        fp = free_pred + [p for _, p in wrong_type]
        if fn or fp:
            with_errors.append((g_rec, p_rec))
        overlapping = {}
        for gi, pi in overlap_pairs(free_gold, free_pred, same_type=False):
            g, p = free_gold[gi], free_pred[pi]
            kind = boundary_kind(text, g, p)
            overlapping[id(g)] = p
            overlapping[id(p)] = g
            b_counts[kind] += 1
            if len(b_examples[kind]) < max_boundary_examples:
                b_examples[kind].append(BoundaryError(g_rec.id, kind, g, p))
        # Wrong-type exact pairs and overlapping pairs are disjoint, so one map
        # gives each unmatched span the span it was confused with, if any.
        for g, p in wrong_type:
            overlapping[id(g)] = p
            overlapping[id(p)] = g
        for spans, counts, groups, found, nothing in (
                (fn, fn_counts, fn_groups, "predicted", "nothing predicted"),
                (fp, fp_counts, fp_groups, "gold has", "no gold span here")):
            for span in spans:
                key = (span.text, span.type)
                counts[key] += 1
                if len(groups[key]) < examples_per_error:
                    other = overlapping.get(id(span))
                    note = f"{found} {other.text!r} as {other.type}" if other else nothing
                    groups[key].append(Example(g_rec.id, *context(text, span.start, span.end,
                                                                  context_width), note))
    type_list = sorted(types)
    rows = type_list + [SPURIOUS]
    cols = type_list + [MISSED]
    table = {r: {c: int(confusion[r][c]) for c in cols} for r in rows}

    def frequent(counts: Counter, groups) -> list[FrequentError]:
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]
        return [FrequentError(t, ty, n, groups[(t, ty)]) for (t, ty), n in ranked]

    return ErrorAnalysis(table, rows, cols, frequent(fn_counts, fn_groups),
                         frequent(fp_counts, fp_groups), dict(b_counts), dict(b_examples),
                         sum(fn_counts.values()), sum(fp_counts.values()), with_errors)
