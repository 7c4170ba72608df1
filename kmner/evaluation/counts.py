"""Match counts of one type (or all types): true positives, false positives and
false negatives, with the precision, recall and F1 they imply."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PRF:
    """Counts for one type (or all), with derived precision, recall and F1.

    Counts are integers except in the ``partial`` match mode, where a partly
    overlapping span earns half a true positive (SemEval-2013 style)."""

    tp: float = 0
    fp: float = 0
    fn: float = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    def add(self, other: "PRF") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def to_dict(self) -> dict[str, float | int]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "tp": self.tp, "fp": self.fp, "fn": self.fn, "support": self.support}
