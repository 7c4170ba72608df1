"""Entity-level scoring of aligned gold and predicted records under one match mode
(matching.py). The strict mode, exact start, end and type, is the headline figure
and equals seqeval's entity F1 on aligned BIO (tests/test_evaluation_seqeval.py).

``PRF`` lives in counts.py and is re-exported here, where callers expect it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from kmner.core.errors import InputError
from kmner.core.labelmap import LabelMap
from kmner.core.records import Record
from kmner.evaluation.counts import PRF
from kmner.evaluation.matching import sentence_counter

__all__ = ["PRF", "Scores", "align_records", "score_pairs", "score_records"]


@dataclass
class Scores:
    """Micro, macro and per-type strict scores, plus per-sentence counts that the
    bootstrap resamples."""

    micro: PRF
    per_type: dict[str, PRF]
    per_sentence: list[dict[str, PRF]] = field(default_factory=list)
    label_map_counts: dict[str, int] = field(default_factory=dict)
    sentence_ids: list = field(default_factory=list)
    mode: str = "strict"

    def _macro(self, metric: str) -> float:
        # Macro averages run over every type seen on either side, so a type the
        # system never predicts still pulls the average down.
        vals = [getattr(p, metric) for p in self.per_type.values()]
        return sum(vals) / len(vals) if vals else 0.0

    @property
    def macro_f1(self) -> float:
        return self._macro("f1")

    @property
    def macro_precision(self) -> float:
        return self._macro("precision")

    @property
    def macro_recall(self) -> float:
        return self._macro("recall")

    @property
    def recognition_rate(self) -> float:
        """Entity recall on its own: the share of gold entities found exactly.
        The project plan states its success criteria in these terms."""
        return self.micro.recall

    @property
    def n_sentences(self) -> int:
        return len(self.per_sentence)

    def to_dict(self) -> dict:
        return {"mode": self.mode, "micro": self.micro.to_dict(),
                "macro": {"precision": self.macro_precision, "recall": self.macro_recall,
                          "f1": self.macro_f1},
                "macro_f1": self.macro_f1,
                "recognition_rate": self.recognition_rate,
                "per_type": {t: p.to_dict() for t, p in sorted(self.per_type.items())},
                "n_sentences": self.n_sentences,
                "label_map_counts": dict(self.label_map_counts)}


def align_records(gold: Iterable[Record], pred: Iterable[Record], *,
                  gold_name: str = "gold", pred_name: str = "pred"
                  ) -> list[tuple[Record, Record]]:
    """Pair gold and predicted records by id. Missing ids and differing texts are
    errors that name the id, never silently skipped."""
    gold_by_id: dict = {}
    for r in gold:
        if r.id in gold_by_id:
            raise InputError(f"duplicate id in {gold_name}", record_id=r.id)
        gold_by_id[r.id] = r
    pairs = []
    seen = set()
    for p in pred:
        if p.id in seen:
            raise InputError(f"duplicate id in {pred_name}", record_id=p.id)
        seen.add(p.id)
        g = gold_by_id.get(p.id)
        if g is None:
            raise InputError(f"id is in {pred_name} but not in {gold_name}", record_id=p.id)
        if g.text != p.text:
            raise InputError(f"text differs between {gold_name} and {pred_name}",
                             record_id=p.id)
        pairs.append((g, p))
    missing = [i for i in gold_by_id if i not in seen]
    if missing:
        raise InputError(f"{len(missing)} id(s) in {gold_name} have no prediction, e.g. "
                         f"{missing[:3]!r}")
    return pairs


def score_pairs(pairs: Sequence[tuple[Record, Record]], mode: str = "strict") -> Scores:
    """Scores of aligned (gold, pred) pairs under one match mode (see matching.py)."""
    count = sentence_counter(mode)
    micro = PRF()
    per_type: dict[str, PRF] = {}
    per_sentence: list[dict[str, PRF]] = []
    for g, p in pairs:
        sent = count(g.entities, p.entities)
        for t, c in sent.items():
            per_type.setdefault(t, PRF()).add(c)
            micro.add(c)
        per_sentence.append(sent)
    return Scores(micro, per_type, per_sentence, sentence_ids=[g.id for g, _ in pairs],
                  mode=mode)


def score_records(gold: Iterable[Record], pred: Iterable[Record], *,
                  label_map: LabelMap | None = None, mode: str = "strict") -> Scores:
    """Scores of ``pred`` against ``gold`` (paired by id), after an optional label
    map applied to both sides and reported. ``mode`` defaults to strict matching."""
    counts: Counter = Counter()
    gold, pred = list(gold), list(pred)
    if label_map:
        gold = label_map.apply(gold, counts)
        pred = label_map.apply(pred, counts)
    scores = score_pairs(align_records(gold, pred), mode)
    scores.label_map_counts = dict(counts)
    return scores
