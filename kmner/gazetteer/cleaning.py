"""Per-source cleaning of dictionary names into matchable surface forms.

Each function takes one raw name and returns the surfaces worth matching (possibly
none). They are pure string functions so that every rule has a direct test.
"""

from __future__ import annotations

import re

# --- shared -----------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_HANGUL = re.compile("[가-힣]")


def squash_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def has_hangul(text: str) -> bool:
    return _HANGUL.search(text) is not None


# --- KCD ----------------------------------------------------------------------

# Cross-references to other codes, with or without dagger/asterisk marks:
# "(G55.1*)", "(C00-D48†)", "(K51.-†)", "(O08.0의 병태)".
_KCD_XREF = re.compile(r"\s*\([^()]*[A-Z]\d{2}[^()]*\)")
_KCD_MARKS = re.compile(r"[†*‡]")
# Any other parenthesised or bracketed aside: Hanja glosses "(噴門)", optional words
# "(폐의)", "(동정맥)".
_BRACKETS = re.compile(r"\s*[(\[（［][^()\[\]（）［］]*[)\]）］]\s*")
# Qualifiers that say "unspecified / other / not elsewhere classified"; they add
# nothing to the surface a writer would use.
_KCD_QUALIFIERS = re.compile(
    r"(달리 분류되지 않은|기타 및 상세불명의?|상세불명의|상세불명|기타 명시된|명시된|기타|NEC)\s*")
# Words that end a self-contained disease, symptom or injury name. A sub-code whose
# cleaned name has none of these (and is not named by its parent) is elliptical:
# C16.9 "상세불명의 위" means "malignant neoplasm of stomach, unspecified", not "위".
DISEASE_HEADS = (
    "증", "염", "병", "암", "종", "통", "장애", "질환", "손상", "골절", "감염", "중독",
    "탈구", "결핵", "궤양", "출혈", "경색", "마비", "기형", "결손", "부전", "이상",
    "신생물", "증후군", "열", "창", "매독", "발진", "천공", "결석", "유착", "위축", "변비",
    "경화", "경변", "병변", "괴사", "충혈", "빈혈", "뇨", "루", "균", "충", "곤란", "기침",
    "구토", "설사", "발작", "경련", "두드러기", "비만", "치매", "쇼크", "협착", "폐쇄",
    "고혈압", "저혈압", "비대", "탈출", "파열", "염좌", "감소", "과다", "저하", "결핍", "낭종", "독", "농양",
)


def _strip_kcd_noise(name: str) -> str:
    name = _KCD_XREF.sub(" ", name)
    name = _KCD_MARKS.sub("", name)
    name = _BRACKETS.sub(" ", name)
    return squash_spaces(name)


def clean_kcd_name(name: str) -> str:
    """The matchable part of a KCD name, or "" when nothing is left.

    Drops cross-references and brackets, keeps what precedes a trailing ", qualifier"
    (stage, site, laterality), and removes 상세불명의 / 기타 / NEC qualifiers.
    """
    name = _strip_kcd_noise(name)
    head, _, rest = name.partition(",")
    # "X, 조기" / "X, 어깨부분": a trailing qualifier. But "입술, 구강 및 ... 신생물" is a
    # list whose disease head comes last, so only cut when X is itself a disease name.
    if rest and _KCD_QUALIFIERS.sub("", head).strip().endswith(DISEASE_HEADS):
        name = head
    name = _KCD_QUALIFIERS.sub("", name)
    name = squash_spaces(name.strip(" .-/"))
    return "" if name in FUNCTION_WORDS else name


# Heads too generic to stand alone as a term ("손상" of what?).
GENERIC_HEADS = frozenset({"손상", "신생물", "악성 신생물", "장애", "질환", "질병", "이상", "감염",
                           "증후군", "병", "합병증", "중독", "기형", "증", "상태", "병태",
                           "이상소견", "후유증", "결손", "부전", "손상", "통증", "독성"})


