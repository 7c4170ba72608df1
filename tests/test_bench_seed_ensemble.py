"""The seed-ensemble reference in bench/ averages span scores over models, counts a
span a model did not return as 0, and keeps the result flat."""

from __future__ import annotations

import pytest

from kmner.core.records import Entity, Record
from tests.script_loader import load_script


def _bench():
    return load_script("bench/seed_ensemble.py")


TEXT = "허리 통증 과 두통"


def _rec(*spans: tuple[int, int, str, float]) -> Record:
    return Record("r1", TEXT, [Entity(t, TEXT[s:e], s, e, meta={"score": p}) for s, e, t, p in spans])


def test_mean_score_decides_and_missing_counts_as_zero():
    a = _rec((0, 2, "Body", 0.9), (3, 5, "Symptom", 0.9), (8, 10, "Symptom", 0.8))
    b = _rec((0, 2, "Body", 0.7), (8, 10, "Symptom", 0.1))
    out = _bench().average_spans([[a], [b]], threshold=0.5)[0]
    # 허리 (0.8) stays; 통증 (0.45, one model only) and 두통 (0.45) fall below 0.5
    assert [(e.text, e.type, e.meta["score"]) for e in out.entities] == [("허리", "Body", 0.8)]


def test_overlaps_resolved_by_mean_score():
    a = _rec((0, 5, "Symptom", 0.9), (0, 2, "Body", 0.6))
    b = _rec((0, 5, "Symptom", 0.2), (0, 2, "Body", 0.9))
    out = _bench().average_spans([[a], [b]], threshold=0.3)[0]
    assert [e.text for e in out.entities] == ["허리"]  # 0.75 beats the overlapping 0.55


def test_span_without_score_is_refused():
    a = Record("r1", TEXT, [Entity("Body", "허리", 0, 2)])
    with pytest.raises(ValueError, match="no meta.score"):
        _bench().average_spans([[a], [a]], threshold=0.5)
