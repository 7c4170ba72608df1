from kmner.core.records import Entity, Record
from kmner.evaluation import score_records
from kmner.evaluation.bootstrap import bootstrap_ci


def _r(i, text, *spans):
    return Record(i, text, [Entity(t, text[s:e], s, e) for s, e, t in spans])


def test_strict_scores_hand_computed():
    gold = [_r(1, "당뇨병과 간", (0, 3, "Disease"), (5, 6, "Body")),
            _r(2, "두통", (0, 2, "Disease"))]
    pred = [_r(1, "당뇨병과 간", (0, 3, "Disease"), (5, 6, "Disease")),
            _r(2, "두통", )]
    s = score_records(gold, pred)
    assert (s.micro.tp, s.micro.fp, s.micro.fn) == (1, 1, 2)
    assert abs(s.micro.precision - 0.5) < 1e-12 and abs(s.micro.recall - 1 / 3) < 1e-12
    assert abs(s.micro.f1 - 0.4) < 1e-12
    assert s.per_type["Body"].fn == 1 and s.per_type["Disease"].fp == 1


def test_bootstrap_is_seeded_and_brackets_value():
    gold = [_r(i, "간 위", (0, 1, "Body"), (2, 3, "Body")) for i in range(50)]
    pred = [_r(i, "간 위", (0, 1, "Body")) if i % 3 else _r(i, "간 위") for i in range(50)]
    s = score_records(gold, pred)
    a = bootstrap_ci(s.per_sentence, seed=3)
    b = bootstrap_ci(s.per_sentence, seed=3)
    assert a == b
    assert a.low <= a.value <= a.high and a.high - a.low > 0
