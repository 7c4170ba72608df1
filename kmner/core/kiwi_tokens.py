"""Kiwi tokens of a text: the one tokenisation every stage uses (the GLiNER2 word
splitters, the token-format writers of ``kmner data convert`` and ``kmner
tokenize``).

Kiwi's morphemes become surface tokens ``(start, end, tag)`` in three steps:

1. morphemes that share characters (했 = 하 + 었) are fused; the fused token is
   grammatical when any part is, so 했 counts as an ending;
2. tokens are cut at whitespace (Kiwi sometimes returns a multi-word noun such as
   알레르기 비염 as one morpheme, which no token format can carry);
3. every non-space run Kiwi skipped becomes a token of its own (tag ``SW``), so
   the tokens cover every non-space character.

``cut_tokens`` splits tokens at given positions (an entity edge inside a token).
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator, Sequence

from kmner.core.morph import Morph, analyze, analyze_many

# Kiwi tags that carry grammar rather than content: particles (J*), endings (E*),
# the copula (VCP/VCN) and suffixes that turn a noun into a verb or adjective.
_FUNCTION_TAG = re.compile(r"^(J|E|VCP|VCN|XSV|XSA)")
_SYMBOL_TAG = re.compile(r"^S[FPSEOW]")
_NON_SPACE_RUN = re.compile(r"\S+")

Unit = tuple[int, int, str]      # start, end, Kiwi tag
Span = tuple[int, int]           # start, end


def morph_class(tag: str) -> str:
    """The class of a Kiwi tag: symbol, function (grammar) or content."""
    if _SYMBOL_TAG.match(tag):
        return "symbol"
    if _FUNCTION_TAG.match(tag):
        return "function"
    return "content"


def whitespace_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Non-space runs of ``text[start:end]``, as offsets into ``text``."""
    end = len(text) if end is None else end
    return [m.span() for m in _NON_SPACE_RUN.finditer(text, start, end)]


def _fuse_contractions(morphs: Sequence[Morph]) -> list[Unit]:
    out: list[Unit] = []
    for s, e, tag in sorted((m.start, m.end, m.tag) for m in morphs if m.end > m.start):
        if out and s < out[-1][1]:
            ps, pe, ptag = out[-1]
            out[-1] = (ps, max(pe, e), ptag if morph_class(ptag) != "content" else tag)
        else:
            out.append((s, e, tag))
    return out


def _cover(text: str, units: list[Unit]) -> list[Unit]:
    """Units cut at whitespace, plus the non-space runs no unit covers."""
    out: list[Unit] = []
    pos = 0
    for s, e, tag in units + [(len(text), len(text), "")]:
        if s > pos:
            out.extend((a, b, "SW") for a, b in whitespace_spans(text, pos, s))
        if e > s:
            out.extend((a, b, tag) for a, b in whitespace_spans(text, s, e))
        pos = max(pos, e)
    return out


def units_from_morphs(text: str, morphs: Sequence[Morph]) -> list[Unit]:
    """Kiwi tokens of ``text`` from its morphemes (steps 1-3 above), in order."""
    return _cover(text, _fuse_contractions(morphs))


def kiwi_units(text: str, *, user_dict: str | None = None) -> list[Unit]:
    return units_from_morphs(text, analyze(text, user_dict=user_dict))


def kiwi_units_many(texts: Sequence[str], *, user_dict: str | None = None,
                    num_workers: int = -1) -> Iterator[list[Unit]]:
    """kiwi_units of many texts, batched through Kiwi's worker threads."""
    for text, morphs in zip(texts, analyze_many(texts, user_dict=user_dict,
                                                num_workers=num_workers)):
        yield units_from_morphs(text, morphs)


def kiwi_spans(text: str, *, user_dict: str | None = None) -> list[Span]:
    """Token offsets of ``text``: what `kmner data convert --tokenizer kiwi` writes."""
    return [(s, e) for s, e, _ in kiwi_units(text, user_dict=user_dict)]


def cut_tokens(tokens: Iterable[Span], cuts: set[int]) -> list[Span]:
    """``tokens`` split at every position in ``cuts`` that falls inside one."""
    out: list[Span] = []
    for s, e in tokens:
        bounds = [s, *sorted(c for c in cuts if s < c < e), e]
        out.extend(zip(bounds, bounds[1:]))
    return out
