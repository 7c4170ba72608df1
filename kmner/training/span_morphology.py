"""Which morphemes may make up an entity: learned from gold, applied to predictions.

GLiNER2 scores every word-token span, and a trained model still returns spans no
annotator would draw: two entities joined across a comma (기침인지 , 가래), or a
symptom with the clause before it (무리함으로써 허리 통증). Gold entities have a
narrow morphology: none of diagnosis/train's 2,258 contains punctuation, and
particles or connective endings inside one are rare. So kmner counts, over the
training gold, the Kiwi tags of each entity's first, inner and last morphemes,
and a predicted span passes only when every tag it has in each position was seen
there in at least ``min_count`` training entities. A rejected span is counted,
never silently moved: prediction asks GLiNER2 for all overlapping candidates, so
the pieces of a rejected span (기침, 가래) still compete on their own scores.

The counts live in the model's ``kmner.json`` (``span_morphology``), written by
``kmner train`` when ``span_filter_min_count`` is set (off by default: counts
learned from a few dozen entities are too narrow); ``kmner predict
--span-filter-from GOLD.jsonl`` learns them for any model.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from kmner.core.morph import Morph, analyze_many
from kmner.core.records import Record
from kmner.gazetteer.boundaries import base_tag  # VV-R, VA-I count as VV, VA

POSITIONS = ("first", "inside", "last")


def span_tags(morphs: Sequence[Morph], start: int, end: int) -> list[str]:
    """Base tags of the non-empty morphemes lying wholly inside ``[start, end)``,
    in order. A morpheme cut by an edge is the word splitter's business, not
    this filter's, so it is left out rather than judged."""
    return [base_tag(m.tag) for m in morphs if start <= m.start and m.end <= end and m.end > m.start]


@dataclass
class SpanMorphology:
    """Tag counts over training entities. ``first``/``last``: entities whose first
    (last) morpheme has the tag; ``inside``: entities with the tag strictly between
    them. ``min_count``: how many entities must show a tag in a position before a
    prediction may have it there (1 = seen once)."""

    first: dict[str, int] = field(default_factory=dict)
    inside: dict[str, int] = field(default_factory=dict)
    last: dict[str, int] = field(default_factory=dict)
    entities: int = 0
    min_count: int = 2

    def __post_init__(self) -> None:
        if not isinstance(self.min_count, int) or self.min_count < 1:
            raise ValueError(f"span_morphology min_count must be an integer >= 1, got {self.min_count!r}")

    def allows(self, tags: Sequence[str]) -> bool:
        """Whether a span with these morpheme tags looks like a training entity.
        A span with no whole morpheme cannot be judged and passes."""
        if not tags:
            return True
        k = self.min_count
        return (self.first.get(tags[0], 0) >= k and self.last.get(tags[-1], 0) >= k
                and all(self.inside.get(t, 0) >= k for t in tags[1:-1]))

    def to_dict(self) -> dict:
        return {"entities": self.entities, "min_count": self.min_count,
                **{p: dict(sorted(getattr(self, p).items())) for p in POSITIONS}}

    @classmethod
    def from_dict(cls, data: dict) -> "SpanMorphology":
        counts = {p: {str(k): int(v) for k, v in (data.get(p) or {}).items()} for p in POSITIONS}
        return cls(**counts, entities=int(data.get("entities", 0)),
                   min_count=int(data.get("min_count", 2)))


def learn_span_morphology(records: Iterable[Record], min_count: int = 2) -> SpanMorphology:
    """Count the tags of every gold entity in ``records``."""
    records = list(records)
    counts = {p: Counter() for p in POSITIONS}
    n = 0
    for rec, morphs in zip(records, analyze_many(r.text for r in records)):
        for ent in rec.entities:
            tags = span_tags(morphs, ent.start, ent.end)
            if not tags:
                continue
            n += 1
            counts["first"][tags[0]] += 1
            counts["last"][tags[-1]] += 1
            for t in set(tags[1:-1]):
                counts["inside"][t] += 1
    if n == 0:
        raise ValueError("no gold entity to learn span morphology from")
    return SpanMorphology(**{p: dict(c) for p, c in counts.items()}, entities=n,
                          min_count=min_count)


def filter_spans(texts: Sequence[str], spans: Sequence[list[tuple[int, int, str, float]]],
                 morphology: SpanMorphology) -> tuple[list[list[tuple[int, int, str, float]]], int]:
    """The spans of each text that ``morphology`` allows, and how many it rejected."""
    kept: list[list[tuple[int, int, str, float]]] = [list(x) for x in spans]
    judged = [i for i, text_spans in enumerate(spans) if text_spans]  # Kiwi only where needed
    rejected = 0
    for i, morphs in zip(judged, analyze_many(texts[i] for i in judged)):
        kept[i] = [sp for sp in spans[i] if morphology.allows(span_tags(morphs, sp[0], sp[1]))]
        rejected += len(spans[i]) - len(kept[i])
    return kept, rejected
