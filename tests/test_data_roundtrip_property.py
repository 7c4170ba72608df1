"""Random records round-trip through every writer/reader pair that can carry them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmner.core.records import Record, entity_problems, make_entity
from kmner.data import formats
from kmner.data.mentions import locate_mentions
from kmner.data.report import Report

ALPHABET = "가나다위염두통간암약은이를 .,()-abX19 \t"
TYPES = ["Disease", "Body", "Treatment", "ST"]


@st.composite
def records(draw):
    text = draw(st.text(alphabet=ALPHABET, max_size=24))
    cuts = draw(st.lists(st.tuples(st.integers(0, 24), st.integers(1, 6),
                                   st.sampled_from(TYPES)), max_size=4))
    ents = []
    for start, length, type_ in sorted(cuts):
        end = min(start + length, len(text))
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start >= end or any(start < e.end and e.start < end for e in ents):
            continue
        ents.append(make_entity(text, start, end, type_))
    return Record(f"id{draw(st.integers(0, 999))}", text, ents)


def words_shared(rec):
    import re
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", rec.text)]
    owners = {}
    for i, e in enumerate(rec.entities):
        for k, (s, t) in enumerate(words):
            if s < e.end and e.start < t:
                if owners.setdefault(k, i) != i:
                    return True
    return False


def mentions_recoverable(rec):
    found = locate_mentions(rec.text, [(e.type, e.text) for e in rec.entities])
    return set(found.entities) == set(rec.entities)


def key(rec):
    return (rec.id, rec.text, sorted((e.type, e.text, e.start, e.end) for e in rec.entities))


CASES = [("jsonl", "o.jsonl", None), ("kbmc", "o.tsv", None), ("kbmc", "o.csv", None),
         ("kbmc", "o.parquet", None), ("conll", "o.conll", None), ("klue", "o.klue", None),
         ("charmask", "o.txt", lambda r: not words_shared(r)), ("gliner2", "o.jsonl", None),
         ("instruct", "o.jsonl", mentions_recoverable), ("docbin", "o.spacy", None)]


@pytest.mark.parametrize("fmt,name,carries", CASES, ids=[f"{c[0]}{c[1]}" for c in CASES])
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rec=records())
def test_random_record_round_trips(tmp_path, fmt, name, carries, rec):
    assert entity_problems(rec) == []
    if carries is not None and not carries(rec):
        return
    report = Report()
    path = tmp_path / name
    formats.write(path, [rec], fmt, report=report)
    (back,) = formats.load(path, fmt)
    assert entity_problems(back) == []
    if fmt == "instruct":  # the answer lists mentions of the types present only
        assert key(back) == key(rec)
    else:
        assert key(back) == key(rec), report.warnings
    assert all(w["kind"] == "token-split" for w in report.warnings)


@settings(max_examples=40, deadline=None)
@given(recs=st.lists(records(), max_size=4))
def test_random_records_round_trip_through_datasets(recs):
    from kmner.data.formats.hf import from_dataset, to_dataset

    assert [key(r) for r in from_dataset(to_dataset(recs))] == [key(r) for r in recs]
