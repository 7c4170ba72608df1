"""Type specificity: does a model answer the type it is asked for?

A span model that has learned *where* entities are but not *which type* the prompt
asks for returns entity spans whatever type it is given. Asking each type alone
shows it: of the returned spans that are gold entities (exact boundaries), the
share whose gold type is the asked type. 1.0 means the model never answers a
Body query with a Disease mention; a type-blind model scores about the share of
the asked type among all gold mentions. Spans that match no gold entity are
ordinary false positives and are left out here (precision already counts them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from kmner.core.records import Record


@dataclass
class Specificity:
    """Per asked type: returned spans that are gold mentions of that type
    (``own``) and of another type (``other``, by gold type)."""

    own: dict[str, int] = field(default_factory=dict)
    other: dict[str, dict[str, int]] = field(default_factory=dict)

    def share(self, type_: str) -> float:
        own = self.own.get(type_, 0)
        total = own + sum(self.other.get(type_, {}).values())
        return own / total if total else 0.0

    @property
    def micro(self) -> float:
        own = sum(self.own.values())
        total = own + sum(sum(v.values()) for v in self.other.values())
        return own / total if total else 0.0

    def to_dict(self) -> dict:
        return {"micro": self.micro,
                "per_type": {t: {"specificity": self.share(t), "own": self.own.get(t, 0),
                                 "other": dict(sorted(self.other.get(t, {}).items()))}
                             for t in sorted(self.own)}}

    def lines(self) -> list[str]:
        out = [f"type specificity (each type asked alone): micro {self.micro:.3f}"]
        for t in sorted(self.own):
            other = self.other.get(t, {})
            detail = ", ".join(f"{k} {v}" for k, v in sorted(other.items())) or "none"
            out.append(f"  {t:<12} {self.share(t):.3f}  ({self.own[t]} own spans; "
                       f"other gold types: {detail})")
        return out


def type_specificity(gold: Sequence[Record],
                     asked_alone: Mapping[str, Sequence[Record]]) -> Specificity:
    """``asked_alone[T]`` holds the predictions made with T as the only type
    (records aligned with ``gold`` by id)."""
    gold_types = {r.id: {(e.start, e.end): e.type for e in r.entities} for r in gold}
    spec = Specificity()
    for asked, preds in asked_alone.items():
        spec.own[asked] = 0
        other: dict[str, int] = {}
        for rec in preds:
            spans = gold_types.get(rec.id, {})
            for e in {(e.start, e.end) for e in rec.entities}:
                t = spans.get(e)
                if t is None:
                    continue
                if t == asked:
                    spec.own[asked] += 1
                else:
                    other[t] = other.get(t, 0) + 1
        spec.other[asked] = other
    return spec
