"""Instruction exports for LLM fine-tuning and scoring of LLM answers."""

from __future__ import annotations

import json
from pathlib import Path

from kmner.core.records import Record, make_entity
from kmner.data import formats
from kmner.data.formats.instruct import write_instruct
from kmner.data.instruct import parse_answer, pick_few_shot, score_answers, to_instruct

FIX = Path(__file__).parent / "fixtures" / "data"
TYPES = ["Disease", "Body", "Treatment"]
DESCS = {"Disease": "질병, 증상, 의학적 상태", "Body": "신체 부위"}


def test_alpaca_example_has_descriptions_and_json_answer():
    recs = formats.load(FIX / "records_sample.jsonl")
    ex = to_instruct(recs[0], types=TYPES, descriptions=DESCS)
    assert ex["instruction"].startswith("다음 문장에서 의료 개체명을 추출하세요")
    assert "- Disease: 질병, 증상, 의학적 상태" in ex["instruction"]
    assert ex["input"] == recs[0].text
    assert json.loads(ex["output"]) == {"Disease": ["전신적 다한증"], "Body": ["신체"],
                                        "Treatment": []}


def test_chat_style_with_few_shot_turns():
    recs = formats.load(FIX / "records_sample.jsonl")
    ex = to_instruct(recs[2], types=TYPES, descriptions=DESCS, style="chat",
                     examples=recs[:2])
    roles = [m["role"] for m in ex["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user", "assistant"]
    assert ex["messages"][-2]["content"] == recs[2].text
    assert json.loads(ex["messages"][2]["content"])["Disease"] == ["전신적 다한증"]


def test_few_shot_never_uses_exported_texts():
    pool = formats.load(FIX / "records_sample.jsonl")
    exported = [Record("t", pool[1].text.replace("  ", " "), [])]  # near-duplicate of pool[1]
    chosen, excluded = pick_few_shot(pool, 4, TYPES, seed=0,
                                     exclude_texts=[r.text for r in exported])
    assert excluded == 1 and pool[1] not in chosen and len(chosen) == 3
    covered = {e.type for r in chosen[:2] for e in r.entities}
    assert {"Disease", "Body"} <= covered


def test_parse_answer_tolerates_fences_and_reports_hallucinations():
    text = "위염과 두통이 있습니다"
    parsed = parse_answer(text, '```json\n{"Disease": ["위염", "감기"], "Body": [], "X": ["a"]}\n```',
                          TYPES)
    assert [(e.type, e.text, e.start) for e in parsed.entities] == [("Disease", "위염", 0)]
    assert parsed.unlocatable == [("Disease", "감기")] and parsed.unknown_types == ["X"]
    assert parse_answer(text, "모르겠습니다", TYPES).invalid_json


def test_score_answers_matches_hand_count():
    text = "위염과 두통이 있습니다"
    gold = [Record("a", text, [make_entity(text, 0, 2, "Disease"), make_entity(text, 4, 6, "Disease")]),
            Record("b", "위가 아파요", [make_entity("위가 아파요", 0, 1, "Body")])]
    answers = {"a": '{"Disease": ["위염", "감기"]}', "b": '{"Body": ["위"]}'}
    result = score_answers(gold, answers, types=TYPES)
    m = result.scores.micro
    assert (m.tp, m.fp, m.fn) == (2, 0, 1)
    assert result.problems["unlocatable_mention"] == 1
    perfect = score_answers(gold, {r.id: json.dumps({e.type: [e.text] for e in r.entities})
                                   for r in gold[1:]} | {"a": '{"Disease": ["위염", "두통"]}'})
    assert perfect.scores.micro.f1 == 1.0


def test_instruct_round_trip_and_cli_scoring(tmp_path):
    from typer.testing import CliRunner

    from kmner.cli import app

    recs = formats.load(FIX / "records_sample.jsonl")
    out = tmp_path / "test.instruct.jsonl"
    write_instruct(out, recs, style="chat")
    back = formats.load(out)
    assert [[(e.type, e.start, e.end) for e in r.entities] for r in back] == \
        [[(e.type, e.start, e.end) for e in r.entities] for r in recs]
    preds = tmp_path / "preds.jsonl"
    lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    # a model that answers perfectly except for one hallucination on r1
    for ln in lines:
        if ln["id"] == "r1":
            ln["messages"][-1]["content"] = '{"Disease": ["전신적 다한증", "암"]}'
    preds.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    result = CliRunner().invoke(app, ["data", "score-instruct",
                                      str(FIX / "records_sample.jsonl"), str(preds),
                                      "--json", str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output
    scores = json.loads((tmp_path / "s.json").read_text())
    total = sum(len(r.entities) for r in recs)
    assert scores["micro"]["tp"] == total - 1 and scores["micro"]["fn"] == 1
    assert scores["micro"]["fp"] == 0
    assert scores["answer_problems"] == {"unlocatable_mention": 1}
