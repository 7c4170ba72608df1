"""Attention in fp32 while the rest of a CPU training step runs under bf16 autocast.

On CPUs with bf16 matrix units (AMX, AVX-512 bf16) the linear layers of a bf16
step run 3-4x faster than in fp32, but PyTorch's CPU flash-attention kernel is
far slower *backwards* in bf16: profiled on the 2-core Xeon of docs/results.md,
one epoch of LoRA training spent 2.3 s in bf16 attention backward against 0.36 s
in fp32, which ate the whole gain of the matmuls. So while kmner trains under
CPU bf16 autocast, an encoder that uses transformers' ``sdpa`` attention is
switched to :data:`NAME`, which computes the same attention in fp32 and hands a
bf16 result back. Only the encoder's runtime config changes, for the duration of
the step: nothing is saved with it.

Encoders whose attention does not go through transformers' ``AttentionInterface``
(DeBERTa-v2, as in ``fastino/gliner2-multi-v1``) are left as they are.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

NAME = "kmner_sdpa_fp32"
_registered = False


def sdpa_in_fp32(module, query, key, value, attention_mask, **kwargs):
    """transformers' ``sdpa_attention_forward`` on fp32 copies of its inputs,
    outside autocast; the output comes back in the query's dtype."""
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    dtype = query.dtype
    if attention_mask is not None and attention_mask.is_floating_point():
        attention_mask = attention_mask.float()
    with torch.autocast(device_type=query.device.type, enabled=False):
        output, weights = sdpa_attention_forward(module, query.float(), key.float(),
                                                 value.float(), attention_mask, **kwargs)
    return output.to(dtype), weights


def _register() -> None:
    global _registered
    if not _registered:
        from transformers import AttentionInterface
        from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

        AttentionInterface.register(NAME, sdpa_in_fp32)
        # without a mask function of its own, transformers builds no padding mask for
        # an attention it does not know, and padded positions would be attended
        AttentionMaskInterface.register(NAME, sdpa_mask)
        _registered = True


def sdpa_configs(model) -> list:
    """The distinct model configs inside ``model`` that select ``sdpa`` attention."""
    found = {}
    for module in model.modules():
        config = getattr(module, "config", None)
        if getattr(config, "_attn_implementation", None) == "sdpa":
            found[id(config)] = config
    return list(found.values())


@contextlib.contextmanager
def fp32_attention(model) -> Iterator[int]:
    """While active, every ``sdpa`` encoder inside ``model`` computes attention
    in fp32 (:func:`sdpa_in_fp32`); yields how many configs were switched."""
    configs = sdpa_configs(model)
    if configs:
        _register()
    for config in configs:
        config._attn_implementation = NAME
    try:
        yield len(configs)
    finally:
        for config in configs:
            config._attn_implementation = "sdpa"