def kcd_head_variant(term: str) -> str | None:
    """The last word of a multi-word disease name when it is a disease name on its
    own: "본태성 고혈압" -> "고혈압", "배양만으로 확인된 폐결핵" -> "폐결핵", "결핵성
    수막염" -> "수막염". Generic heads ("손상", "신생물") are not variants."""
    words = term.split()
    if len(words) < 2:
        return None
    head = words[-1]
    if len(head) < 2 or head in GENERIC_HEADS or not head.endswith(DISEASE_HEADS):
        return None
    return head


_ORDINAL_TYPE = re.compile(r"^\d+형 ")


def kcd_ordinal_variant(term: str) -> str | None:
    """The ordinal spelling of a numbered type, as writers use it: "2형 당뇨병" ->
    "제2형 당뇨병" (same concept, same code)."""
    return "제" + term if _ORDINAL_TYPE.match(term) else None


_LIST_SPLIT = re.compile(r" (?:및|또는) ")


def kcd_list_variants(term: str) -> list[str]:
    """Items of a one-word-per-item list that are disease names on their own:
    "위염 및 십이지장염" -> 위염, 십이지장염. Agents and sites in lists ("담배 및
    니코틴") do not end like a disease and are not split off."""
    parts = _LIST_SPLIT.split(term)
    if len(parts) < 2 or any(" " in p for p in parts):
        return []
    return [p for p in parts if len(p) >= 2 and p not in GENERIC_HEADS
            and p.endswith(DISEASE_HEADS)]


def kcd_head(name: str) -> str:
    """The last word of a cleaned KCD name, e.g. "요스" in "상세불명의 요스"."""
    words = name.split()
    return words[-1] if words else ""


# Where KCD sub-codes name a site, stage or agent of the parent category rather than
# a disease of their own (neoplasms C00-D48, injuries and poisonings S00-T98).
SITE_QUALIFIED_CHAPTERS = ("C", "D0", "D1", "D2", "D3", "D4", "S", "T")
SITE_WORDS = frozenset({"왼쪽", "오른쪽", "양쪽", "한쪽", "양측", "좌측", "우측", "내측", "외측",
                        "부위", "다발성 부위", "부분", "조기", "진행형", "쪽"})
# Function words that can be all that is left of a name after cleaning.
FUNCTION_WORDS = frozenset({"및", "또는", "의", "와", "과", "등"})


def is_elliptical(child: str, parent: str | None, body_terms: frozenset[str] = frozenset(),
                  *, site_qualified: bool = True) -> bool:
    """True when a sub-code's cleaned name only makes sense under its parent.

    A name that is a body part ("위", "방광"), a bare site word ("왼쪽") or a bare
    -성 modifier ("이차성") is always elliptical. In site-qualified chapters, so is one that neither ends in a
    disease-like head nor shares the parent's head word ("에탄올" under toxic
    effects of alcohol).
    """
    if not child:
        return True
    compact = child.replace(" ", "")
    if compact in body_terms or compact.removesuffix("의") in body_terms:
        return True
    if child in SITE_WORDS or child.endswith(tuple(" " + w for w in SITE_WORDS)):
        return True
    if child[0].isdigit() and not compact.endswith(DISEASE_HEADS):
        return True  # a count or a week on its own: "23주" under preterm infant
    if " " not in child and len(child) >= 3 and child.endswith("성"):
        return True  # an adjectival modifier on its own: 이차성, 궤양성 (secondary, ulcerative)
    if not site_qualified:
        return False
    if compact.endswith(DISEASE_HEADS):
        return False
    if parent:
        head = kcd_head(parent)
        if len(head) >= 2 and head in child:
            return False
    return True


# --- procedures (HIRA fee schedule) ------------------------------------------

_BILLING = re.compile(r"\s*\[[^\[\]]*\]\s*")


