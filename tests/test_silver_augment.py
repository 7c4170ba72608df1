"""Model-in-the-loop silver: confident model spans are added to dictionary silver,
dictionary spans yield where they overlap one, and everything is counted."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kmner.cli import app
from kmner.core.errors import InputError
from kmner.core.jsonl import load_records, write_records
from kmner.core.records import Entity, Record
from kmner.silver.augment import augment_silver

TEXT = "왼쪽 무릎 통증과 당뇨병성 신경병증으로 약을 먹는다."


def ent(type_, start, end, score=None):
    return Entity(type_, TEXT[start:end], start, end,
                  meta=None if score is None else {"score": score})


def silver():
    # the dictionary: 무릎 (Body), 당뇨병 (Disease, inside the longer mention), 약 (Treatment)
    return [Record("s1", TEXT, [ent("Body", 3, 5), ent("Disease", 9, 12), ent("Treatment", 21, 22)]),
            Record("s2", "기록 없음", [])]


def predictions():
    return [Record("s1", TEXT, [ent("Body", 0, 5, 0.92), ent("Symptom", 6, 8, 0.81),
                                ent("Disease", 9, 19, 0.77), ent("Disease", 21, 22, 0.2)])]


def test_confident_model_spans_win_overlaps_and_dictionary_fills_the_rest():
    out, report = augment_silver(silver(), predictions(), min_score=0.5)
    got = [(e.type, e.start, e.end) for e in out[0].entities]
    assert got == [("Body", 0, 5), ("Symptom", 6, 8), ("Disease", 9, 19), ("Treatment", 21, 22)]
    assert out[1].entities == [] and len(out) == 2  # every silver record is written
    assert report.records_without_prediction == 1
    _, extra = augment_silver(silver(), predictions() + [Record("x9", "다른 문장", [])],
                              min_score=0.5)
    assert extra.predictions_without_record == 1
    assert report.below_min_score == 1  # 약 as Disease at 0.2
    assert report.dictionary_overlapped == 2  # 무릎 and 당뇨병 yield to longer model spans
    assert dict(report.model_spans) == {"Body": 1, "Symptom": 1, "Disease": 1}


def test_a_higher_min_score_keeps_the_dictionary_span():
    out, report = augment_silver(silver(), predictions(), min_score=0.9,
                                 keep_types={"Disease", "Body", "Symptom"})
    got = [(e.type, e.start, e.end) for e in out[0].entities]
    assert got == [("Body", 0, 5), ("Disease", 9, 12)]  # Treatment dropped by keep_types
    assert report.dropped_types["Treatment"] == 1


def test_prefer_dictionary_keeps_every_dictionary_span_and_fills_its_gaps():
    out, report = augment_silver(silver(), predictions(), min_score=0.5, prefer="dictionary")
    got = [(e.type, e.start, e.end) for e in out[0].entities]
    assert got == [("Body", 3, 5), ("Symptom", 6, 8), ("Disease", 9, 12), ("Treatment", 21, 22)]
    assert report.model_overlapped == 2  # the two longer model spans yield
    assert report.dictionary_overlapped == 0
    assert dict(report.model_spans) == {"Symptom": 1}
    assert dict(report.dictionary_kept) == {"Body": 1, "Disease": 1, "Treatment": 1}
    with pytest.raises(InputError, match="--prefer"):
        augment_silver(silver(), predictions(), min_score=0.5, prefer="both")


def test_mismatched_text_duplicates_and_missing_scores_are_errors():
    bad_text = [Record("s1", TEXT + "!", [])]
    with pytest.raises(InputError, match="text differs"):
        augment_silver(silver(), bad_text, min_score=0.5)
    with pytest.raises(InputError, match="appears twice"):
        augment_silver(silver(), predictions() * 2, min_score=0.5)
    with pytest.raises(InputError, match="no meta.score"):
        augment_silver(silver(), [Record("s1", TEXT, [ent("Body", 3, 5)])], min_score=0.5)


def test_cli_writes_records_and_a_report_and_never_overwrites_an_input(tmp_path):
    s, p, o = tmp_path / "silver.jsonl", tmp_path / "pred.jsonl", tmp_path / "aug.jsonl"
    write_records(s, silver())
    write_records(p, predictions())
    runner = CliRunner()
    res = runner.invoke(app, ["silver", "augment", str(s), str(p), "-o", str(o),
                              "--min-score", "0.5", "--label-map", "Treatment="])
    assert res.exit_code == 0, res.output
    assert "records: 2 written" in res.output
    assert [e.type for e in load_records(o)[0].entities] == ["Body", "Symptom", "Disease"]
    report = json.loads((tmp_path / "aug.augment.json").read_text(encoding="utf-8"))
    assert report["model_spans_added"] == {"Body": 1, "Symptom": 1, "Disease": 1}
    o2 = tmp_path / "gaz_first.jsonl"
    res = runner.invoke(app, ["silver", "augment", str(s), str(p), "-o", str(o2),
                              "--prefer", "dictionary"])
    assert res.exit_code == 0, res.output
    assert [(e.start, e.end) for e in load_records(o2)[0].entities] == [
        (3, 5), (6, 8), (9, 12), (21, 22)]
    assert json.loads((tmp_path / "gaz_first.augment.json").read_text())["prefer"] == "dictionary"
    before = s.read_bytes()
    res = runner.invoke(app, ["silver", "augment", str(s), str(p), "-o", str(s)])
    assert res.exit_code == 1 and s.read_bytes() == before
