"""`kmner silver eval` and `silver stats` on small real data."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kmner.cli import app
from kmner.core.labelmap import LabelMap
from kmner.gazetteer.compiled import build_gazetteer
from kmner.gazetteer.config import table_config
from kmner.silver.evaluate import evaluate_silver

runner = CliRunner()


@pytest.fixture()
def files(tmp_path):
    (tmp_path / "t.tsv").write_text("term\ttype\n간\tBody\n두통\tDisease\n배\tBody\n",
                                    encoding="utf-8")
    gold = [
        {"id": 1, "text": "간호사가 간 수치를 봤다.",
         "entities": [{"type": "Body", "text": "간", "start": 5, "end": 6}]},
        {"id": 2, "text": "두통이 심하고 어지럽다.",
         "entities": [{"type": "Symptom", "text": "두통", "start": 0, "end": 2},
                      {"type": "Symptom", "text": "어지럽다", "start": 8, "end": 12}]},
        {"id": 3, "text": "체중이 두 배로 늘었다.", "entities": []},
    ]
    (tmp_path / "gold.jsonl").write_text(
        "".join(json.dumps(g, ensure_ascii=False) + "\n" for g in gold), encoding="utf-8")
    return tmp_path


def test_eval_scores_matcher_baseline_and_coverage(files):
    gaz = build_gazetteer(table_config(files / "t.tsv"))
    ev = evaluate_silver(files / "gold.jsonl", gaz, label_map=LabelMap.parse("kbmc"),
                         n_resamples=50)
    m, b = ev.matcher.micro, ev.baseline.micro
    assert (m.tp, m.fp, m.fn) == (2, 0, 1)           # 어지럽다 is not in the dictionary
    assert (b.tp, b.fp, b.fn) == (2, 2, 1)           # plain AC takes 간(호사) and (두) 배
    assert ev.matcher.per_type["Disease"].tp == 1     # Symptom -> Disease applied
    cov = ev.coverage.to_dict()
    assert (cov["occurrences"], cov["in_dictionary"], cov["same_type"]) == (3, 2, 2)
    assert cov["top_missing"] == [("어지럽다 (Disease)", 1)]
    assert ev.intervals["kiwi_matcher"]["precision"]["value"] == 1.0


def test_eval_cli_accepts_a_term_table(files, tmp_path):
    res = runner.invoke(app, ["silver", "eval", str(files / "gold.jsonl"), "--gazetteer",
                              str(files / "t.tsv"), "--label-map", "kbmc", "--json",
                              str(tmp_path / "ev.json")])
    assert res.exit_code == 0, res.output
    assert "kiwi matcher" in res.output and "plain Aho-Corasick" in res.output
    assert "dictionary coverage of gold entities: 2/3" in res.output
    saved = json.loads((tmp_path / "ev.json").read_text(encoding="utf-8"))
    assert saved["kiwi_matcher"]["micro"]["precision"] == 1.0
    assert saved["plain_aho_corasick"]["micro"]["precision"] == 0.5


def test_eval_breakdown_splits_false_positives_and_misses(tmp_path):
    """One false positive of each kind and one miss of each kind, counted and named."""
    (tmp_path / "t.tsv").write_text("term\ttype\n허리\tBody\n두통\tDisease\n기침\tBody\n",
                                    encoding="utf-8")
    gold = [
        # boundary: silver 허리, gold 허리 디스크
        {"id": 1, "text": "허리 디스크가 있다.",
         "entities": [{"type": "Disease", "text": "허리 디스크", "start": 0, "end": 6}]},
        # type: 기침 is Body in this dictionary (and its gold span a miss that the
        # dictionary holds, but under another type: rejected)
        {"id": 2, "text": "기침이 난다.",
         "entities": [{"type": "Disease", "text": "기침", "start": 0, "end": 2}]},
        # spurious: 두통 not annotated; a miss not in the dictionary: 어지럼증
        {"id": 3, "text": "두통과 어지럼증이 있다.",
         "entities": [{"type": "Disease", "text": "어지럼증", "start": 4, "end": 8}]},
    ]
    (tmp_path / "gold.jsonl").write_text(
        "".join(json.dumps(g, ensure_ascii=False) + "\n" for g in gold), encoding="utf-8")
    ev = evaluate_silver(tmp_path / "gold.jsonl", build_gazetteer(table_config(tmp_path / "t.tsv")),
                         n_resamples=20)
    d = ev.breakdown.to_dict()
    fp, fn = d["false_positives"], d["misses"]
    assert {k: v["n"] for k, v in fp.items()} == {"boundary": 1, "type": 1, "spurious": 1}
    assert fp["boundary"]["top"] == [("허리 (Body)", 1)]
    assert fp["type"]["top"] == [("기침 (Body)", 1)]
    assert fp["spurious"]["top"] == [("두통 (Disease)", 1)]
    assert sorted(fn["not_in_dictionary"]["top"]) == [("어지럼증 (Disease)", 1),
                                                      ("허리 디스크 (Disease)", 1)]
    assert fn["rejected"]["top"] == [("기침 (Disease)", 1)]
    assert d["sources"]["t"]["fp"] == 3
    result = runner.invoke(app, ["silver", "eval", str(tmp_path / "gold.jsonl"),
                                 "--gazetteer", str(tmp_path / "t.tsv")])
    assert result.exit_code == 0, result.output
    assert "false positives: 3 = boundary 1 + type 1 + spurious 1" in result.output
    assert "misses: 3 = not in the dictionary 2 + in the dictionary but rejected 1" \
        in result.output
