"""Property tests: normalise/strip -> match -> map back always lands on the
original characters of the matched term, whatever the text looks like."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kmner.core.offsets import normalize
from kmner.gazetteer.compiled import build_gazetteer
from kmner.gazetteer.config import table_config
from kmner.gazetteer.keys import match_key
from kmner.gazetteer.matcher import Matcher

TERMS = ["간", "위", "당뇨병", "제2형 당뇨병", "메트포르민", "Metformin", "코로나19", "간경화"]


@pytest.fixture(scope="module")
def matcher(tmp_path_factory):
    path = tmp_path_factory.mktemp("gaz") / "t.tsv"
    path.write_text("term\ttype\n" + "".join(f"{t}\tDisease\n" for t in TERMS), encoding="utf-8")
    return Matcher(build_gazetteer(table_config(path)), num_workers=2)


def variants(term: str) -> list[str]:
    """A term as a writer might type it: NFD, with zero-width or extra spaces."""
    chars = list(term)
    return [term, unicodedata.normalize("NFD", term), "\u200b".join(chars), " ".join(chars),
            term.upper()]


noise = st.text(alphabet=st.sampled_from(list("가나다이가는을를의 \t\n.,!?0123456789abcXYZ")
                                         + ["\u200b", "\u200d", "\ufeff", "😀", "🩺", "𝐀",
                                            "\u1100", "\u1161", "\u11a8", "\u0301"]),
                max_size=6)
fragment = st.one_of(noise, st.sampled_from(TERMS).flatmap(lambda t: st.sampled_from(variants(t))))
texts = st.lists(fragment, max_size=8).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts)
def test_candidates_map_back_to_the_term(matcher, text):
    norm = normalize(text)
    for s, e, i in matcher.candidates(norm.derived):
        a, b = norm.to_original(s, e)
        assert 0 <= a < b <= len(text)
        assert match_key(text[a:b]) == match_key(matcher.gaz.surfaces[i])


spaced = st.lists(st.one_of(st.sampled_from([" ", "  ", "\u00a0", "\u3000", "\u202f"]),
                            st.sampled_from(TERMS), st.text("간위당뇨병제2형Mm", max_size=3)),
                  max_size=8).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(texts, spaced))
@example(text="제2형\u00a0당뇨병이 간 경화")
@example(text=" 당\u202f뇨  병\u3000위")
def test_candidates_equal_a_brute_force_scan(matcher, text):
    """Every dictionary key found anywhere in the text with whitespace ignored, no
    more and no fewer, whichever path (plain spaces or other whitespace) it takes."""
    text = normalize(text).derived
    keys = {match_key(t): i for i, t in enumerate(matcher.gaz.surfaces)}
    pos = [k for k, ch in enumerate(text) if not ch.isspace()]
    stripped = "".join(text[k] for k in pos)
    expected = {(pos[a], pos[b - 1] + 1, keys[match_key(stripped[a:b])])
                for a in range(len(pos)) for b in range(a + 1, len(pos) + 1)
                if match_key(stripped[a:b]) in keys}
    assert set(matcher.candidates(text)) == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts)
def test_entities_are_exact_slices_of_the_original(matcher, text):
    ents = matcher.match(text)
    for e in ents:
        assert text[e.start:e.end] == e.text
        assert match_key(e.text) == match_key(e.meta["term"])
    for x, y in zip(ents, ents[1:]):
        assert x.end <= y.start  # no overlaps, in text order


def test_every_variant_is_found(matcher):
    for term in TERMS:
        for v in variants(term):
            text = f"환자는 {v} 진단을 받았다."
            norm = normalize(text)
            keys = {match_key(matcher.gaz.surfaces[i]) for _, _, i in
                    matcher.candidates(norm.derived)}
            assert match_key(term) in keys, v
