"""The result model of one evaluation, how it is serialised to metrics.json, and
the per-sentence table that lets ``kmner compare`` rebuild its scores."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from kmner.core.labelmap import LabelMap
from kmner.core.records import Record
from kmner.core.runinfo import environment, to_mapping
from kmner.evaluation.bootstrap import Interval
from kmner.evaluation.config import EvaluationConfig
from kmner.evaluation.counts import PRF
from kmner.evaluation.criteria import RECOGNITION_CRITERIA, recognition_level
from kmner.evaluation.error_analysis import ErrorAnalysis
from kmner.evaluation.matching import MODE_DESCRIPTIONS
from kmner.evaluation.scoring import Scores
from kmner.evaluation.threshold import PRCurve

METRICS_FORMAT = "kmner-evaluation/1"


@dataclass
class Evaluation:
    """Everything one evaluation found. Scores-like: ``.micro``, ``.per_type``,
    ``.per_sentence``, ``.macro_f1`` and ``.recognition_rate`` are the strict ones."""

    strict: Scores
    modes: dict[str, Scores]
    intervals: dict[str, Interval]
    per_type_intervals: dict[str, Interval]
    mode_intervals: dict[str, Interval]
    errors: ErrorAnalysis
    curve: PRCurve | None
    warnings: list[str]
    n_gold_entities: int
    n_pred_entities: int
    fingerprint: str
    config: EvaluationConfig
    label_map: LabelMap
    title: str = "Evaluation"
    inputs: dict[str, Any] = field(default_factory=dict)
    pairs: list[tuple[Record, Record]] = field(default_factory=list, repr=False)
    # Things the reader must know that do not make the test set too small.
    notes: list[str] = field(default_factory=list)
    new_types: dict[str, int] = field(default_factory=dict)

    micro = property(lambda self: self.strict.micro)
    per_type = property(lambda self: self.strict.per_type)
    per_sentence = property(lambda self: self.strict.per_sentence)
    sentence_ids = property(lambda self: self.strict.sentence_ids)
    macro_f1 = property(lambda self: self.strict.macro_f1)
    recognition_rate = property(lambda self: self.strict.recognition_rate)
    n_sentences = property(lambda self: self.strict.n_sentences)
    label_map_counts = property(lambda self: self.strict.label_map_counts)

    @property
    def too_small(self) -> bool:
        return bool(self.warnings)

    def to_dict(self) -> dict:
        types = sorted(self.strict.per_type)
        per_type = {}
        for t in types:
            d = self.strict.per_type[t].to_dict()
            d["f1_ci"] = self.per_type_intervals[t].to_dict()
            per_type[t] = d
        rate = self.recognition_rate
        return {
            "format": METRICS_FORMAT,
            "title": self.title,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "seed": self.config.seed,
            "config": to_mapping(self.config),
            "environment": environment(),
            "inputs": {**self.inputs, "n_sentences": self.n_sentences,
                       "n_gold_entities": self.n_gold_entities,
                       "n_pred_entities": self.n_pred_entities,
                       "gold_fingerprint": self.fingerprint},
            "label_map": {"mapping": self.label_map.mapping,
                          "description": self.label_map.describe(),
                          "applied": dict(self.strict.label_map_counts)},
            "headline": {"mode": "strict", "f1": self.micro.f1,
                         "f1_ci": self.intervals["f1"].to_dict(),
                         "precision": self.micro.precision, "recall": self.micro.recall},
            "recognition_rate": {"value": rate, "ci": self.intervals["recall"].to_dict(),
                                 "level": recognition_level(rate, self.intervals["recall"].low),
                                 "criteria": dict(RECOGNITION_CRITERIA)},
            "too_small": self.too_small,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "new_types": dict(self.new_types),
            "strict": {**self.strict.to_dict(),
                       "ci": {k: v.to_dict() for k, v in self.intervals.items()}},
            "per_type": per_type,
            "modes": {m: {**s.to_dict(), "description": MODE_DESCRIPTIONS[m],
                          "f1_ci": self.mode_intervals[m].to_dict()}
                      for m, s in self.modes.items()},
            "threshold": ({"threshold": self.config.threshold,
                           "source": self.config.threshold_source}
                          if self.config.threshold is not None else None),
            "pr_curve": self.curve.to_dict() if self.curve else None,
            "errors": self.errors.to_dict(),
            "per_sentence": per_sentence_table(self.strict),
        }


def per_sentence_table(scores: Scores) -> dict:
    """Compact per-sentence counts, enough for kmner compare to rerun paired tests."""
    types = sorted({t for s in scores.per_sentence for t in s})
    counts = [[[_num(s[t].tp), _num(s[t].fp), _num(s[t].fn)] if t in s else [0, 0, 0]
               for t in types] for s in scores.per_sentence]
    return {"ids": list(scores.sentence_ids), "types": types, "counts": counts}


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def scores_from_table(table: dict, *, label_map_counts: dict | None = None) -> Scores:
    """Rebuild strict Scores from per_sentence_table output."""
    types = table["types"]
    per_sentence = []
    micro = PRF()
    per_type: dict[str, PRF] = {}
    for row in table["counts"]:
        sent = {}
        for t, (tp, fp, fn) in zip(types, row):
            if tp or fp or fn:
                sent[t] = PRF(tp, fp, fn)
                per_type.setdefault(t, PRF()).add(sent[t])
                micro.add(sent[t])
        per_sentence.append(sent)
    return Scores(micro, per_type, per_sentence, dict(label_map_counts or {}),
                  list(table["ids"]))
