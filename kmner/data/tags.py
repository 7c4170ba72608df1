"""Token tags (BIO, BIOES, IOB1) in prefix (``B-Disease``) or suffix
(``Disease-B``) style, decoded into token spans with every irregularity reported.

Decoding never guesses quietly: an ``I-`` that continues nothing, an unclosed
BIOES chunk or a tag the scheme does not know is a problem. Callers raise the
first problem by default, or with ``repair=True`` keep the natural repair (the
orphan ``I-X`` opens a new X chunk) and log each one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Sequence

Scheme = Literal["bio", "bioes", "iob1"]
Style = Literal["prefix", "suffix"]
SCHEMES = ("bio", "bioes", "iob1")

_PREFIX_RE = re.compile(r"([BIESLU])-(.+)")
_SUFFIX_RE = re.compile(r"(.+)-([BIESLU])")
# BILOU spellings mean the same as BIOES ones.
_BILOU = {"L": "E", "U": "S"}
_ALLOWED = {"bio": set("BIO"), "iob1": set("BIO"), "bioes": set("BIOES")}


class TagError(ValueError):
    """A tag that cannot be parsed at all."""


def parse_tag(tag: str, style: Style | Literal["auto"] = "auto") -> tuple[str, str | None]:
    """``"B-Disease"`` or ``"Disease-B"`` -> ``("B", "Disease")``; ``"O"`` -> ``("O", None)``.
    ``style`` "auto" tries prefix style first."""
    if tag == "O":
        return "O", None
    m = _PREFIX_RE.fullmatch(tag) if style != "suffix" else None
    if m:
        return _BILOU.get(m.group(1), m.group(1)), m.group(2)
    m = _SUFFIX_RE.fullmatch(tag) if style != "prefix" else None
    if m:
        return _BILOU.get(m.group(2), m.group(2)), m.group(1)
    raise TagError(f"unknown tag {tag!r}: expected O, B-TYPE/I-TYPE (prefix style) or "
                   "TYPE-B/TYPE-I (suffix style), with E/S also allowed in BIOES")


def sequence_style(tags: Sequence[str], prefer: Style = "prefix") -> Style:
    """The style every tag of a sequence parses in; ``prefer`` when both fit (only
    possible when types are single letters such as ``B-I``)."""
    def fits(style: Style) -> bool:
        try:
            for t in tags:
                parse_tag(t, style)
        except TagError:
            return False
        return True

    other: Style = "suffix" if prefer == "prefix" else "prefix"
    if fits(prefer):
        return prefer
    return other if fits(other) else prefer


@dataclass(frozen=True)
class TagProblem:
    index: int
    message: str


@dataclass
class _Chunk:
    type: str
    start: int
    closed: bool = False  # BIOES: an E- has been seen


def decode_tags(tags: Sequence[str], scheme: Scheme = "bio", *,
                style: Style | Literal["auto"] = "auto", prefer: Style = "prefix"
                ) -> tuple[list[tuple[int, int, str]], list[TagProblem]]:
    """Token spans ``(first, last + 1, type)`` and the problems met on the way.
    The spans are what a repairing reader keeps. Unparseable tags raise TagError.
    With ``style="auto"`` the whole sequence is read in one style (``prefer`` when
    both fit)."""
    if style == "auto":
        style = sequence_style(tags, prefer)
    if scheme not in SCHEMES:
        raise ValueError(f"unknown tag scheme {scheme!r}; choose from {', '.join(SCHEMES)}")
    spans: list[tuple[int, int, str]] = []
    problems: list[TagProblem] = []
    current: _Chunk | None = None

    def close(end: int) -> None:
        nonlocal current
        if current is not None:
            if scheme == "bioes" and not current.closed:
                problems.append(TagProblem(end - 1, f"{current.type} chunk started at token "
                                           f"{current.start + 1} is not closed by an E- tag"))
            spans.append((current.start, end, current.type))
            current = None

    for i, tag in enumerate(tags):
        prefix, type_ = parse_tag(tag, style)
        if prefix not in _ALLOWED[scheme]:
            raise TagError(f"tag {tag!r} is not part of the {scheme.upper()} scheme "
                           "(choose the scheme with --scheme)")
        if prefix == "O":
            close(i)
            continue
        assert type_ is not None
        continues = current is not None and current.type == type_ and not current.closed
        if prefix == "B":
            close(i)
            current = _Chunk(type_, i)
        elif prefix == "S":
            close(i)
            spans.append((i, i + 1, type_))
        elif prefix == "I":
            if not continues:
                if scheme != "iob1":
                    problems.append(TagProblem(i, f"{tag!r} does not continue a {type_} chunk "
                                               f"(no B- before it)"))
                close(i)
                current = _Chunk(type_, i)
        elif prefix == "E":
            if not continues:
                problems.append(TagProblem(i, f"{tag!r} does not continue a {type_} chunk "
                                           f"(no B- before it)"))
                close(i)
                current = _Chunk(type_, i)
            current.closed = True
    close(len(tags))
    return spans, problems


def encode_tags(n_tokens: int, spans: Sequence[tuple[int, int, str]], *,
                scheme: Scheme = "bio", style: Style = "prefix") -> list[str]:
    """Tags for ``n_tokens`` tokens from non-overlapping token spans."""
    tags = ["O"] * n_tokens
    last_end, last_type = -1, None
    for first, end, type_ in sorted(spans):
        if scheme == "bioes" and end - first == 1:
            prefixes = ["S"]
        elif scheme == "bioes":
            prefixes = ["B"] + ["I"] * (end - first - 2) + ["E"]
        elif scheme == "iob1":
            # IOB1 uses B- only where a chunk directly follows one of its own type.
            head = "B" if (last_end == first and last_type == type_) else "I"
            prefixes = [head] + ["I"] * (end - first - 1)
        else:
            prefixes = ["B"] + ["I"] * (end - first - 1)
        for k, p in enumerate(prefixes):
            tags[first + k] = f"{p}-{type_}" if style == "prefix" else f"{type_}-{p}"
        last_end, last_type = end, type_
    return tags
