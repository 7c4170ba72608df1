"""Readers reproduce known spans; every format round-trips its fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kmner.core.records import entity_problems
from kmner.data import formats
from kmner.data.report import Report

FIX = Path(__file__).parent / "fixtures" / "data"

KBMC_SENTENCE = ("전신 적 다한증 은 신체 전체 에 힘 이 빠져서 일상 생활 이 어려워지는 질환 으로 , "
                 "근육 통증 과 무기 력 감 이 동반 됩니다 .")


def spans(records):
    return [[(e.type, e.text, e.start, e.end) for e in r.sorted_entities()] for r in records]


def same(a, b):
    assert [r.id for r in a] == [r.id for r in b]
    assert [r.text for r in a] == [r.text for r in b]
    assert spans(a) == spans(b)


def all_valid(records):
    for r in records:
        assert entity_problems(r, allow_overlaps=True) == [], r


def test_kbmc_reproduces_published_example():
    (rec,) = formats.load(FIX / "kbmc_example.tsv")
    assert rec.text == KBMC_SENTENCE
    tokens = KBMC_SENTENCE.split(" ")
    starts = [sum(len(t) + 1 for t in tokens[:i]) for i in range(len(tokens))]
    expected = [("Disease", " ".join(tokens[a:b]), starts[a], starts[b - 1] + len(tokens[b - 1]))
                for a, b in ((0, 3), (17, 19), (20, 23))]
    assert spans([rec]) == [expected]
    assert [e.text for e in rec.entities] == ["전신 적 다한증", "근육 통증", "무기 력 감"]
    all_valid([rec])


def test_kbmc_respace_carries_spans_exactly():
    (plain,) = formats.load(FIX / "kbmc_example.tsv")
    (spaced,) = formats.load(FIX / "kbmc_example.tsv", respace=True)
    all_valid([spaced])
    assert spaced.text.replace(" ", "") == plain.text.replace(" ", "")
    assert spaced.text.count(" ") < plain.text.count(" ")
    assert [e.text.replace(" ", "") for e in spaced.entities] == \
        [e.text.replace(" ", "") for e in plain.entities]
    assert "무기력감" in [e.text for e in spaced.entities]


def test_conll_prefix_suffix_and_schemes():
    bio = formats.load(FIX / "conll_bio.conll")
    assert spans(bio) == [[("Disease", "당뇨병", 0, 3), ("Treatment", "인슐린 주사", 9, 15)],
                          [("Body", "왼쪽 무릎", 0, 5)]]
    bioes = formats.load(FIX / "conll_suffix_bioes.txt", "conll", scheme="bioes")
    assert [[(t, x) for t, x, _, _ in s] for s in spans(bioes)] == [
        [("Disease", "만성 신부전"), ("Body", "신장"), ("Treatment", "투석")], [("Disease", "두통")]]
    iob1 = formats.load(FIX / "conll_iob1.conll", scheme="iob1")
    assert [x for _, x, _, _ in spans(iob1)[0]] == ["고혈압", "당뇨", "당뇨병"]
    all_valid(bio + bioes + iob1)


def test_charmask_spans_exclude_particles():
    recs = formats.load(FIX / "charmask_sample.txt")
    assert formats.guess_format(FIX / "charmask_sample.txt") == "charmask"
    assert spans(recs) == [
        [("ST", "어지럼증", 0, 4)],
        [("DS", "급성 위염", 0, 5), ("ST", "복통", 8, 10), ("ST", "설사", 12, 14)],
        [("ST", "두통", 1, 3), ("BD", "머리", 10, 12)]]
    all_valid(recs)


def test_klue_sample_keeps_spaces_inside_entities():
    recs = formats.load(FIX / "klue_sample.tsv")
    assert [r.id for r in recs] == ["sample-0", "sample-1"]
    assert spans(recs)[1] == [("DT", "3일", 0, 2), ("QT", "두 번", 6, 9)]


@pytest.mark.shared
def test_klue_reader_equals_shared_dev_jsonl(shared_data):
    folder = shared_data / "gold" / "klue_ner"
    recs = formats.load(folder / "klue-ner-v1.1_dev.tsv")
    gold = [json.loads(line) for line in (folder / "dev.jsonl").open(encoding="utf-8")]
    assert len(recs) == len(gold) == 5000
    assert sum(len(r.entities) for r in recs) == sum(len(g["entities"]) for g in gold) == 14257
    assert [r.to_dict() for r in recs] == gold


def test_gliner2_locates_mentions_and_reports_ambiguity():
    report = Report()
    recs = formats.load(FIX / "gliner2_sample.jsonl", report=report)
    assert spans(recs)[0] == [("Disease", "위염", 0, 2), ("Body", "위", 7, 8),
                              ("Disease", "위염", 14, 16)]
    assert spans(recs)[1] == [("Disease", "두통", 0, 2), ("Treatment", "두통약", 4, 7)]
    ambiguous = [w for w in report.warnings if w["kind"] == "ambiguous-mention"]
    assert [w["id"] for w in ambiguous] == ["g3"] and ambiguous[0]["line"] == 3
    with pytest.raises(Exception, match="listed 1 time"):
        formats.load(FIX / "gliner2_sample.jsonl", ambiguous="error")


def test_gliner2_writer_pins_only_ambiguous_mentions(tmp_path):
    recs = formats.load(FIX / "records_sample.jsonl")
    out = tmp_path / "g.jsonl"
    formats.write(out, recs, "gliner2")
    lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert lines[0]["output"]["entities"]["Disease"] == ["전신적 다한증"]
    assert lines[0]["output"]["entity_descriptions"]["Disease"] == "질병, 증상, 의학적 상태"
    assert lines[2]["output"]["entities"] == {"Disease": [], "Body": [], "Treatment": []}
    # 당뇨병 also occurs inside 당뇨병성 신경병증 -> longest first makes it unambiguous
    assert lines[3]["output"]["entities"]["Disease"] == ["당뇨병성 신경병증", "당뇨병"]
    same(formats.load(out, "gliner2"), recs)
    # an unannotated second occurrence forces a pinned mention
    from kmner.core.records import Record, make_entity
    text = "감기 뒤 또 감기"
    rec = Record("x", text, [make_entity(text, 0, 2, "Disease")])
    formats.write(out, [rec], "gliner2")
    assert json.loads(out.read_text("utf-8"))["output"]["entities"]["Disease"] == [
        {"text": "감기", "start": 0, "end": 2}]
    same(formats.load(out, "gliner2"), [rec])
    report = Report()
    formats.write(out, [rec], "gliner2", report=report, mentions="strings")
    assert report.warning_counts()["mention-not-carried"] == 1


FIXTURES = [("kbmc_example.tsv", "kbmc", {}), ("kbmc_sample.csv", "kbmc", {}),
            ("conll_bio.conll", "conll", {}),
            ("conll_suffix_bioes.txt", "conll", {"scheme": "bioes"}),
            ("klue_sample.tsv", "klue", {}), ("charmask_sample.txt", "charmask", {}),
            ("gliner2_sample.jsonl", "gliner2", {}), ("records_sample.jsonl", "jsonl", {})]
TARGETS = [("jsonl", "out.jsonl"), ("kbmc", "out.tsv"), ("kbmc", "out.csv"),
           ("kbmc", "out.parquet"), ("conll", "out.conll"), ("klue", "out.klue"),
           ("charmask", "out.txt"), ("gliner2", "out.g2.jsonl"), ("hf", "out_hf"),
           ("docbin", "out.spacy"), ("instruct", "out.instruct.jsonl")]


@pytest.mark.parametrize("name,fmt,opts", FIXTURES)
def test_fixture_round_trips_in_its_own_format(tmp_path, name, fmt, opts):
    first = formats.load(FIX / name, fmt, **opts)
    all_valid(first)
    out = tmp_path / ("again" + Path(name).suffix)
    formats.write(out, first, fmt, **({"scheme": opts["scheme"]} if "scheme" in opts else {}))
    same(formats.load(out, fmt, **opts), first)


@pytest.mark.parametrize("fmt,filename", TARGETS)
def test_records_round_trip_through_every_writer(tmp_path, fmt, filename):
    recs = formats.load(FIX / "records_sample.jsonl")
    report = Report()
    formats.write(tmp_path / filename, recs, fmt, report=report)
    back = formats.load(tmp_path / filename, fmt)
    all_valid(back)
    same(back, recs)
    # token formats had to cut tokens for 당뇨병성 -> reported, not hidden
    assert all(w["kind"] == "token-split" for w in report.warnings)


def test_hf_dataset_dict_and_schema(tmp_path):
    from kmner.data.formats.hf import from_dataset, save_dataset, to_dataset
    import datasets

    recs = formats.load(FIX / "records_sample.jsonl")
    dd = to_dataset({"train": recs[:3], "test": recs[3:]})
    assert isinstance(dd, datasets.DatasetDict)
    assert dd["train"].features["entities"].feature["start"].dtype == "int32"
    save_dataset(dd, tmp_path / "dd")
    back = from_dataset(datasets.load_from_disk(str(tmp_path / "dd")))
    same(back["train"] + back["test"], recs)
    same(formats.load(tmp_path / "dd", "hf", split="test"), recs[3:])
    with pytest.raises(Exception, match="choose one with --split"):
        formats.load(tmp_path / "dd", "hf")


def test_hf_keeps_meta_and_unknown_fields():
    from kmner.data.formats.hf import from_dataset, to_dataset

    line = {"id": 7, "text": "두통", "entities": [{"type": "Symptom", "text": "두통", "start": 0,
            "end": 2, "orig_label": "ST", "meta": {"source": "gold"}}], "meta": {"batch": 3}}
    from kmner.core.records import Record
    rec = Record.from_dict(line)
    (back,) = from_dataset(to_dataset([rec]))
    assert back.to_dict() == {**line, "id": "7"}


def test_format_guessing(tmp_path):
    assert formats.guess_format(FIX / "klue_sample.tsv") == "klue"
    assert formats.guess_format(FIX / "kbmc_example.tsv") == "kbmc"
    assert formats.guess_format(FIX / "gliner2_sample.jsonl") == "gliner2"
    assert formats.guess_format(FIX / "records_sample.jsonl") == "jsonl"
    assert formats.guess_format(tmp_path / "x.spacy", for_writing=True) == "docbin"
    with pytest.raises(Exception, match="give --to"):
        formats.guess_format(tmp_path / "x.weird", for_writing=True)


def test_labelstudio_format_writes_tasks_through_the_ls_package(tmp_path):
    import json

    recs = formats.load(FIX / "records_sample.jsonl")
    out = tmp_path / "tasks.json"
    formats.write(out, recs, "labelstudio")
    tasks = json.loads(out.read_text("utf-8"))
    assert len(tasks) == len(recs)
    for rec, task in zip(recs, tasks):
        assert task["data"]["text"] == rec.text
        [pred] = task["predictions"]
        got = sorted((r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
                     for r in pred["result"])
        assert got == sorted(e.key for e in rec.entities)


def test_respace_reports_what_it_cannot_carry():
    from kmner.data.formats.kbmc import _boundary_spaces

    assert _boundary_spaces(["무기", "력", "감"], "무기력감") == [False, False]
    assert _boundary_spaces(["근육", "통증"], "근육 통증") == [True]
    assert _boundary_spaces(["했", "다"], "하였다") is None  # characters changed


def test_kbmc_plain_writes_published_columns_only(tmp_path):
    recs = formats.load(FIX / "records_sample.jsonl")
    out = tmp_path / "plain.tsv"
    formats.write(out, recs, "kbmc", keep_text=False)
    assert out.read_text("utf-8").splitlines()[0] == "Sentence\tTags"
    back = formats.load(out)
    for a, b in zip(recs, back):
        assert b.text.replace(" ", "") == a.text.replace(" ", "")
        assert [e.text.replace(" ", "") for e in b.entities] == \
            [e.text.replace(" ", "") for e in a.entities]
    all_valid(back)


def test_hf_never_replaces_a_folder_that_is_not_a_dataset(tmp_path):
    from kmner.core.errors import KmnerError

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("x")
    recs = formats.load(FIX / "records_sample.jsonl")
    with pytest.raises(KmnerError, match="refusing"):
        formats.write(tmp_path / "notes", recs, "hf")
    assert (tmp_path / "notes" / "keep.txt").exists()
    formats.write(tmp_path / "ds", recs, "hf")
    formats.write(tmp_path / "ds", recs[:1], "hf")  # replacing a dataset is fine
    assert len(formats.load(tmp_path / "ds")) == 1
