"""Evaluation on the team's real gold test set (read from ../shared, never copied)."""

import pytest

from eval_helpers import perturb
from kmner.core.jsonl import load_records
from kmner.core.labelmap import LabelMap
from kmner.evaluation import score_records
from kmner.evaluation.bio import seqeval_scores
from kmner.evaluation.evaluate import EvaluationConfig, evaluate

pytestmark = pytest.mark.shared


def test_diagnosis_test_set(shared_data):
    gold = load_records(shared_data / "gold" / "diagnosis" / "test.jsonl")
    pred = perturb(gold, 0, types=("Disease", "Body", "Symptom"))
    lm = LabelMap.parse("kbmc")
    s = score_records(gold, pred, label_map=lm)
    mapped_g, mapped_p = lm.apply(gold), lm.apply(pred)
    assert s.micro.f1 == pytest.approx(seqeval_scores(mapped_g, mapped_p)["f1"], abs=1e-12)
    ev = evaluate(gold, pred, EvaluationConfig(label_map="kbmc", n_resamples=300))
    assert ev.n_sentences == len(gold) >= 300
    assert not ev.too_small, ev.warnings
    assert set(ev.per_type) == {"Disease", "Body"}
    assert ev.label_map_counts.get("Symptom->Disease", 0) > 0
