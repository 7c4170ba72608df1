"""Differential test: strict micro P/R/F1 equals seqeval's entity-level scores on
the per-character IOB2 form of the same records."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmner.core.errors import InputError
from kmner.core.records import Entity, Record
from kmner.evaluation import score_records
from kmner.evaluation.bio import bio_to_spans, seqeval_scores, spans_to_bio

TYPES = ("Disease", "Body", "Treatment")


@st.composite
def span_set(draw, text):
    """Non-overlapping spans with random types; adjacency, single characters and
    spans touching either end of the text are all likely."""
    n = len(text)
    cuts = sorted(draw(st.sets(st.integers(0, n), max_size=min(n + 1, 10))) | {0, n})
    spans = []
    for s, e in zip(cuts, cuts[1:]):
        if e > s and draw(st.booleans()):
            t = draw(st.sampled_from(TYPES))
            spans.append(Entity(t, text[s:e], s, e))
    return spans


@st.composite
def gold_and_pred(draw):
    n_sent = draw(st.integers(1, 6))
    gold, pred = [], []
    for i in range(n_sent):
        text = draw(st.text(alphabet="간위두통 염증가", min_size=1, max_size=14))
        g = draw(span_set(text))
        # Predictions: often copy gold spans (possibly retyped), sometimes fresh.
        if draw(st.booleans()):
            p = [e if draw(st.integers(0, 3)) else e.with_type(draw(st.sampled_from(TYPES)))
                 for e in g if draw(st.integers(0, 4))]
        else:
            p = draw(span_set(text))
        gold.append(Record(i, text, g))
        pred.append(Record(i, text, p))
    return gold, pred


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gold_and_pred())
def test_strict_micro_equals_seqeval(data):
    gold, pred = data
    ours = score_records(gold, pred).micro
    theirs = seqeval_scores(gold, pred)
    assert ours.precision == pytest.approx(theirs["precision"], abs=1e-12)
    assert ours.recall == pytest.approx(theirs["recall"], abs=1e-12)
    assert ours.f1 == pytest.approx(theirs["f1"], abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="간위 통", min_size=1, max_size=12).flatmap(
    lambda t: st.tuples(st.just(t), span_set(t))))
def test_bio_round_trip(data):
    text, spans = data
    tags = spans_to_bio(text, spans)
    assert len(tags) == len(text)
    assert [e.key for e in bio_to_spans(text, tags)] == sorted(e.key for e in spans)


def test_edge_cases_explicitly():
    # Adjacent same-type spans, single characters, spans at both text ends.
    text = "간위두통"
    gold = [Record(0, text, [Entity("Body", "간", 0, 1), Entity("Body", "위", 1, 2),
                             Entity("Disease", "두통", 2, 4)])]
    pred = [Record(0, text, [Entity("Body", "간위", 0, 2), Entity("Disease", "두통", 2, 4)])]
    assert spans_to_bio(text, gold[0].entities) == ["B-Body", "B-Body", "B-Disease",
                                                    "I-Disease"]
    ours = score_records(gold, pred).micro
    assert (ours.tp, ours.fp, ours.fn) == (1, 1, 2)
    assert seqeval_scores(gold, pred)["f1"] == pytest.approx(ours.f1)
    assert ours.f1 == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))


def test_overlapping_spans_cannot_be_bio():
    text = "간경변증"
    with pytest.raises(InputError, match="overlaps"):
        spans_to_bio(text, [Entity("Disease", text, 0, 4), Entity("Body", "간", 0, 1)],
                     record_id="r1")
