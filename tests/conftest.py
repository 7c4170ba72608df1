"""Shared fixtures. Team data lives in ../shared/data beside the checkout; tests that
need it are marked ``shared`` and fail loudly (not skip) when it is missing in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("KMNER_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        if os.environ.get("CI"):
            pytest.fail(f"team data not found at {SHARED_DATA}")
        pytest.skip(f"team data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


# A real Label Studio server (session-scoped), see tests/labelstudio_server.py.
from tests.labelstudio_server import label_studio  # noqa: E402,F401
