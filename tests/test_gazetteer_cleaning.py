"""Per-source cleaning rules."""

from __future__ import annotations

import pytest

from kmner.gazetteer import cleaning


@pytest.mark.parametrize("raw, clean", [
    ("상세불명의 콜레라", "콜레라"),
    ("아메바성 간농양 (K77.0*)", "아메바성 간농양"),
    ("결핵성 수막염(G01*)", "결핵성 수막염"),
    ("헤르페스바이러스간염†(K77.0*)", "헤르페스바이러스간염"),
    ("신생물질환에서의 빈혈(C00-D48†)", "신생물질환에서의 빈혈"),
    ("궤양성 대장염에서의 관절병증(K51.-†), 어깨부분", "궤양성 대장염에서의 관절병증"),
    ("분문의 악성 신생물, 조기", "분문의 악성 신생물"),
    ("상동적(常同的) 운동장애", "상동적 운동장애"),
    ("달리 분류되지 않은 기타 세균성 질환", "세균성 질환"),
    ("기타 및 상세불명의 복통", "복통"),
    ("기타 살모넬라감염", "살모넬라감염"),
    ("입술, 구강 및 인두의 악성 신생물", "입술, 구강 및 인두의 악성 신생물"),  # a list, not a qualifier
    ("기타", ""),
    ("상세불명", ""),
])
def test_kcd_names(raw, clean):
    assert cleaning.clean_kcd_name(raw) == clean


def test_elliptical_child_names():
    body = frozenset({"위", "방광", "분문"})
    # C16.9 "상세불명의 위" under "위의 악성 신생물": a body part, never Disease "위"
    assert cleaning.is_elliptical(cleaning.clean_kcd_name("상세불명의 위"), "위의 악성 신생물", body)
    assert cleaning.is_elliptical("분문", "위의 악성 신생물", body)
    assert cleaning.is_elliptical("왼쪽", "유방의 악성 신생물", body)
    assert cleaning.is_elliptical("에탄올", "알코올의 독성 효과", body)
    assert not cleaning.is_elliptical("백선증", "피부사상균증", body)
    assert not cleaning.is_elliptical("요스", "요스", body)  # shares the parent's head
    # outside site-qualified chapters only body parts and site words are elliptical
    assert not cleaning.is_elliptical("두근거림", "심장박동의 이상", body, site_qualified=False)
    assert cleaning.is_elliptical("방광", "요로의 장애", body, site_qualified=False)


@pytest.mark.parametrize("term, head", [
    ("본태성 고혈압", "고혈압"),
    ("결핵성 수막염", "수막염"),
    ("머리의 표재성 손상", None),   # generic head
    ("콜레라", None),               # one word
])
def test_kcd_head_variants(term, head):
    assert cleaning.kcd_head_variant(term) == head


def test_procedure_billing_qualifiers():
    out = cleaning.clean_procedure_name("피부 및 피하조직, 근육내 이물제거술[봉침, 파편 등]-근막절개하 "
                                        "이물제거술")
    assert "근막절개하 이물제거술" in out
    assert all("[" not in t and "봉침" not in t for t in out)
    assert cleaning.clean_procedure_name("관절경수술[1회]-기타") == ["관절경수술"]


@pytest.mark.parametrize("raw, expected", [
    ("amlodipine besylate (as amlodipine 5mg)", ["amlodipine besylate", "amlodipine"]),
    ("L-methionine(B액600ml중)", ["L-methionine"]),
    ("L-phenylalanine   8420mg(A액400ml중)", ["L-phenylalanine"]),
    ("metformin hydrochloride", ["metformin hydrochloride", "metformin"]),
    ("요단백질,포도당 동시검사용시험지", []),
    ("glibenclamide, micronized", []),
    ("as", []),
])
def test_drug_dose_and_form_qualifiers(raw, expected):
    assert cleaning.clean_drug_name(raw) == expected
