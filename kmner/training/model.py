"""Building, saving and loading GLiNER2 models with kmner's metadata.

GLiNER2 2.1.0 does not save the word splitter, and a LoRA adapter folder has no
``config.json``, so every model folder kmner writes carries ``kmner.json``:

- ``kind``: ``base`` (a full GLiNER2 to train from), ``adapter`` (LoRA weights),
  or ``merged`` / ``full`` (a full fine-tuned or merged model);
- ``splitter``: the word splitter spec, restored on load;
- ``weights_sha256``: hash of this folder's ``model.safetensors`` (full models);
- ``base`` and ``base_sha256``: for adapters, where the base was and the hash of
  its weights; loading onto a base with another hash is an error;
- ``types``, ``descriptions``, ``thresholds``, ``label_map``, ``max_width``.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from kmner.core.errors import ConfigError, InputError
from kmner.core.hashing import sha256_file
from kmner.core.jsonl import write_json
from kmner.training.hooks import apply_type_pooling
from kmner.training.splitter import KoreanWordSplitter, splitter_from_spec, splitter_spec

META_FILE = "kmner.json"
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt",
                    "sentencepiece.bpe.model", "spiece.model", "tokenizer.model")


def read_meta(folder: str | os.PathLike) -> dict:
    p = Path(folder) / META_FILE
    if not p.exists():
        return {}
    return json.loads(p.read_text(encoding="utf-8"))


def write_meta(folder: str | os.PathLike, meta: dict) -> Path:
    p = Path(folder) / META_FILE
    write_json(p, meta)
    return p


def weights_hash(folder: str | os.PathLike) -> str:
    """Hash of a full model's weights; a hub id is resolved through the local cache."""
    p = Path(folder)
    if p.is_dir():
        f = p / "model.safetensors"
        if not f.exists():
            raise InputError(f"{p}: no model.safetensors (is this a GLiNER2 model folder?)")
    else:
        from huggingface_hub import hf_hub_download  # hub ids only

        f = Path(hf_hub_download(str(folder), "model.safetensors"))
    st = f.stat()
    return _cached_sha256(str(f.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=16)
def _cached_sha256(path: str, size: int, mtime_ns: int) -> str:
    # a run hashes its base when building it, when training and again when merging
    # the adapter; size and mtime in the key make a rewritten file hash afresh
    return sha256_file(path)


def check_encoder_dir(encoder: str) -> None:
    p = Path(encoder)
    if p.exists():
        if not p.is_dir():
            raise InputError(f"{p}: encoder must be a directory (or a hub id)")
        if not (p / "config.json").exists():
            raise InputError(f"{p}: encoder directory has no config.json")
        if not any((p / f).exists() for f in _TOKENIZER_FILES):
            raise InputError(f"{p}: encoder directory has no tokenizer (expected one of "
                             f"{', '.join(_TOKENIZER_FILES)}); save it with "
                             "tokenizer.save_pretrained(DIR)")


@dataclass
class LoadedModel:
    """A GLiNER2 model ready to predict, with its splitter and metadata."""

    model: Any
    splitter: KoreanWordSplitter
    meta: dict = field(default_factory=dict)
    path: str = ""

    @property
    def descriptions(self) -> dict[str, str]:
        return dict(self.meta.get("descriptions") or {})

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self.meta.get("thresholds") or {})


def attach_splitter(model, splitter: KoreanWordSplitter) -> None:
    # PeftModel forwards attribute access to the wrapped GLiNER2.
    model.processor.word_splitter = splitter
    if hasattr(model, "_inference_collator"):
        model._inference_collator = None


def set_dropout(model, p: float) -> int:
    """Set every dropout module of ``model`` to probability ``p`` (attention
    included: BERT-style layers read their module's ``p`` when they call SDPA);
    returns how many there are. LoRA branches added later keep ``lora_dropout``."""
    import torch

    modules = [m for m in model.modules() if isinstance(m, torch.nn.Dropout)]
    for m in modules:
        m.p = p
    return len(modules)


def build_base(encoder: str, out_dir: str | os.PathLike, *, max_width: int = 8,
               splitter: str = "kiwi-terms", seed: int = 0) -> Path:
    """A fresh GLiNER2 (random heads) on ``encoder``, saved with kmner metadata."""
    import torch
    from gliner2 import ExtractorConfig, GLiNER2

    check_encoder_dir(encoder)
    torch.manual_seed(seed)
    model = GLiNER2(ExtractorConfig(model_name=str(encoder), max_width=max_width))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    write_meta(out, {"kind": "base", "encoder": str(encoder),
                     "splitter": splitter_spec(KoreanWordSplitter(splitter)),
                     "max_width": max_width, "weights_sha256": weights_hash(out)})
    return out


def ensure_base(encoder: str, out_dir: str | os.PathLike, **kwargs) -> Path:
    """``out_dir`` if it already holds a built base (a resumed or repeated run),
    else :func:`build_base` there."""
    out = Path(out_dir)
    if not (out / "model.safetensors").exists():
        build_base(encoder, out, **kwargs)
    return out


