"""`kmner silver run` end to end on small real inputs, including bad ones. Every
test checks that input units = written + rejected."""

from __future__ import annotations

import gzip
import json
import unicodedata

import pytest
from typer.testing import CliRunner

from kmner.cli import app
from kmner.core.errors import InputError
from kmner.core.jsonl import load_records
from kmner.gazetteer.compiled import build_gazetteer
from kmner.gazetteer.config import table_config
from kmner.silver.pipeline import SilverConfig, run_silver

runner = CliRunner()

TERMS = "term\ttype\n간\tBody\n당뇨병\tDisease\n제2형 당뇨병\tDisease\n메트포르민\tTreatment\n위\tBody\n"


@pytest.fixture(scope="module")
def gaz_path(tmp_path_factory):
    d = tmp_path_factory.mktemp("gaz")
    (d / "t.tsv").write_text(TERMS, encoding="utf-8")
    path = d / "t.gaz"
    build_gazetteer(table_config(d / "t.tsv")).save(path)
    return path


def run(tmp_path, gaz_path, *inputs, **kw):
    cfg = SilverConfig(inputs=[str(p) for p in inputs], output=str(tmp_path / "out.jsonl"),
                       gazetteer=str(gaz_path), **kw)
    summary = run_silver(cfg, progress=False)
    assert summary.balanced()
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    rej = [json.loads(line) for line in
           (tmp_path / "out.rejects.jsonl").read_text("utf-8").splitlines()]
    assert summary.rejected == len(rej)
    for rec in out:
        for e in rec["entities"]:
            assert rec["text"][e["start"]:e["end"]] == e["text"]
    return summary, out, rej


def test_txt_is_split_into_sentences_with_ids_and_provenance(tmp_path, gaz_path):
    src = tmp_path / "notes.txt"
    src.write_text("간 기능이 떨어졌다. 제2형당뇨병 환자에게 메트포르민을 처방함.\n\n위가 아프다.\r\n",
                   encoding="utf-8")
    summary, out, rej = run(tmp_path, gaz_path, src)
    assert [r["id"] for r in out] == ["notes-1-1", "notes-1-2", "notes-3-1"]
    assert summary.units == 3 and summary.written_units == 2 and summary.rejected == 1
    assert rej[0]["line"] == 2 and "empty" in rej[0]["reason"]
    ents = out[1]["entities"]
    assert [(e["text"], e["type"]) for e in ents] == [("제2형당뇨병", "Disease"),
                                                      ("메트포르민", "Treatment")]
    assert ents[0]["meta"] == {"term": "제2형 당뇨병", "source": "t", "rule": "space"}
    assert out[1]["meta"]["line"] == 1 and out[1]["meta"]["char_start"] == 12
    assert out[2]["text"] == "위가 아프다."  # CRLF: no stray \r in the text


def test_document_hits_stay_inside_their_sentence(tmp_path):
    """The automaton scans a whole document once; each sentence keeps only the
    hits inside it, in its own offsets. Kiwi ends the first sentence at 아팠다, so
    the key 다간 (found across "다 간" with the space skipped) straddles two
    sentences and must not be reported, while 간 starts the second one."""
    (tmp_path / "t.tsv").write_text("term\ttype\n간\tBody\n다간\tDisease\n수치\tDisease\n",
                                    encoding="utf-8")
    gaz = tmp_path / "t.gaz"
    build_gazetteer(table_config(tmp_path / "t.tsv")).save(gaz)
    src = tmp_path / "doc.txt"
    src.write_text("어제 많이 아팠다 간 수치가 올랐다\n", encoding="utf-8")
    _, out, _ = run(tmp_path, gaz, src)
    assert [r["text"] for r in out] == ["어제 많이 아팠다", "간 수치가 올랐다"]
    assert out[0]["entities"] == []
    assert [(e["text"], e["start"], e["end"]) for e in out[1]["entities"]] == [
        ("간", 0, 1), ("수치", 2, 4)]


