"""Loaders, config, merge policy, compiled file and the gazetteer CLI, on tiny
fixtures written in the formats of the team's sources."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kmner.cli import app
from kmner.core.errors import ConfigError, InputError
from kmner.gazetteer.compiled import CompiledGazetteer, build_gazetteer
from kmner.gazetteer.config import load_gazetteer_config, table_config

runner = CliRunner()


@pytest.fixture()
def sources(tmp_path):
    (tmp_path / "kcd.csv").write_text(
        "kcd,en,ko,latest\n"
        "C16,Malignant neoplasm of stomach,위의 악성 신생물,\n"
        "C16.0,Cardia,분문(噴門),\n"
        "C16.9,\"Stomach, unspecified\",상세불명의 위,\n"
        "E11,Type 2 diabetes mellitus,2형 당뇨병,\n"
        "G01,Meningitis in bacterial diseases,세균성 질환에서의 수막염(G01*),\n"
        "I10,Essential hypertension,본태성(원발성) 고혈압,\n"
        "V01,Pedestrian injured,자전거와 충돌로 다친 보행자,\n", encoding="utf-8")
    (tmp_path / "anatomy.tsv").write_text(
        "ko\ten\tsystem\tsection\tsubsection\n위\tStomach\t소화계\t\t\n"
        "분문\tCardia\t소화계\t\t\n제1경추 (환추)\tAtlas\t골격계\t\t\n간\tLiver\t소화계\t\t\n",
        encoding="utf-8")
    (tmp_path / "hira.csv").write_text(
        "일반명코드,제형구분코드,제형,일반명,분류번호,투여,함량,단위\n"
        "191501ATB,TB,정제,metformin hydrochloride,396,내복,500,mg\n"
        "100101ALQ,LQ,액제,아목시실린 (as amoxicillin 250mg),421,내복,1.1,g\n", encoding="utf-8")
    (tmp_path / "symptoms.json").write_text(json.dumps(
        [{"name": "두통", "category": "신경계"}, {"name": "식욕  저하"}], ensure_ascii=False),
        encoding="utf-8")
    (tmp_path / "procedures.json").write_text(json.dumps({"entries": {
        "위내시경[진단]-기타": {"code": "E7611", "name": "위내시경[진단]-기타"}}},
        ensure_ascii=False), encoding="utf-8")
    (tmp_path / "syn.json").write_text(json.dumps({"와파린": ["warfarin"]}, ensure_ascii=False),
                                       encoding="utf-8")
    (tmp_path / "list.txt").write_text("# comment\n간이식\n\n", encoding="utf-8")
    (tmp_path / "extra.tsv").write_text("term\ttype\n간\tDisease\n", encoding="utf-8")
    (tmp_path / "gaz.yaml").write_text("""
name: tiny
conflicts: priority
type_priority: [Body, Disease, Treatment]
sources:
  - {path: anatomy.tsv, type: Body}
  - {path: kcd.csv, type: Disease}
  - {path: hira.csv, type: Treatment, format: hira_drugs}
  - {path: symptoms.json, type: Disease, name: misc_symptoms}
  - {path: procedures.json, type: Treatment}
  - {path: syn.json, type: Treatment, format: synonym_json}
  - {path: list.txt, type: Treatment, format: term_list}
  - {path: extra.tsv}
  - {path: missing.csv, type: Disease, optional: true}
