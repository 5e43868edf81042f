"""Fixtures of the data-safety tests: a small filesystem for the disk-full cases."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # small_disk, beside this file

from small_disk import fill, free_bytes, release, small_filesystem  # noqa: E402, F401 - re-exported for the tests


@pytest.fixture
def small_disk():
    """A freshly mounted 8 MB filesystem (tmpfs, else a loop image), unmounted after the test even on failure.

    Use fill(small_disk, leave_bytes) to leave only so much free and release(small_disk) to give it back.
    """
    with small_filesystem(8 * 1024 * 1024) as mountpoint:
        yield mountpoint


@pytest.fixture
def small_home(small_disk, monkeypatch) -> Path:
    """LMGPA_HOME on the small filesystem; the model cache (LMGPA_CACHE) and models stay on the big disk."""
    path = small_disk / "home"
    path.mkdir()
    monkeypatch.setenv("LMGPA_HOME", str(path))
    return path
