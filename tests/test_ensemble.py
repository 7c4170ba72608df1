"""``kmner predict --ensemble-with``: spans kept by their mean score over several
models (real GLiNER2 on tiny random encoders, real Kiwi)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kmner.cli import app
from kmner.core.jsonl import write_records
from kmner.core.records import Entity, Record
from kmner.training.ensemble import (CANDIDATE_THRESHOLD, average_spans, ensemble_threshold,
                                     predict_ensemble)
from kmner.training.model import load_model
from kmner.training.predict import PredictStats, predict_records
from tests.training_fixtures import TINY_TYPES, build_tiny_base

pytestmark = pytest.mark.filterwarnings("ignore")
logging.getLogger("gliner2").setLevel(logging.WARNING)

TEXT = "허리 통증 과 두통"
TEXTS = [Record("a", "당뇨병이 있는 환자는 혈당을 관리해야 합니다."),
         Record("b", "고혈압과 두통이 심하면 병원에 가세요.")]


def _rec(*spans: tuple[int, int, str, float]) -> Record:
    return Record("r1", TEXT, [Entity(t, TEXT[s:e], s, e, meta={"score": p}) for s, e, t, p in spans])


def test_mean_score_decides_and_a_missing_span_counts_as_zero():
    a = _rec((0, 2, "Body", 0.9), (3, 5, "Symptom", 0.9), (8, 10, "Symptom", 0.8))
    b = _rec((0, 2, "Body", 0.7), (8, 10, "Symptom", 0.1))
    out = average_spans([[a], [b]], threshold=0.5)[0]
    # 허리 (0.8) stays; 통증 (0.45, one model only) and 두통 (0.45) fall below 0.5
    assert [(e.text, e.type, e.meta["score"]) for e in out.entities] == [("허리", "Body", 0.8)]


def test_overlaps_are_resolved_by_mean_score():
    a = _rec((0, 5, "Symptom", 0.9), (0, 2, "Body", 0.6))
    b = _rec((0, 5, "Symptom", 0.2), (0, 2, "Body", 0.9))
    out = average_spans([[a], [b]], threshold=0.3)[0]
    assert [e.text for e in out.entities] == ["허리"]  # 0.75 beats the overlapping 0.55


def test_a_span_without_a_score_is_refused():
    a = Record("r1", TEXT, [Entity("Body", "허리", 0, 2)])
    with pytest.raises(ValueError, match="no meta.score"):
        average_spans([[a], [a]], threshold=0.5)


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("ensemble")
    return [build_tiny_base(folder, seed=seed) for seed in (0, 1)]


def _keys(records: list[Record]) -> list[list[tuple]]:
    return [sorted(e.key for e in r.entities) for r in records]


def test_one_model_twice_is_that_model_at_the_same_threshold(bases):
    loaded = load_model(str(bases[0]), device="cpu")
    scores = sorted(e.meta["score"] for r in predict_records(
        loaded, TEXTS, types=TINY_TYPES, threshold=CANDIDATE_THRESHOLD, span_morphology=None)
        for e in r.entities)
    # halfway between two scores (scores are rounded to 4 places, and GLiNER2 compares
    # its own), so that it keeps some spans and drops others
    k = len(scores) // 2
    assert scores[k - 1] < scores[k]
    threshold = (scores[k - 1] + scores[k]) / 2
    alone = predict_records(loaded, TEXTS, types=TINY_TYPES, threshold=threshold,
                            span_morphology=None)
    twice = predict_ensemble([loaded, loaded], TEXTS, types=TINY_TYPES, threshold=threshold)
    kept = sum(len(r.entities) for r in alone)
    assert 0 < kept < len(scores) and _keys(twice) == _keys(alone)


def test_two_models_average_and_default_to_their_mean_threshold(bases):
    models = [load_model(str(b), device="cpu") for b in bases]
    for m, thr in zip(models, (0.2, 0.6)):
        m.meta["threshold"] = thr
    assert ensemble_threshold(models) == pytest.approx(0.4)
    stats = PredictStats()
    out = predict_ensemble(models, TEXTS, types=TINY_TYPES, stats=stats)
    assert stats.records == len(TEXTS)  # counted once, not once per model
    members = [predict_records(m, TEXTS, types=TINY_TYPES, threshold=CANDIDATE_THRESHOLD,
                               span_morphology=None) for m in models]
    assert _keys(out) == _keys(average_spans(members, 0.4))
    assert _keys(out) != _keys(members[0]) and all(
        e.meta["score"] >= 0.4 for r in out for e in r.entities)


def test_cli_ensemble_and_what_it_refuses(bases, tmp_path):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_records(inp, TEXTS)
    runner = CliRunner()
    common = ["predict", str(bases[0]), str(inp), "--types", ",".join(TINY_TYPES),
              "--ensemble-with", str(bases[1])]
    res = runner.invoke(app, common + ["-o", str(out), "--threshold", "0.3"])
    assert res.exit_code == 0, res.output
    assert "(mean of 2 models)" in res.output
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in written] == ["a", "b"]
    for extra in (["--thresholds", "Body=0.4"], ["--engine", "spark"]):
        bad = runner.invoke(app, common + ["-o", str(tmp_path / "x.jsonl")] + extra)
        assert bad.exit_code == 2 and "--ensemble-with" in bad.output
    assert not (tmp_path / "x.jsonl").exists()