""", encoding="utf-8")
    return tmp_path


def test_build_from_config(sources):
    gaz = build_gazetteer(load_gazetteer_config(sources / "gaz.yaml"))
    look = gaz.lookup
    assert look("위")["type"] == "Body"            # 상세불명의 위 did not become Disease
    assert look("분문")["type"] == "Body"
    assert look("위의 악성 신생물")["type"] == "Disease"
    assert look("2형당뇨병")["type"] == "Disease"    # spacing ignored
    assert look("세균성 질환에서의 수막염")["code"] == "kcd:G01"
    assert look("본태성 고혈압") and look("고혈압")  # head variant
    assert look("자전거와 충돌로 다친 보행자") is None  # excluded chapter
    assert look("환추")["type"] == "Body"
    assert look("Metformin")["type"] == "Treatment"  # case folded
    assert look("아목시실린")["type"] == "Treatment"
    assert look("식욕 저하") and look("두통")["source"] == "misc_symptoms"
    assert look("위내시경")["code"] == "procedures:E7611"
    assert look("warfarin") and look("간이식")
    report = gaz.info["report"]
    assert report["sources"]["kcd"]["dropped"]["elliptical: a body part, not a disease"] == 2  # 위, 분문
    assert report["sources"]["missing"]["skipped"] == "file not found"


def test_type_conflicts_are_reported_never_silent(sources):
    cfg = load_gazetteer_config(sources / "gaz.yaml")
    gaz = build_gazetteer(cfg)
    assert gaz.lookup("간")["type"] == "Body"
    assert gaz.lookup("간")["ambiguous"] == ["Disease"]
    assert gaz.info["report"]["conflicts"] == 1
    assert "간: Body (anatomy), Disease (extra)" in gaz.info["report"]["conflict_examples"]
    cfg.conflicts = "drop"
    dropped = build_gazetteer(cfg)
    assert dropped.lookup("간") is None
    assert dropped.info["report"]["filtered"]["ambiguous type (conflicts: drop)"] == 1


def test_config_errors(sources):
    bad = sources / "bad.yaml"
    bad.write_text("sources: [{path: kcd.csv, typo: Disease}]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key 'typo'"):
        load_gazetteer_config(bad)
    bad.write_text("conflicts: guess\nsources: [{path: kcd.csv}]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="conflicts: expected one of 'priority', 'drop'"):
        load_gazetteer_config(bad)
    bad.write_text("sources: [{path: nope.csv, type: Disease}]\n", encoding="utf-8")
    with pytest.raises(InputError, match="source file not found"):
        build_gazetteer(load_gazetteer_config(bad))


def test_compiled_file_round_trip_and_content_hash(sources, tmp_path):
    gaz = build_gazetteer(table_config(sources / "extra.tsv"))
    gaz.save(tmp_path / "a.gaz")
    again = CompiledGazetteer.load(tmp_path / "a.gaz")
    assert again.content_hash == gaz.content_hash and len(again) == 1
    assert again.lookup("간")["type"] == "Disease"
    (sources / "extra.tsv").write_text("term\ttype\n간\tBody\n", encoding="utf-8")
    assert build_gazetteer(table_config(sources / "extra.tsv")).content_hash != gaz.content_hash
    (tmp_path / "junk.gaz").write_bytes(b"not a pickle")
    with pytest.raises(InputError, match="not a kmner gazetteer"):
        CompiledGazetteer.load(tmp_path / "junk.gaz")


def test_cli_build_stats_lookup(sources, tmp_path):
    out = tmp_path / "tiny.gaz"
    res = runner.invoke(app, ["gazetteer", "build", str(sources / "gaz.yaml"), "-o", str(out),
                              "--export-tsv", str(tmp_path / "terms.tsv")])
    assert res.exit_code == 0, res.output
    assert "surfaces had two or more types" in res.output and out.exists()
    res = runner.invoke(app, ["gazetteer", "stats", str(out)])
    assert res.exit_code == 0 and "ambiguous surfaces: 1" in res.output
    res = runner.invoke(app, ["gazetteer", "lookup", str(out), "2형 당뇨병"])
    assert res.exit_code == 0 and json.loads(res.output)["type"] == "Disease"
    assert runner.invoke(app, ["gazetteer", "lookup", str(out), "없는말"]).exit_code == 1
    # the exported table builds the same terms again
    res = runner.invoke(app, ["gazetteer", "build", str(tmp_path / "terms.tsv"), "-o",
                              str(tmp_path / "again.gaz")])
    assert res.exit_code == 0, res.output
    assert len(CompiledGazetteer.load(tmp_path / "again.gaz")) == len(CompiledGazetteer.load(out))


def test_kiwi_dict_changes_kiwi_tokenisation(sources, tmp_path):
    from kiwipiepy import Kiwi

    gaz = tmp_path / "tiny.gaz"
    build_gazetteer(load_gazetteer_config(sources / "gaz.yaml")).save(gaz)
    res = runner.invoke(app, ["gazetteer", "kiwi-dict", str(gaz), "-o", str(tmp_path / "u.dict")])
    assert res.exit_code == 0, res.output
    lines = (tmp_path / "u.dict").read_text(encoding="utf-8").splitlines()
    assert "아목시실린\tNNP\t0.0" in lines
    assert not any(line.startswith(("위\t", "간\t")) for line in lines)  # one syllable
    text = "아목시실린을 처방했다."
    plain = [t.form for t in Kiwi(num_workers=1).tokenize(text)]
    custom = Kiwi(num_workers=1)
    assert custom.load_user_dictionary(str(tmp_path / "u.dict")) > 0
    tuned = [(t.form, t.tag) for t in custom.tokenize(text)]
    assert "아목시실린" not in plain
    assert ("아목시실린", "NNP") in tuned


@pytest.mark.shared
def test_bundled_default_gazetteer_is_current(repo_root, shared_data):
    """The bundled files come from the bundled config (ship-tier sources only)."""
    from kmner.gazetteer.default import DEFAULT_CONFIG, DEFAULT_GAZ, DEFAULT_TERMS

    cfg = load_gazetteer_config(DEFAULT_CONFIG)
    assert {s.name for s in cfg.sources} == {"anatomy", "kcd", "kcd_chapter_r",
                                             "misc_symptoms", "misc_diseases", "hira_drugs",
                                             "kmner_treatments", "kmner_common"}
    bundled = CompiledGazetteer.load(DEFAULT_GAZ)
    assert bundled.content_hash == build_gazetteer(cfg).content_hash
    assert DEFAULT_TERMS.exists() and bundled.info["load_seconds"] < 5
    assert bundled.lookup("간")["type"] == "Body"
    # type policy: a generic body word and a generic head are compose-only
    assert bundled.lookup("위")["type"] == "Part"
    assert bundled.lookup("염증") == {"term": "염증", "type": "Head", "source": "compose",
                                      "code": None}
