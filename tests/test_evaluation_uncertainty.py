"""Bootstrap intervals, the paired test and the too-small-test-set rule."""

import random

import pytest

from kmner.core.records import Entity, Record
from kmner.evaluation import score_records
from kmner.evaluation.bootstrap import bootstrap_ci, per_type_cis, sentence_counts
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


def test_p_values_are_calibrated_under_the_null():
    """Two systems of the same quality (same noise, other draws) differ by chance
    only: at alpha 0.05 the test may call about 1 in 20 significant, not more."""
    gold = make_gold(120)
    hits = 0
    for k in range(40):
        a = score_records(gold, noisy(gold, 0.7, 100 + 2 * k))
        b = score_records(gold, noisy(gold, 0.7, 101 + 2 * k))
        hits += compare_scores(a, b, n_resamples=500, seed=k).p_value < 0.05
    assert hits <= 6  # expected 2; P(>= 7 of 40 | 5%) < 0.3%


def test_bootstrap_interval_covers_the_true_f1():
    """Draw test sets from one large population: the 95% sentence-bootstrap
    interval of each must cover the population's F1 about 95% of the time."""
    population = make_gold(4000)
    pred = noisy(population, 0.7, 7)
    true_f1 = score_records(population, pred).micro.f1
    rng = random.Random(3)
    covered = 0
    for k in range(100):
        idx = rng.sample(range(len(population)), 200)
        s = score_records([population[i] for i in idx], [pred[i] for i in idx])
        iv = bootstrap_ci(s.per_sentence, n_resamples=400, seed=k)
        covered += iv.low <= true_f1 <= iv.high
    # 93 here (95% expected); a 90% interval covers 83 and an 80% one 73: both fail
    assert covered >= 88


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
    """B's records in another order give B's result unchanged; pairing sentences
    by position instead would not."""
    gold = make_gold(60)
    a = score_records(gold, noisy(gold, 0.6, 5))
    b_pred = noisy(gold, 0.8, 6)
    b = score_records(gold, b_pred)
    order = list(range(len(gold)))
    random.Random(1).shuffle(order)
    b_shuffled = score_records([gold[i] for i in order], [b_pred[i] for i in order])
    t, u = (compare_scores(a, x, n_resamples=1000, seed=2) for x in (b, b_shuffled))
    assert (t.delta, t.low, t.high, t.p_value) == (u.delta, u.low, u.high, u.p_value)
    by_position = paired_test(sentence_counts(a.per_sentence),
                              sentence_counts(b_shuffled.per_sentence), n_resamples=1000, seed=2)
    assert (by_position.low, by_position.high) != (t.low, t.high)


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
    cfg = EvaluationConfig(n_resamples=200, allow_new_types=True)
    ev = evaluate(gold, noisy(gold, 0.7, 8), cfg)
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
