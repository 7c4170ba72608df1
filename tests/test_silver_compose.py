"""Compositional spans (kmner/gazetteer/compose.py), the type policy at the sources
and specific codes, with real Kiwi and real pyahocorasick."""

from __future__ import annotations

import pytest

from kmner.core.errors import ConfigError
from kmner.gazetteer.compiled import CompiledGazetteer, build_gazetteer
from kmner.gazetteer.config import ComposeConfig, GazetteerConfig, SourceConfig
from kmner.gazetteer.default import default_gazetteer_path
from kmner.gazetteer.matcher import Matcher

TERMS = """term\ttype\tsource\tcode
갑상선\tBody\tanatomy\t
허리\tBody\tanatomy\t
가슴\tBody\tanatomy\t
무릎\tBody\tanatomy\t
배\tBody\tanatomy\t
식도\tBody\tanatomy\t
척추\tBody\tanatomy\t
기관지\tBody\tanatomy\t
자율신경계\tBody\tanatomy\t
통증\tDisease\tsymptoms\tR52
떨림\tDisease\tsymptoms\tR25.1
측만증\tDisease\tkcd\tM41
편두통\tDisease\tkcd\tG43
기관지염\tDisease\tkcd\tJ40
염증\tDisease\tkcd\tH01
"""

HEADS = ["염증", "디스크", "기능 항진증", "결절", "이상"]
ALL_RULES = {r: True for r in ("body_disease", "body_symptom", "body_head", "body_suffix",
                               "modifier", "side_body")}


def make_matcher(tmp_path, **compose) -> Matcher:
    table = tmp_path / "terms.tsv"
    table.write_text(TERMS, encoding="utf-8")
    settings = {"rules": ALL_RULES, "heads": HEADS, "parts": ["근육"],
                "suffix_heads": ["염", "증", "통"], "modifiers": ["급성", "만성"],
                "symptom_sources": ["symptoms"], "sides": ["왼쪽", "좌측"], **compose}
    cfg = GazetteerConfig(name="t", sources=[SourceConfig(str(table), format="term_table")],
                          compose=ComposeConfig(**settings), base_dir=str(tmp_path))
    return Matcher(build_gazetteer(cfg), num_workers=1)


@pytest.fixture(scope="module")
def matcher(tmp_path_factory):
    return make_matcher(tmp_path_factory.mktemp("compose"))


def spans(m: Matcher, text: str) -> list[tuple[str, str, str]]:
    out = []
    for e in m.match(text):
        assert text[e.start:e.end] == e.text
        out.append((e.text, e.type, e.meta["rule"]))
    return out


@pytest.mark.parametrize("text, expected", [
    # body_head: a body part and a generic head, across a space or written together
    ("갑상선 기능 항진증이 있다.", [("갑상선 기능 항진증", "Disease", "body_head")]),
    ("허리 디스크가 심해요", [("허리 디스크", "Disease", "body_head")]),
    ("기관지염증이 있어요", [("기관지염증", "Disease", "body_head")]),
    ("자율신경계 이상으로 어지럽다", [("자율신경계 이상", "Disease", "body_head")]),
    # body_symptom and body_disease
    ("가슴 통증이 있어요", [("가슴 통증", "Disease", "body_symptom")]),
    ("손 떨림", [("떨림", "Disease", "end")]),  # 손 is not in this dictionary
    ("허리통증", [("허리통증", "Disease", "body_symptom")]),
    ("척추 측만증 진단", [("척추 측만증", "Disease", "body_disease")]),
    # body_suffix: a one-syllable head morpheme in the same word (식도/NNG 염/NNG)
    ("식도염이 있어요", [("식도염", "Disease", "body_suffix")]),
    # modifier: a -성 word or a listed modifier belongs to the name
    ("혈관성 편두통이 있다", [("혈관성 편두통", "Disease", "modifier")]),
    ("급성 기관지염으로", [("급성 기관지염", "Disease", "modifier")]),
    # a generic body word composes, and is nothing on its own
    ("근육 통증이 있다", [("근육 통증", "Disease", "body_symptom")]),
    # side_body: laterality belongs to a body part
    ("좌측 무릎이 아파요", [("좌측 무릎", "Body", "side_body")]),
    ("왼쪽무릎", [("왼쪽무릎", "Body", "side_body")]),
])
def test_each_rule_composes(matcher, text, expected):
    assert spans(matcher, text) == expected