# Words that end a procedure or test name. Fee-schedule variants that end in
# anything else are sites, materials or billing conditions ("쇄골", "원료", "이하").
PROCEDURE_HEADS = (
    "술", "검사", "치료", "요법", "처치", "절제", "생검", "배양", "이식", "천자", "측정",
    "시험", "촬영", "조영", "내시경", "마취", "수혈", "투석", "분만", "주사", "검진", "봉합",
    "교정", "고정", "적출", "성형", "재건", "배액", "세척", "흡인", "삽관", "치환", "제거",
    "정량", "정성", "도말", "판독", "분석", "증폭", "스캔", "초음파", "CT", "MRI",
)


def clean_procedure_name(name: str) -> list[str]:
    """Fee-schedule names: drop billing qualifiers in [...] and asides in (...);
    "category - variant" gives the category and the specific variant; "A, B"
    lists keep their last item. Only parts that end like a procedure or test
    name are kept (a variant "-쇄골" is a site, not a procedure)."""
    name = squash_spaces(_BILLING.sub(" ", name))
    name = squash_spaces(_BRACKETS.sub(" ", name))
    parts = [p for p in (squash_spaces(x) for x in name.split("-")) if p]
    out: list[str] = []
    for part in parts[:1] + parts[1:][-1:]:
        part = squash_spaces(part.split(",")[-1]).strip(" .-/")
        if (part and has_hangul(part) and part.endswith(PROCEDURE_HEADS)
                and not part.startswith(("기타", "그외", "그 외")) and part not in out):
            out.append(part)
    return out


# --- drugs --------------------------------------------------------------------

_DOSE = re.compile(
    r"\s*\d+(?:[.,]\d+)?\s*(?:mg|g|mcg|μg|㎍|ug|ml|mL|L|IU|I\.U\.?|iu|%|단위|만단위|mEq)"
    r"(?=[\s/()]|$)", re.IGNORECASE)
# Salt and hydrate words that follow the active moiety in INN-style names.
_SALT_WORDS = {
    "hydrochloride", "hcl", "sodium", "potassium", "calcium", "magnesium", "sulfate",
    "mesylate", "besylate", "maleate", "fumarate", "tartrate", "bitartrate", "citrate",
    "acetate", "phosphate", "succinate", "hydrate", "monohydrate", "dihydrate",
    "trihydrate", "hydrobromide", "bromide", "chloride", "nitrate", "lactate",
    "gluconate", "propionate", "dipropionate", "valerate", "butyrate", "disodium",
    "trometamol", "tromethamine", "anhydrous", "hemihydrate", "sesquihydrate",
    "micronized", "encapsulated", "diluted", "concentrated",
}
_FORM_WORDS = ("정", "캡슐", "주사액", "주사", "시럽", "연고", "크림", "액", "산", "과립",
               "패취", "패치", "점안액", "현탁액")


def clean_drug_name(name: str) -> list[str]:
    """HIRA main-ingredient names: drop "(as ...)" and "(B액 400ml중)" asides, doses
    and concentrations; add the bare moiety without salt/hydrate words as a variant.
    Names that are lists (commas) or test strips are not ingredients and give []."""
    name = squash_spaces(name)
    if not name or "시험지" in name or "검사용" in name:
        return []
    name = _BRACKETS.sub(" ", name)
    name = re.sub(r"\([^)]*$", "", name)  # unbalanced trailing "(as ..."
    name = _DOSE.sub(" ", name)
    name = squash_spaces(name).strip(" .,-/")
    if not name or "," in name or len(name) > 60:
        return []
    for form in _FORM_WORDS:
        if has_hangul(name) and name.endswith(" " + form):
            name = name[: -len(form) - 1]
    out = [name]
    words = name.split()
    if len(words) > 1:
        base = [w for w in words if w.lower() not in _SALT_WORDS]
        if base and len(base) < len(words):
            bare = " ".join(base)
            if bare not in out:
                out.append(bare)
    return [n for n in out if _plausible_drug(n)]


def _plausible_drug(name: str) -> bool:
    """Latin-script names need four letters ("as", "ext" are fragments, not drugs)."""
    compact = name.replace(" ", "")
    if has_hangul(compact):
        return len(compact) >= 2
    return sum(c.isalpha() for c in compact) >= 4
