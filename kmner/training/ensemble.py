"""Predict with several models at once: a span's score is its mean score over the
models (0 where a model did not return it).

Models trained on the same gold with different seeds land up to 0.03 F1 apart on
the clinical test set; the average of three scored 0.792 there against 0.770 for
the three on their own (docs/results.md, eleventh session). Each model is asked for its
candidates with a low threshold and no span filter, so a span one model barely
missed still counts with its score; the ensemble threshold is the mean of the
models' own dev-tuned thresholds unless given."""

from __future__ import annotations

from typing import Sequence

from kmner.core.records import Entity, Record, make_entity
from kmner.training.model import LoadedModel
from kmner.training.predict import PredictStats, dedupe_spans, predict_records

#: Threshold each model's candidates are collected at before averaging.
CANDIDATE_THRESHOLD = 0.05


def _score(entity: Entity) -> float:
    score = (entity.meta or {}).get("score")
    if score is None:
        raise ValueError(f"span {entity.text!r} has no meta.score: average model predictions")
    return float(score)


def average_spans(members: Sequence[Sequence[Record]], threshold: float) -> list[Record]:
    """One record per record of the first member (same id and text) with the spans
    whose mean score reaches ``threshold``, the most confident first, no overlaps."""
    others = [{r.id: r for r in m} for m in members[1:]]
    out: list[Record] = []
    for first in members[0]:
        records = [first] + [o[first.id] for o in others]
        mean: dict[tuple[int, int, str], float] = {}
        for record in records:
            for e in record.entities:
                mean[e.key] = mean.get(e.key, 0.0) + _score(e) / len(records)
        passing = [(s, e, t, score) for (s, e, t), score in mean.items() if score >= threshold]
        out.append(Record(first.id, first.text,
                          [make_entity(first.text, s, e, t, {"score": round(score, 4)})
                           for s, e, t, score in dedupe_spans(passing)]))
    return out


def ensemble_threshold(models: Sequence[LoadedModel]) -> float:
    """The mean of the models' saved thresholds (0.5 for a model without one)."""
    return sum(float(m.meta.get("threshold", 0.5)) for m in models) / len(models)


def predict_ensemble(models: Sequence[LoadedModel], records: Sequence[Record], *,
                     types: dict[str, str] | Sequence[str] | None = None,
                     threshold: float | None = None, batch_size: int = 16,
                     chunk_words: int = 200, precision: str = "fp32", progress: bool = False,
                     stats: PredictStats | None = None) -> list[Record]:
    """Every model predicts every record; the spans are averaged as
    :func:`average_spans` says. ``types`` defaults to the first model's."""
    if len(models) < 2:
        raise ValueError("an ensemble needs at least two models")
    if types is None:
        types = models[0].descriptions
    if not types:
        raise ValueError("no entity types to predict: pass types or use models with kmner metadata")
    names = list(types)
    members, per_model = [], []
    for loaded in models:
        per_model.append(PredictStats())
        members.append(predict_records(
            loaded, records, types=types, threshold=CANDIDATE_THRESHOLD,
            thresholds={t: CANDIDATE_THRESHOLD for t in names}, batch_size=batch_size,
            chunk_words=chunk_words, progress=progress, stats=per_model[-1],
            precision=precision, span_morphology=None))
    if stats is not None:  # the records once; what every model dropped and spent, summed
        stats.records += per_model[0].records
        stats.chunked_records += per_model[0].chunked_records
        stats.chunks += per_model[0].chunks
        stats.dropped_past_end += sum(s.dropped_past_end for s in per_model)
        stats.seconds += sum(s.seconds for s in per_model)
    return average_spans(members, ensemble_threshold(models) if threshold is None else threshold)
