"""One shared Kiwi (kiwipiepy) analyser for every stage.

Kiwi reports morpheme offsets in Python code points of the input string (emoji
count as one), but a morpheme's ``form`` is normalised (했 -> 하 + 었, sharing one
character), so callers must take surfaces from the original text by offset.
Loading Kiwi costs about a second, so it is built once per (user dictionary,
worker count) and reused. Surface tokens built from the morphemes are
kiwi_tokens.py's job.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from operator import attrgetter
from typing import Iterable, Iterator


@dataclass(frozen=True, slots=True)
class Morph:
    """A morpheme with its original-text span ``[start, end)``."""

    form: str
    tag: str
    start: int
    end: int


_lock = threading.Lock()


@lru_cache(maxsize=4)
def get_kiwi(user_dict: str | None = None, num_workers: int = -1):
    """A cached Kiwi instance. ``num_workers`` -1 lets Kiwi use all cores;
    ``user_dict`` is a path to a Kiwi user dictionary file."""
    with _lock:
        from kiwipiepy import Kiwi

        kiwi = Kiwi(num_workers=num_workers)
        if user_dict:
            kiwi.load_user_dictionary(user_dict)
        return kiwi


_SENT_POSITION = attrgetter("sent_position")


def by_sentence(tokens: list) -> list[list]:
    """Kiwi tokens of one text grouped by sentence, as ``tokenize(...,
    split_sents=True)`` returns them (same analysis: that flag only regroups the
    result), but cheaper: kiwipiepy groups with a Python key function per token,
    and most texts are one sentence, which one attribute read shows."""
    if not tokens:
        return []
    if tokens[-1].sent_position == 0:
        return [tokens]
    return [list(group) for _, group in groupby(tokens, key=_SENT_POSITION)]


def _to_morphs(tokens) -> list[Morph]:
    return [Morph(t.form, t.tag, t.start, t.start + t.len) for t in tokens]


def analyze(text: str, *, user_dict: str | None = None) -> list[Morph]:
    """Morphemes of one text."""
    if not text.strip():
        return []
    return _to_morphs(get_kiwi(user_dict).tokenize(text))


def analyze_many(texts: Iterable[str], *, user_dict: str | None = None,
                 num_workers: int = -1) -> Iterator[list[Morph]]:
    """Morphemes of many texts, in order, using Kiwi's own worker threads."""
    kiwi = get_kiwi(user_dict, num_workers)
    for tokens in kiwi.tokenize(_nonempty(texts)):
        yield _to_morphs(tokens)


def _nonempty(texts: Iterable[str]) -> Iterator[str]:
    # Kiwi returns no tokens for whitespace-only text; a single space keeps the
    # one-output-per-input contract without special cases downstream.
    for t in texts:
        yield t if t else " "
