"""Tag decoding: schemes, styles and the problems a strict reader raises."""

from __future__ import annotations

import pytest

from kmner.data.tags import TagError, decode_tags, encode_tags, parse_tag


def test_parse_prefix_suffix_and_bilou():
    assert parse_tag("B-Disease") == ("B", "Disease")
    assert parse_tag("Disease-I") == ("I", "Disease")
    assert parse_tag("U-Body") == ("S", "Body") and parse_tag("Body-L") == ("E", "Body")
    assert parse_tag("B-Sym-ptom") == ("B", "Sym-ptom")
    for bad in ("X-", "B", "Q-Body", "BODY", ""):
        with pytest.raises(TagError):
            parse_tag(bad)


def test_bio_problems_and_repairs():
    spans, problems = decode_tags(["O", "I-D", "I-D", "B-B", "I-D"])
    assert spans == [(1, 3, "D"), (3, 4, "B"), (4, 5, "D")]
    assert [p.index for p in problems] == [1, 4]


def test_iob1_orphan_inside_is_normal():
    spans, problems = decode_tags(["I-D", "I-D", "B-D", "O", "I-B"], "iob1")
    assert spans == [(0, 2, "D"), (2, 3, "D"), (4, 5, "B")] and problems == []


def test_bioes_unclosed_and_orphan_end():
    spans, problems = decode_tags(["B-D", "I-D", "O", "E-B", "S-D"], "bioes")
    assert spans == [(0, 2, "D"), (3, 4, "B"), (4, 5, "D")]
    assert len(problems) == 2
    assert "not closed" in problems[0].message and "no B-" in problems[1].message
    assert decode_tags(["B-D", "E-D", "S-B"], "bioes") == ([(0, 2, "D"), (2, 3, "B")], [])


@pytest.mark.parametrize("scheme", ["bio", "bioes", "iob1"])
@pytest.mark.parametrize("style", ["prefix", "suffix"])
def test_encode_decode_inverse(scheme, style):
    spans = [(0, 1, "D"), (1, 3, "D"), (4, 7, "B"), (7, 8, "B")]
    tags = encode_tags(9, spans, scheme=scheme, style=style)
    assert decode_tags(tags, scheme, style=style) == (spans, [])
    # single-letter types make B-I ambiguous: the reader's preferred style decides
    assert decode_tags(tags, scheme, prefer=style) == (spans, [])
