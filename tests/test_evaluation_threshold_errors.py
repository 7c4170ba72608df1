"""Threshold sweep (chosen on dev only) and error analysis."""

import pytest

from kmner.core.errors import InputError
from kmner.core.records import Entity, Record
from kmner.evaluation import score_records
from kmner.evaluation.error_analysis import MISSED, SPURIOUS, analyse_errors, boundary_kind
from kmner.evaluation.evaluate import EvaluationConfig, choose_threshold_on_dev, evaluate
from kmner.evaluation.scoring import align_records
from kmner.evaluation.threshold import (apply_threshold, choose_threshold, entity_confidence,
                                        pr_curve)


def ent(text, s, e, t, score=None, where="meta"):
    extra = {"score": score} if score is not None else None
    return Entity(t, text[s:e], s, e, extra if where == "meta" else None,
                  extra if where == "extra" else None)


T = "두통 기침 발열 오한"  # 두통[0:2] 기침[3:5] 발열[6:8] 오한[9:11]
GOLD = [Record(1, T, [ent(T, 0, 2, "D"), ent(T, 3, 5, "D"), ent(T, 6, 8, "D")])]
PRED = [Record(1, T, [ent(T, 0, 2, "D", 0.9), ent(T, 9, 11, "D", 0.8),
                      ent(T, 3, 5, "D", 0.6), ent(T, 6, 8, "D", 0.3, where="extra")])]


def test_pr_curve_hand_computed():
    c = pr_curve(GOLD, PRED)
    got = [(p.threshold, p.n_predicted, round(p.precision, 6), round(p.recall, 6))
           for p in c.points]
    assert got == [(0.9, 1, 1.0, round(1 / 3, 6)), (0.8, 2, 0.5, round(1 / 3, 6)),
                   (0.6, 3, round(2 / 3, 6), round(2 / 3, 6)), (0.3, 4, 0.75, 1.0)]
    best = c.best()
    assert best.threshold == 0.3 and best.f1 == pytest.approx(2 * 0.75 / 1.75)


def test_confidence_keys():
    assert entity_confidence(Entity("D", "x", 0, 1, {"confidence": 0.4})) == 0.4
    assert entity_confidence(Entity("D", "x", 0, 1, None, {"score": 1})) == 1.0
    assert entity_confidence(Entity("D", "x", 0, 1, {"score": "high"})) is None


def test_choose_on_dev_apply_on_test_and_unscored_kept():
    choice = choose_threshold(GOLD, PRED)
    assert choice.threshold == 0.3 and choice.chosen_on == "dev"
    test_pred = [Record(1, T, [ent(T, 0, 2, "D", 0.2), ent(T, 3, 5, "D", 0.5),
                               ent(T, 6, 8, "D")])]
    kept = apply_threshold(test_pred, choice)[0].entities
    assert [(e.start, e.end) for e in kept] == [(3, 5), (6, 8)]
    assert apply_threshold(test_pred, 0.5)[0].entities == kept


def test_threshold_cannot_be_chosen_on_the_test_set():
    with pytest.raises(InputError, match="dev set is the test set"):
        choose_threshold_on_dev(GOLD, PRED, test_gold=GOLD)
    with pytest.raises(InputError, match="no confidences"):
        choose_threshold([GOLD[0]], [Record(1, T, [ent(T, 0, 2, "D")])])
    ev = evaluate(GOLD, PRED, EvaluationConfig(threshold=0.7, n_resamples=50))
    assert ev.micro.tp == 1 and ev.micro.fp == 1  # 두통 and the spurious 오한 remain
    assert ev.curve is not None and len(ev.curve.points) == 4
    assert ev.to_dict()["threshold"]["threshold"] == 0.7


@pytest.mark.parametrize("gold,pred,kind", [
    ((0, 1), (0, 2), "particle included"),   # 간 -> 간이
    ((0, 1), (0, 3), "suffix added"),        # 간 -> "간이 "
    ((6, 10), (6, 9), "suffix dropped"),     # 간경변증 -> 간경변
    ((13, 18), (16, 18), "modifier dropped"),  # 급성 위염 -> 위염
    ((16, 18), (13, 18), "modifier added"),
    ((16, 18), (15, 19), "too long"),
    ((13, 18), (14, 17), "too short"),
    ((6, 10), (3, 8), "crossing"),
])
def test_boundary_kinds(gold, pred, kind):
    text = "간이 아파 간경변증 . 급성 위염 ."
    assert text[6:10] == "간경변증" and text[13:18] == "급성 위염"
    g = Entity("Disease", text[gold[0]:gold[1]], *gold)
    p = Entity("Disease", text[pred[0]:pred[1]], *pred)
    assert boundary_kind(text, g, p) == kind


def test_error_analysis_tables():
    text = "급성 위염과 간이 아프고 두통"  # 급성 위염[0:5] 간[7:8] 두통[14:16]
    gold = [Record(1, text, [ent(text, 0, 5, "Disease"), ent(text, 7, 8, "Body"),
                             ent(text, 14, 16, "Disease")]),
            Record(2, "두통", [ent("두통", 0, 2, "Disease")])]
    pred = [Record(1, text, [ent(text, 3, 5, "Disease"), ent(text, 7, 9, "Body"),
                             ent(text, 14, 16, "Body")]),
            Record(2, "두통", [])]
    ea = analyse_errors(align_records(gold, pred))
    c = ea.confusion
    assert c["Disease"]["Body"] == 1 and c["Disease"][MISSED] == 2 and c["Body"][MISSED] == 1
    assert c[SPURIOUS]["Disease"] == 1 and c[SPURIOUS]["Body"] == 1
    # Rows sum to gold support, columns to prediction counts.
    s = score_records(gold, pred)
    for t in ("Disease", "Body"):
        assert sum(c[t].values()) == s.per_type[t].support
    assert ea.boundary_counts == {"modifier dropped": 1, "particle included": 1}
    top = ea.false_negatives[0]
    assert (top.text, top.type, top.count) == ("두통", "Disease", 2)
    assert ea.n_fn == s.micro.fn and ea.n_fp == s.micro.fp
    notes = {ex.note for fe in ea.false_negatives for ex in fe.examples}
    assert "predicted '위염' as Disease" in notes and "predicted '두통' as Body" in notes
    assert len(ea.sentences_with_errors) == 2