@pytest.mark.parametrize("text, expected", [
    # a particle, a predicate or a numeral between: nothing is composed
    ("배가 아프고 통증이 있다", [("배", "Body", "particle"), ("통증", "Disease", "particle")]),
    ("두 배", []),
    ("허리가 디스크 때문에", [("허리", "Body", "particle")]),
    ("허리 아픈 디스크", [("허리", "Body", "space")]),
    ("갑상선 3 결절", [("갑상선", "Body", "space")]),
    # laterality stays outside a disease name; a list of body parts is not chained
    ("좌측 무릎 통증", [("무릎 통증", "Disease", "body_symptom")]),
    ("우측 무릎이", [("무릎", "Body", "particle")]),  # 우측 is not in this config's sides
    ("허리, 가슴 통증", [("허리", "Body", "punct"), ("가슴 통증", "Disease", "body_symptom")]),
    # generic heads and parts are never entities on their own
    ("염증이 생겼다", []),
    ("근육이 뭉쳤다", []),
    # a -성 word before nothing composable: its stem (편두통) is not an entity
    ("편두통성 어지러움", []),
])
def test_composition_must_not_happen(matcher, text, expected):
    assert spans(matcher, text) == expected


def test_within_word_keeps_spaced_symptoms_apart(tmp_path):
    m = make_matcher(tmp_path, within_word=["body_symptom"])
    assert spans(m, "가슴 통증이 있어요") == [("가슴", "Body", "space"),
                                          ("통증", "Disease", "particle")]
    assert spans(m, "허리통증") == [("허리통증", "Disease", "body_symptom")]
    # a head still composes across a space
    assert spans(m, "허리 디스크") == [("허리 디스크", "Disease", "body_head")]


def test_rules_switch_off(tmp_path):
    m = make_matcher(tmp_path, rules={})
    assert spans(m, "갑상선 기능 항진증이 있다.") == [("갑상선", "Body", "space")]
    assert spans(m, "혈관성 편두통") == [("편두통", "Disease", "end")]
    with pytest.raises(ConfigError, match="unknown compose rule"):
        ComposeConfig(rules={"body_everything": True})


def test_codes_name_only_matched_concepts(matcher):
    (head,) = matcher.match("기관지 염증이 있다")
    assert head.text == "기관지 염증" and "codes" not in head.meta  # generic head: no code
    (mod,) = matcher.match("혈관성 편두통")
    assert mod.meta["codes"] == ["kcd:G43"]  # the disease whose name matched
    (comp,) = matcher.match("척추 측만증")
    assert comp.meta["codes"] == ["kcd:M41"]


def test_generic_head_is_dropped_from_its_source(matcher):
    report = matcher.gaz.info["report"]["sources"]
    dropped = report["terms"]["dropped"]
    assert dropped == {"generic fragment: a compose head only, not an entry": 1}
    assert matcher.gaz.lookup("염증")["type"] == "Head"
    assert matcher.gaz.lookup("염증")["code"] is None


def test_bundled_gazetteer_readme_example():
    m = Matcher(CompiledGazetteer.load(default_gazetteer_path()), num_workers=1)
    text = "56세 남자 환자로 제2형 당뇨병과 고혈압으로 메트포르민을 복용 중이다."
    ents = {e.text: e for e in m.match(text)}
    dm = ents["제2형 당뇨병"]
    assert dm.type == "Disease" and dm.meta["codes"] == ["kcd:E11"]
    assert "2형 당뇨병" not in ents
    (inflam,) = m.match("기관지 염증이 있다")
    assert inflam.type == "Disease" and "codes" not in inflam.meta
    assert m.match("염증이 생겼다") == []