class _ExtractorConfigNotice(logging.Filter):
    """GLiNER2 reads its encoder's settings from the extractor's own config.json, so
    transformers warns on every load that a model of type ``extractor`` builds
    another type. That is how GLiNER2 2.1.0 works, not a fault, and the warning
    alarmed users of ``kmner predict``; this filter drops that one message."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "You are using a model of type `extractor`" not in record.getMessage()


def _quiet_extractor_config_notice() -> None:
    logger = logging.getLogger("transformers.configuration_utils")
    if not any(isinstance(f, _ExtractorConfigNotice) for f in logger.filters):
        logger.addFilter(_ExtractorConfigNotice())


def load_gliner(path: str, *, max_width: int | None = None, device: str | None = None):
    """Any GLiNER2 checkpoint (local folder or hub id), optionally with another
    ``max_width`` (it only sets how many widths are enumerated, not weight shapes)."""
    from gliner2 import GLiNER2

    p = Path(path)
    if p.exists() and not (p / "config.json").exists():
        raise InputError(f"{p}: not a GLiNER2 model folder (no config.json)")
    kwargs: dict[str, Any] = {}
    if max_width:
        from gliner2 import ExtractorConfig

        cfg = ExtractorConfig.from_pretrained(str(p / "config.json") if p.exists() else path)
        cfg.span_head = dict(cfg.span_head, max_width=int(max_width))
        cfg.max_width = int(max_width)
        kwargs["config"] = cfg
    _quiet_extractor_config_notice()
    model = GLiNER2.from_pretrained(str(path), **kwargs)
    if device:
        model.to(device)
    return model


def resolve_model_dir(path: str) -> Path:
    """A training run folder points at its best model: merged/, model/ or adapter/."""
    p = Path(path)
    if (p / META_FILE).exists() and read_meta(p).get("kind") == "run":
        for sub in ("merged", "model", "adapter"):
            if (p / sub / META_FILE).exists():
                return p / sub
        raise InputError(f"{p}: training run folder without merged/, model/ or adapter/")
    return p


def load_model(path: str, *, base: str | None = None, device: str | None = None,
               allow_kiwi: bool | None = None, splitter: str | None = None) -> LoadedModel:
    """Load a kmner model folder, a run folder, a GLiNER2 checkpoint or hub id, or a
    LoRA adapter (onto its base, whose weight hash must match the metadata)."""
    import torch

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    p = resolve_model_dir(path)
    meta = read_meta(p) if p.exists() else {}
    if p.exists() and (p / "adapter_config.json").exists():
        model = _load_adapter(p, meta, base, device)
    else:
        model = load_gliner(str(p), device=device)
    spec = {"name": splitter} if splitter else meta.get("splitter")
    if spec is None:
        spec = {"name": "whitespace"}  # a plain GLiNER2 checkpoint: its own default
    sp = splitter_from_spec(spec, allow_kiwi=allow_kiwi)
    attach_splitter(model, sp)
    apply_type_pooling(model, meta.get("type_pooling"))
    model.eval()
    return LoadedModel(model, sp, meta, str(p))


def _load_adapter(p: Path, meta: dict, base: str | None, device: str):
    from peft import PeftModel

    base_path = base or meta.get("base")
    if not base_path:
        raise InputError(f"{p}: adapter without a recorded base; pass --base")
    if not Path(base_path).exists() and not Path(base_path).is_absolute():
        # the base may be recorded relative to the adapter
        cand = (p / base_path)
        if cand.exists():
            base_path = str(cand)
    expected = meta.get("base_sha256")
    if expected:
        actual = weights_hash(base_path)
        if actual != expected:
            raise InputError(
                f"{p}: adapter was trained on a base with weights sha256 {expected[:12]}..., "
                f"but {base_path} has {actual[:12]}...; pass the right --base")
    base_model = load_gliner(base_path, max_width=meta.get("max_width"), device=device)
    return PeftModel.from_pretrained(base_model, str(p)).to(device)


def merge_adapter(loaded: LoadedModel):
    """The adapter folded into the base weights (a plain GLiNER2)."""
    model = loaded.model
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    attach_splitter(model, loaded.splitter)
    return LoadedModel(model, loaded.splitter, dict(loaded.meta, kind="merged"), loaded.path)


def save_full(loaded: LoadedModel, out_dir: str | os.PathLike, *, kind: str = "merged") -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    loaded.model.save_pretrained(str(out))
    meta = {k: v for k, v in loaded.meta.items() if k not in ("base", "base_sha256")}
    meta.update(kind=kind, weights_sha256=weights_hash(out))
    write_meta(out, meta)
    return out


def load_adapter_weights(peft_model, checkpoint: str) -> int:
    """Put a saved adapter's weights into a live PeftModel (used to resume)."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    f = Path(checkpoint) / "adapter_model.safetensors"
    if not f.exists():
        raise ConfigError(f"resume_from: {checkpoint} has no adapter_model.safetensors "
                          "(was the run LoRA?)")
    state = load_file(str(f))
    res = set_peft_model_state_dict(peft_model, state)
    unexpected = getattr(res, "unexpected_keys", []) or []
    if unexpected:
        raise ConfigError(f"resume_from: {len(unexpected)} adapter tensors do not fit this "
                          f"model (e.g. {unexpected[0]}); same lora settings?")
    return len(state)


def load_full_weights(model, checkpoint: str) -> None:
    from safetensors.torch import load_file

    f = Path(checkpoint) / "model.safetensors"
    if not f.exists():
        raise ConfigError(f"resume_from: {checkpoint} has no model.safetensors")
    model.load_state_dict(load_file(str(f)))
