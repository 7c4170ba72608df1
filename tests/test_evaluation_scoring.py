"""Golden tests: P/R/F1 of every match mode computed by hand for small cases."""

import pytest

from kmner.core.labelmap import LabelMap
from kmner.core.records import Entity, Record
from kmner.evaluation import score_records
from kmner.evaluation.matching import MATCH_MODES, overlap_pairs
from kmner.evaluation.scoring import PRF


def rec(i, text, *spans):
    return Record(i, text, [Entity(t, text[s:e], s, e) for s, e, t in spans])


# "급성 위염과 두통, 간 질환" : 급성 위염 [0:5] Disease, 두통 [7:9] Disease, 간 [11:12] Body
TEXT = "급성 위염과 두통, 간 질환"
GOLD = [rec(1, TEXT, (0, 5, "Disease"), (7, 9, "Disease"), (11, 12, "Body")),
        rec(2, "허리 통증", (0, 2, "Body"), (3, 5, "Disease"))]
PRED = [rec(1, TEXT, (3, 6, "Disease"),      # 위염과: overlaps 급성 위염, not exact
            (7, 9, "Disease"),               # exact hit
            (11, 12, "Disease")),            # right span, wrong type
        rec(2, "허리 통증", (0, 2, "Body"), (3, 5, "Disease"), (4, 5, "Body"))]  # 2 hits + spurious


def close(a, b):
    return abs(a - b) < 1e-12


def test_strict_hand_computed():
    s = score_records(GOLD, PRED)
    # tp: 두통, 허리, 통증 = 3; fp: 위염과, 간/Disease, 증/Body = 3; fn: 급성 위염, 간/Body = 2
    assert (s.micro.tp, s.micro.fp, s.micro.fn) == (3, 3, 2)
    assert close(s.micro.precision, 3 / 6) and close(s.micro.recall, 3 / 5)
    assert close(s.micro.f1, 2 * 0.5 * 0.6 / 1.1)
    assert s.recognition_rate == s.micro.recall
    body, dis = s.per_type["Body"], s.per_type["Disease"]
    assert (body.tp, body.fp, body.fn, body.support) == (1, 1, 1, 2)
    assert (dis.tp, dis.fp, dis.fn, dis.support) == (2, 2, 1, 3)
    assert close(s.macro_f1, (body.f1 + dis.f1) / 2)
    assert close(s.macro_precision, (0.5 + 0.5) / 2)
    assert close(s.macro_recall, (0.5 + 2 / 3) / 2)
    assert s.sentence_ids == [1, 2] and s.n_sentences == 2


def test_boundary_mode_ignores_type():
    s = score_records(GOLD, PRED, mode="boundary")
    # 간 now matches (credited to gold type Body); 위염과 and 증 still wrong.
    assert (s.micro.tp, s.micro.fp, s.micro.fn) == (4, 2, 1)
    assert s.per_type["Body"].tp == 2 and s.per_type["Body"].fp == 1


def test_overlap_and_partial_modes():
    ov = score_records(GOLD, PRED, mode="overlap")
    # 위염과 overlaps 급성 위염 (same type) -> full credit; 간 type differs -> no.
    # 증/Body overlaps 통증/Disease but type differs and 통증 is already taken.
    assert (ov.micro.tp, ov.micro.fp, ov.micro.fn) == (4, 2, 1)
    pa = score_records(GOLD, PRED, mode="partial")
    assert close(pa.micro.tp, 3.5) and close(pa.micro.fp, 2.5) and close(pa.micro.fn, 1.5)
    assert close(pa.micro.precision, 3.5 / 6) and close(pa.micro.recall, 3.5 / 5)


def test_overlap_pairs_are_one_to_one_and_prefer_exact():
    t = "가나다라마바"
    gold = [Entity("X", t[0:2], 0, 2), Entity("X", t[2:4], 2, 4)]
    pred = [Entity("X", t[0:4], 0, 4), Entity("X", t[2:4], 2, 4)]
    pairs = overlap_pairs(gold, pred, same_type=True)
    assert sorted(pairs) == [(0, 0), (1, 1)]
    s = score_records([rec(1, t, (0, 2, "X"), (2, 4, "X"))],
                      [rec(1, t, (0, 4, "X"))], mode="overlap")
    assert (s.micro.tp, s.micro.fp, s.micro.fn) == (1, 0, 1)


def test_duplicate_prediction_counts_once():
    s = score_records([rec(1, "두통", (0, 2, "Disease"))],
                      [rec(1, "두통", (0, 2, "Disease"), (0, 2, "Disease"))])
    assert (s.micro.tp, s.micro.fp, s.micro.fn) == (1, 1, 0)


@pytest.mark.parametrize("mode", MATCH_MODES)
def test_perfect_prediction_scores_one_in_every_mode(mode):
    s = score_records(GOLD, GOLD, mode=mode)
    assert s.micro.f1 == 1.0 and s.micro.fp == 0 and s.micro.fn == 0


def test_label_map_is_applied_to_both_sides_and_reported():
    gold = [rec(1, "두통 심함", (0, 2, "Symptom"))]
    pred = [rec(1, "두통 심함", (0, 2, "Disease"))]
    assert score_records(gold, pred).micro.f1 == 0.0
    s = score_records(gold, pred, label_map=LabelMap.parse("kbmc"))
    assert s.micro.f1 == 1.0 and s.label_map_counts == {"Symptom->Disease": 1}
    assert s.to_dict()["label_map_counts"] == {"Symptom->Disease": 1}


def test_prf_zero_division_is_zero():
    assert PRF().f1 == 0.0 and PRF(0, 3, 0).precision == 0.0 and PRF(0, 0, 2).recall == 0.0


def test_recognition_levels():
    from kmner.evaluation.criteria import recognition_level

    assert recognition_level(0.3) == "below minimum"
    assert recognition_level(0.72) == "target reached"
    assert recognition_level(0.95, 0.91) == "ideal reached"
    assert recognition_level(0.52, 0.46) == "minimum reached, but the CI reaches below 50%"
