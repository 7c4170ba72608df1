"""kmner's own settings for its GLiNER2 trainer subclass, and the pure helper that
picks the LoRA target modules of the top encoder layers. The private GLiNER2
hooks that use them live in :mod:`kmner.training.hooks`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kmner.core.errors import InputError


@dataclass
class TrainerOptions:
    """What kmner's trainer subclass adds to GLiNER2's ``TrainingConfig``."""

    cpu_bf16: bool = False
    group_by_length: bool = True
    type_lr: float | None = None
    max_failed_samples: int = 0
    lora_top_layers: int = 0
    epoch_offset: int = 0
    history: list[dict] = field(default_factory=list)


_ENCODER_LAYER = re.compile(r"^encoder\..*\.layer\.(\d+)\.")


def only_top_layers(module_names: list[str], top: int) -> list[str]:
    """The module names outside the encoder's layers (the heads), and those of
    its ``top`` highest layers."""
    index = {n: int(m.group(1)) for n in module_names if (m := _ENCODER_LAYER.match(n))}
    if not index:
        return list(module_names)
    n_layers = max(index.values()) + 1
    if top > n_layers:
        raise InputError(f"lora_top_layers: {top} is more than the encoder's {n_layers} "
                         f"layers; use at most {n_layers} (or 0 for all)")
    return [n for n in module_names if index.get(n, n_layers) >= n_layers - top]
