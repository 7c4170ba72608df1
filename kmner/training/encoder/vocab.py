"""Vocabulary cuts: which SentencePiece pieces an encoder keeps.

``full`` keeps all 250,002 XLM-R pieces. ``ko-en`` keeps the pieces Korean and
English text can use, which halves the parameter count (the embedding matrix is
most of multilingual-e5-small). Unigram segmentation picks the best path
through the pieces that match the text; a text made only of kept characters
can only be matched by kept pieces, so its segmentation (and hence every
output of the encoder) is unchanged by the cut.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from kmner.core.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np

METASPACE = "\u2581"
VOCAB_CHOICES = ("full", "ko-en")

_HANGUL_RANGES = (
    (0x1100, 0x11FF),  # jamo
    (0x3130, 0x318F),  # compatibility jamo
    (0xA960, 0xA97F),  # jamo extended-A
    (0xAC00, 0xD7A3),  # syllables
    (0xD7B0, 0xD7FF),  # jamo extended-B
)
# Letters outside ASCII that Korean clinical text writes on their own: Greek
# (α-blocker, μg) and accented Latin (Ménière, Sjögren). Only their
# single-character pieces are kept, so such words still tokenise without <unk>.
_SINGLE_LETTER_RANGES = ((0x00C0, 0x024F), (0x0370, 0x03FF))


def _is_hangul(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _HANGUL_RANGES)


def _is_symbol(ch: str) -> bool:
    # punctuation, symbols, numbers and spaces of the basic multilingual plane:
    # 「」, ·, ※, ①, Ⅱ, ㎎ (a symbol unless the normaliser rewrites it), arrows, maths.
    return ord(ch) < 0x10000 and unicodedata.category(ch)[0] in "PSNZ"


def is_ko_en_piece(piece: str) -> bool:
    body = piece.replace(METASPACE, "")
    if not body:
        return True
    if all(ord(ch) < 0x80 or _is_hangul(ord(ch)) or _is_symbol(ch) for ch in body):
        return True
    return len(body) == 1 and any(lo <= ord(body) <= hi for lo, hi in _SINGLE_LETTER_RANGES)


def kept_piece_ids(pieces: list[str], vocab: str, special_ids: set[int]) -> np.ndarray:
    """Ids (in the original order) of the pieces a vocabulary cut keeps; specials always stay."""
    import numpy as np  # not at module level: the CLI imports VOCAB_CHOICES for --help

    if vocab == "full":
        return np.arange(len(pieces), dtype=np.int64)
    if vocab == "ko-en":
        keep = [i for i, piece in enumerate(pieces) if i in special_ids or is_ko_en_piece(piece)]
        return np.asarray(keep, dtype=np.int64)
    raise ConfigError(f"unknown vocabulary {vocab!r}; choose one of {', '.join(VOCAB_CHOICES)}")
