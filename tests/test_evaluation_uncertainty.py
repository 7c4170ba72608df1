"""Bootstrap intervals, the paired test and the too-small-test-set rule."""

import random

import pytest

from kmner.core.records import Entity, Record
from kmner.evaluation import score_records
from kmner.evaluation.bootstrap import bootstrap_ci, per_type_cis
from kmner.evaluation.compare import compare_systems, system_from_evaluation
from kmner.evaluation.evaluate import EvaluationConfig, evaluate
from kmner.evaluation.render_html import evaluation_html
from kmner.evaluation.render_md import evaluation_markdown
from kmner.evaluation.significance import (MIN_SENTENCES, adequacy_warnings, compare_scores,
                                           paired_test)

TEXT = "간염과 위염 그리고 두통"
SPANS = [(0, 2, "Disease"), (4, 6, "Disease"), (11, 13, "Disease"), (0, 1, "Body")]


def make_gold(n):
    return [Record(i, TEXT, [Entity(t, TEXT[s:e], s, e) for s, e, t in SPANS[:3]])
            for i in range(n)]


def noisy(gold, keep, seed):
    rng = random.Random(seed)
    out = []
    for r in gold:
        ents = [e for e in r.entities if rng.random() < keep]
        if rng.random() > keep:
            ents.append(Entity("Body", "간", 0, 1))
        out.append(r.copy_with(ents))
    return out


def test_bootstrap_per_type_is_seeded_and_reproducible():
    gold = make_gold(60)
    s = score_records(gold, noisy(gold, 0.7, 1))
    a = per_type_cis(s.per_sentence, seed=5, n_resamples=300)
    b = per_type_cis(s.per_sentence, seed=5, n_resamples=300)
    c = per_type_cis(s.per_sentence, seed=6, n_resamples=300)
    assert a == b and a != c
    assert set(a) == {"Disease", "Body"}
    d = a["Disease"]
    assert d.low <= d.value <= d.high and d.value == pytest.approx(s.per_type["Disease"].f1)


def test_identical_systems_give_p_one():
    gold = make_gold(320)
    pred = noisy(gold, 0.7, 2)
    a = score_records(gold, pred)
    t = compare_scores(a, score_records(gold, pred), n_resamples=2000, seed=0)
    assert t.delta == 0 and t.p_value == 1.0 and t.p_bootstrap == 1.0
    assert t.low == 0 and t.high == 0 and not t.significant
    assert t.verdict() == "no significant difference"


def test_clearly_better_system_gives_small_p():
    gold = make_gold(320)
    weak = score_records(gold, noisy(gold, 0.6, 3))
    strong = score_records(gold, noisy(gold, 0.8, 4))
    t = compare_scores(weak, strong, n_resamples=2000, seed=0)
    assert t.delta > 0.1
    assert t.p_value < 0.01 and t.p_bootstrap < 0.01
    assert 0 < t.low < t.delta < t.high
    assert t.verdict() == "better"
    # Reversed order: same p, negative delta.
    r = compare_scores(strong, weak, n_resamples=2000, seed=0)
    assert r.delta == pytest.approx(-t.delta) and r.verdict() == "worse"


def test_paired_test_aligns_sentences_by_id():
    gold = make_gold(40)
    pred = noisy(gold, 0.7, 5)
    a = score_records(gold, pred)
    b = score_records(gold, list(reversed(pred)))  # same predictions, other order
    assert compare_scores(a, b, n_resamples=500).p_value == 1.0


def test_small_difference_on_small_set_is_not_significant():
    gold = make_gold(10)
    a = score_records(gold, noisy(gold, 0.6, 6))
    b = score_records(gold, noisy(gold, 0.7, 7))
    t = compare_scores(a, b, n_resamples=2000)
    assert not t.significant or abs(t.delta) > 0.3
    assert t.verdict() == "test set too small to tell"


def test_adequacy_rule():
    assert adequacy_warnings(10, 100)[0].startswith("only 10 test sentences")
    assert adequacy_warnings(MIN_SENTENCES, 100) == []
    assert any("entities" in w for w in adequacy_warnings(100, 5))
    iv = bootstrap_ci(score_records(make_gold(12), noisy(make_gold(12), 0.5, 1)).per_sentence)
    assert any("CI" in w for w in adequacy_warnings(1000, 1000, iv)) == (iv.high - iv.low > 0.2)


def test_ten_sentence_set_warns_everywhere():
    gold = make_gold(10)
    ev = evaluate(gold, noisy(gold, 0.7, 8), EvaluationConfig(n_resamples=200, allow_new_types=True))
    assert ev.too_small and ev.to_dict()["too_small"] is True
    assert "TEST SET TOO SMALL" in evaluation_markdown(ev)
    html = evaluation_html(ev)
    assert 'class="alert"' in html and "Test set too small" in html
    big = evaluate(make_gold(200), noisy(make_gold(200), 0.7, 8),
                   EvaluationConfig(n_resamples=200, allow_new_types=True))
    assert not big.too_small and 'class="alert"' not in evaluation_html(big)


def test_comparison_of_evaluations():
    gold = make_gold(300)
    cfg = EvaluationConfig(n_resamples=200, n_permutations=1000, allow_new_types=True)
    a = system_from_evaluation("before", evaluate(gold, noisy(gold, 0.6, 9), cfg))
    b = system_from_evaluation("after", evaluate(gold, noisy(gold, 0.85, 10), cfg))
    cmp = compare_systems([a, b], n_permutations=1000, n_resamples=200)
    t = cmp.tests["after"]["F1 (micro)"]
    assert t.significant and t.delta > 0
    assert set(cmp.intervals["after"]) == {"Disease", "Body", "micro"}
    d = cmp.to_dict()
    assert d["comparisons"]["after"]["F1 (micro)"]["p_value"] == t.p_value


def test_paired_test_empty_is_safe():
    import numpy as np

    t = paired_test(np.zeros((0, 3)), np.zeros((0, 3)))
    assert t.p_value == 1.0 and t.n_sentences == 0
