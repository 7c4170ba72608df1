"""The Kiwi-checked matcher on each trap class, with real Kiwi and pyahocorasick."""

from __future__ import annotations

import unicodedata

import pytest

from kmner.core.jsonl import load_records
from kmner.gazetteer.compiled import build_gazetteer
from kmner.gazetteer.config import table_config
from kmner.gazetteer.matcher import Matcher
from kmner.gazetteer.plain import PlainMatcher

TERMS = """term\ttype
간\tBody
위\tBody
코\tBody
배\tBody
목\tBody
눈\tBody
열\tDisease
등\tBody
폐\tBody
당뇨\tDisease
당뇨병\tDisease
제2형 당뇨병\tDisease
간경화\tDisease
간이식\tTreatment
위암\tDisease
코로나19\tDisease
설사\tDisease
감기\tDisease
비만\tDisease
무릎\tBody
폐암\tDisease
메트포르민\tTreatment
아목시실린\tTreatment
심근경색증\tDisease
"""


@pytest.fixture(scope="module")
def matcher(tmp_path_factory):
    path = tmp_path_factory.mktemp("gaz") / "terms.tsv"
    path.write_text(TERMS, encoding="utf-8")
    return Matcher(build_gazetteer(table_config(path)), num_workers=2)


def spans(matcher, text):
    ents = matcher.match(text)
    for e in ents:
        assert text[e.start:e.end] == e.text
    return [(e.text, e.type) for e in ents]


@pytest.mark.parametrize("text, expected", [
    ("간호사가 간 기능을 봤다.", [("간", "Body")]),
    ("시간이 지나면서 간 수치가 좋아졌다.", [("간", "Body")]),
    ("병원에 간 환자", []),                        # 간 = 가 + ㄴ (verb)
    ("건강을 위해 걷는다.", []),                    # 위해 = 위하 + 어
    ("환자는 위가 쓰리다고 했다.", [("위", "Body")]),
    ("코로나19로 코와 목이 아팠다.", [("코로나19", "Disease"), ("코", "Body"), ("목", "Body")]),
    ("체중이 두 배로 늘었다.", []),                 # 배 after a numeral
    ("배가 아프다.", [("배", "Body")]),
    ("열 명의 환자", []),                          # 열 = ten
    ("열이 났다.", [("열", "Disease")]),
    ("리바록사반 등의 약", []),                     # 등 = etc.
    ("등에 통증이 있다.", [("등", "Body")]),
    ("눈물이 나고 눈이 충혈되었다.", [("눈", "Body")]),
])
def test_single_syllable_terms(matcher, text, expected):
    assert spans(matcher, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("제2형당뇨병 환자", [("제2형당뇨병", "Disease")]),
    ("제2형 당뇨병으로 치료", [("제2형 당뇨병", "Disease")]),
    ("제 2형 당뇨병 진단", [("제 2형 당뇨병", "Disease")]),
    ("당뇨병이 있다.", [("당뇨병", "Disease")]),
    ("당뇨 병원에 다닌다.", [("당뇨", "Disease")]),   # not 당뇨병 across the space
    ("당뇨예요.", [("당뇨", "Disease")]),           # zero-length copula
    ("심근경색증이에요.", [("심근경색증", "Disease")]),
    ("간경화로 입원", [("간경화", "Disease")]),       # Kiwi splits 간+경화: internal cut is fine
    ("간 이식 후 경과", [("간 이식", "Treatment")]),
    ("폐암환자의 폐 기능", [("폐암", "Disease"), ("폐", "Body")]),  # noun after a longer term
])
def test_spacing_particles_and_compounds(matcher, text, expected):
    assert spans(matcher, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("설사 그가 온다 해도 가지 않겠다.", []),          # adverb
    ("수술 후 설사가 지속되었다.", [("설사", "Disease")]),
    ("눈을 감기 전에 기도했다.", [("눈", "Body")]),    # verb 감 + 기
    ("감기에 걸렸다.", [("감기", "Disease")]),
    ("비만 오면 무릎이 쑤신다.", [("무릎", "Body")]),   # 비 + 만 (rain + only)
    ("비만 환자의 무릎 통증", [("비만", "Disease"), ("무릎", "Body")]),
])
def test_two_syllable_terms_only_as_nouns(matcher, text, expected):
    assert spans(matcher, text) == expected


def test_surface_comes_from_original_text_even_when_normalised(matcher):
    nfd = unicodedata.normalize("NFD", "환자는 당뇨병이 있다.")
    zw = "당뇨\u200b병이 있다."
    emoji = "😀🩺 메트포르민을 처방했다."
    for text in (nfd, zw, emoji):
        ents = matcher.match(text)
        assert len(ents) == 1
        assert text[ents[0].start:ents[0].end] == ents[0].text
    assert matcher.match(emoji)[0].start == 3  # two non-BMP characters and a space


def test_kiwi_hits_carry_provenance(matcher):
    (ent,) = matcher.match("메트포르민을 처방했다.")
    assert ent.meta["term"] == "메트포르민" and ent.meta["rule"] == "particle"
    assert ent.meta["source"] == "terms"


def test_plain_baseline_is_fooled_where_the_matcher_is_not(matcher):
    plain = PlainMatcher(matcher.gaz)
    text = "간호사가 두 배로 늘었다."
    assert {e.text for e in plain.match(text)} == {"간", "배"}
    assert matcher.match(text) == []


@pytest.mark.shared
def test_boundary_traps_acceptance(shared_data):
    """Issue 2 acceptance: micro P >= 0.97 and R >= 0.95 on the trap set, and plain
    Aho-Corasick on the same data far below it."""
    from kmner.evaluation.scoring import score_records

    gaz = build_gazetteer(table_config(shared_data / "traps" / "trap_terms.tsv"))
    gold = load_records(shared_data / "traps" / "boundary_traps.jsonl")
    m = Matcher(gaz, num_workers=2)
    pred = [r.copy_with(e) for r, e in zip(gold, m.match_many(r.text for r in gold))]
    base = [r.copy_with(PlainMatcher(gaz).match(r.text)) for r in gold]
    s, b = score_records(gold, pred), score_records(gold, base)
    assert s.micro.precision >= 0.97 and s.micro.recall >= 0.95
    assert b.micro.precision < 0.8 < s.micro.precision


@pytest.mark.shared
def test_pos_traps(shared_data):
    gaz = build_gazetteer(table_config(shared_data / "traps" / "trap_terms.tsv"))
    gold = load_records(shared_data / "traps" / "pos_traps.jsonl")
    m = Matcher(gaz, num_workers=2)
    for rec, ents in zip(gold, m.match_many(r.text for r in gold)):
        found = {(e.start, e.end) for e in ents}
        for g in rec.entities:
            assert (g.start, g.end) in found, (rec.text, g)
        for e in ents:  # only nouns: no 설사/감기/비만 outside the gold spans
            if e.text in {"설사", "감기", "비만"}:
                assert (e.start, e.end) in {(g.start, g.end) for g in rec.entities}