def test_jsonl_keeps_ids_text_and_fields_and_replaces_entities(tmp_path, gaz_path):
    src = tmp_path / "gold.jsonl.gz"
    recs = [{"id": "a", "text": "당뇨병이 있다.", "entities": [
                {"type": "Body", "text": "당뇨", "start": 0, "end": 2}], "tag": "x"},
            {"id": 7, "text": "아무 것도 없다."},
            {"text": "위가 아프다."}]
    with gzip.open(src, "wt", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    summary, out, rej = run(tmp_path, gaz_path, src)
    assert [r["id"] for r in out] == ["a", 7, "gold-3"]
    assert [r["text"] for r in out] == [r["text"] for r in recs]
    assert out[0]["tag"] == "x"
    assert [(e["text"], e["type"]) for e in out[0]["entities"]] == [("당뇨병", "Disease")]
    assert out[1]["entities"] == [] and summary.records_with_entities == 2 and not rej


def test_long_runs_without_dictionary_hits_keep_order(tmp_path, gaz_path):
    """Records that need no Kiwi analysis are written in input order around the
    analysed ones, also in runs longer than the pipeline lets wait in memory."""
    from kmner.silver.pipeline import _MAX_WAITING

    n_quiet = 2 * _MAX_WAITING + 7
    recs = ([{"id": f"q{i}", "text": f"아무 일 없음 {i}"} for i in range(n_quiet)]
            + [{"id": "hit", "text": "당뇨병이 있다."}]
            + [{"id": f"r{i}", "text": "쉬는 날"} for i in range(5)])
    src = tmp_path / "many.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), "utf-8")
    summary, out, _ = run(tmp_path, gaz_path, src)
    assert [r["id"] for r in out] == [r["id"] for r in recs]
    assert summary.units == len(recs) and summary.records_with_entities == 1
    assert [e["text"] for e in out[n_quiet]["entities"]] == ["당뇨병"]


def test_bad_jsonl_lines_are_rejected_with_file_line_and_id(tmp_path, gaz_path):
    src = tmp_path / "bad.jsonl"
    src.write_text("\n".join([
        json.dumps({"id": 1, "text": "간이 좋다."}, ensure_ascii=False),
        '{"id": 2, "text": "broken',
        json.dumps({"id": 3, "text": "당뇨병", "entities": [
            {"type": "Disease", "text": "당뇨", "start": 1, "end": 3}]}, ensure_ascii=False),
        json.dumps({"id": 4, "text": ""}),
        json.dumps({"id": 5, "text": "   "}),
        json.dumps({"id": 6, "text": "위가 아프다."}, ensure_ascii=False),
    ]) + "\n", encoding="utf-8")
    summary, out, rej = run(tmp_path, gaz_path, src)
    assert summary.units == 6 and [r["id"] for r in out] == [1, 6]
    assert rej[0]["line"] == 2 and "malformed JSON" in rej[0]["reason"]
    assert rej[0]["source"] == str(src)
    assert rej[1]["id"] == 3 and "does not match the text" in rej[1]["reason"]
    assert [r["reason"] for r in rej[2:]] == ["empty text", "empty text"]
    assert [r["id"] for r in rej[2:]] == [4, 5]


def test_unicode_edge_cases_keep_exact_offsets(tmp_path, gaz_path):
    texts = [
        unicodedata.normalize("NFD", "환자는 당뇨병이 있다."),  # decomposed Hangul
        "당뇨\u200b병이 있고 간\u200d이 나쁘다.",                # zero-width characters
        "😀🩺𝐀 메트포르민을 복용 중.",                          # non-BMP before the entity
    ]
    src = tmp_path / "u.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                           for i, t in enumerate(texts)), encoding="utf-8")
    summary, out, rej = run(tmp_path, gaz_path, src)
    assert [r["text"] for r in out] == texts  # text unchanged, NFD stays NFD
    found = [[(e["start"], e["end"], e["type"]) for e in r["entities"]] for r in out]
    start = len(unicodedata.normalize("NFD", "환자는 "))
    assert found[0] == [(start, start + len(unicodedata.normalize("NFD", "당뇨병")), "Disease")]
    assert unicodedata.normalize("NFC", out[0]["entities"][0]["text"]) == "당뇨병"
    assert [e["text"] for e in out[1]["entities"]] == ["당뇨\u200b병", "간"]
    assert found[2] == [(4, 9, "Treatment")]


def test_very_long_line(tmp_path, gaz_path):
    line = ("환자는 당뇨병으로 메트포르민을 복용 중이다 " * 5000)[:100_000]
    src = tmp_path / "long.txt"
    src.write_text(line + "\n", encoding="utf-8")
    summary, out, rej = run(tmp_path, gaz_path, src)
    assert summary.units == 1 and summary.written_units == 1 and not rej
    assert summary.entities["Disease"] >= 4000


def test_binary_file_is_a_clear_error(tmp_path, gaz_path):
    src = tmp_path / "image.txt"
    src.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputError, match="binary"):
        run_silver(SilverConfig(inputs=[str(src)], output=str(tmp_path / "o.jsonl"),
                                gazetteer=str(gaz_path)), progress=False)
    assert not (tmp_path / "o.jsonl").exists()