def test_type_policy_at_the_sources(tmp_path):
    (tmp_path / "kcd.csv").write_text(
        "kcd,en,ko,latest\n"
        "E11,Type 2 diabetes mellitus,2형 당뇨병,\n"
        "H01,Other inflammation of eyelid,눈꺼풀의 기타 염증,\n"
        "I10,Essential hypertension,본태성(원발성) 고혈압,\n"
        "I85,Oesophageal varices,식도정맥류,\n"
        "I85.01,Secondary,이차성,\n"
        "L71,Rosacea,주사,\n", encoding="utf-8")
    (tmp_path / "anatomy.tsv").write_text(
        "ko\ten\tsystem\tsection\tsubsection\n눈꺼풀\tEyelid\t감각기관\t눈 (Eye)\t\n"
        "혈장\tPlasma\t순환계\t혈액 (Blood)\t\n간세포\tHepatocyte\t소화계\t간 (Liver)\t\n"
        "직장\tRectum\t소화계\t대장\t\n", encoding="utf-8")
    (tmp_path / "gaz.yaml").write_text("""
name: policy
sources:
  - {path: anatomy.tsv, type: Body, options: {exclude_sections: ["혈액 (Blood)"],
     exclude_suffixes: [세포], exclude_terms: [직장]}}
  - {path: kcd.csv, type: Disease, options: {exclude_terms: [주사]}}
compose:
  heads: [염증]
""", encoding="utf-8")
    from kmner.gazetteer.config import load_gazetteer_config

    gaz = build_gazetteer(load_gazetteer_config(tmp_path / "gaz.yaml"))
    look = gaz.lookup
    assert look("제2형 당뇨병")["code"] == "kcd:E11"  # the ordinal spelling names E11
    assert look("2형 당뇨병")["code"] == "kcd:E11"
    assert look("본태성 고혈압")["code"] == "kcd:I10"
    assert look("고혈압")["code"] is None              # a broader name than I10: no code
    assert look("염증")["type"] == "Head" and look("염증")["code"] is None
    assert look("눈꺼풀의 염증")["code"] == "kcd:H01"
    assert look("이차성") is None                       # a bare -성 modifier
    for gone in ("혈장", "간세포", "직장", "주사"):
        assert look(gone) is None, gone
    src = gaz.info["report"]["sources"]
    assert src["kcd"]["dropped"]["generic fragment: a compose head only, not an entry"] == 1
    assert src["kcd"]["dropped"]["source exclude_terms (everyday sense is another type)"] == 1
    assert src["anatomy"]["dropped"] == {
        "section excluded by the type policy (substances, cells)": 1,
        "name excluded by the type policy (exclude_suffixes)": 1,
        "source exclude_terms (everyday sense is another type)": 1}


def test_heads_from_a_term_table_never_become_entities(tmp_path):
    """A table exported from a composed gazetteer keeps its Head/Part rows; built
    without a compose section they are still never entities."""
    from kmner.gazetteer.config import table_config

    table = tmp_path / "t.tsv"
    table.write_text("term\ttype\n염증\tHead\n근육\tPart\n기관지\tBody\n", encoding="utf-8")
    m = Matcher(build_gazetteer(table_config(table)), num_workers=1)
    assert spans(m, "기관지 염증과 근육") == [("기관지", "Body", "space")]


def test_modifier_word_already_in_a_span_is_not_joined_again():
    # Kiwi reads 내성 as 내/성(XSN) in this context, so 내성 looks like a modifier
    # word; it already ends the KCD term 메티실린 내성, and composing it into
    # 포도알균 too made two overlapping entities (a record no reader accepts).
    m = Matcher(CompiledGazetteer.load(default_gazetteer_path()), num_workers=1)
    text = " albicans) ○ 메티실린 내성 포도알균 유전자형 : me"
    ents = m.match(text)
    assert [e.text for e in ents if "내성" in e.text] == ["메티실린 내성"]
    for a, b in zip(ents, ents[1:]):
        assert a.end <= b.start, (a, b)


def test_compose_settings_are_derived_once_per_loaded_gazetteer(tmp_path):
    # run_silver builds a Matcher per call; on a 500k-term gazetteer deriving the
    # symptom term ids again each time cost ~5% of a benchmark chunk
    gaz = make_matcher(tmp_path).gaz
    first, second = Matcher(gaz, num_workers=1), Matcher(gaz, num_workers=1)
    assert first.composer.symptoms is second.composer.symptoms
    assert {gaz.surfaces[i] for i in first.composer.symptoms} == {"통증", "떨림"}