def test_interrupted_run_resumes_without_duplicates(tmp_path, gaz_path, monkeypatch):
    import kmner.silver.pipeline as pipeline

    src = tmp_path / "many.txt"
    src.write_text("".join(f"문서 {i}: 간 기능이 떨어졌다. 위가 아프다.\n" for i in range(50)),
                   encoding="utf-8")
    cfg = SilverConfig(inputs=[str(src)], output=str(tmp_path / "out.jsonl"),
                       gazetteer=str(gaz_path), checkpoint_every=10)
    real = pipeline.SilverProcessor.doc_records
    calls = {"n": 0}

    def flaky(self, unit, tokens):
        calls["n"] += 1
        if calls["n"] == 27:
            raise KeyboardInterrupt
        return real(self, unit, tokens)

    monkeypatch.setattr(pipeline.SilverProcessor, "doc_records", flaky)
    with pytest.raises(KeyboardInterrupt):
        run_silver(cfg, progress=False)
    assert not (tmp_path / "out.jsonl").exists()
    assert (tmp_path / "out.jsonl.partial").exists()
    monkeypatch.setattr(pipeline.SilverProcessor, "doc_records", real)
    summary = run_silver(cfg, resume=True, progress=False)
    assert summary.resumed_from == 20 and summary.balanced() and summary.units == 50
    ids = [json.loads(x)["id"] for x in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    assert ids == [f"many-{i}-{k}" for i in range(1, 51) for k in (1, 2)]
    assert not (tmp_path / "out.jsonl.checkpoint.json").exists()
    with pytest.raises(InputError, match="nothing to resume"):
        run_silver(cfg, resume=True, progress=False)


def test_cli_run_and_stats(tmp_path, gaz_path):
    src = tmp_path / "a.txt"
    src.write_text("간 기능이 떨어졌다. 위가 아프다.\n당뇨병.\n", encoding="utf-8")
    out = tmp_path / "s.jsonl"
    res = runner.invoke(app, ["silver", "run", str(src), "-o", str(out), "-g", str(gaz_path),
                              "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "input units: 2 = written 2 + rejected 0" in res.output
    assert (tmp_path / "s.run.yaml").exists()
    res = runner.invoke(app, ["silver", "stats", str(out), "--json"])
    st = json.loads(res.output)
    assert st["records"] == 3 and st["per_type"] == {"Body": 2, "Disease": 1}
    assert st["share_with_entities"] == 1.0
    assert st["top_terms"]["Body"] == [["간", 1], ["위", 1]]
    res = runner.invoke(app, ["silver", "run", str(tmp_path / "nope.txt"), "-o", str(out)])
    assert res.exit_code != 0


def test_bundled_default_gazetteer_is_used_without_option(tmp_path):
    src = tmp_path / "d.txt"
    src.write_text("두통과 기침이 있어 폐 검사를 했다.\n", encoding="utf-8")
    summary = run_silver(SilverConfig(inputs=[str(src)], output=str(tmp_path / "o.jsonl")),
                         progress=False)
    assert summary.balanced()
    (rec,) = load_records(tmp_path / "o.jsonl")
    assert {(e.text, e.type) for e in rec.entities} == {("두통", "Disease"), ("기침", "Disease"),
                                                         ("폐", "Body")}
    assert all(e.meta["codes"] for e in rec.entities if e.type == "Disease")


def test_resume_refuses_changed_inputs_and_cli_reports_errors_in_one_line(tmp_path, gaz_path,
                                                                         monkeypatch, capsys):
    import kmner.silver.pipeline as pipeline
    from kmner.cli import main

    src = tmp_path / "n.txt"
    src.write_text("간 기능이 떨어졌다.\n" * 30, encoding="utf-8")
    cfg = SilverConfig(inputs=[str(src)], output=str(tmp_path / "o.jsonl"),
                       gazetteer=str(gaz_path), checkpoint_every=5)
    real = pipeline.SilverProcessor.doc_records

    def stop_at_12(self, unit, tokens):
        if unit.line == 12:
            raise KeyboardInterrupt
        return real(self, unit, tokens)

    monkeypatch.setattr(pipeline.SilverProcessor, "doc_records", stop_at_12)
    with pytest.raises(KeyboardInterrupt):
        run_silver(cfg, progress=False)
    monkeypatch.setattr(pipeline.SilverProcessor, "doc_records", real)
    src.write_text("위가 아프다.\n" * 31, encoding="utf-8")
    with pytest.raises(InputError, match="inputs changed"):
        run_silver(cfg, resume=True, progress=False)
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(SystemExit) as exit_info:
        main(["silver", "run", str(binary), "-o", str(tmp_path / "x.jsonl"), "-g", str(gaz_path)])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and "binary" in last and str(binary) in last
