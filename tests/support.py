"""Constants and helpers the tests import: where the checkout and the shared real test data are, the CLI command."""

from __future__ import annotations

import os
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def _shared_data() -> Path:
    """../shared/data beside the checkout (or LMGPA_SHARED_DATA); real material nobody here wrote."""
    candidates = [os.environ.get("LMGPA_SHARED_DATA"), ROOT.parent / "shared" / "data", "/work/shared/data"]
    for cand in candidates:
        if cand and Path(cand).is_dir():
            return Path(cand)
    raise RuntimeError("the shared test data folder (../shared/data) was not found; set LMGPA_SHARED_DATA")


SHARED = _shared_data()


def lmgpa_cmd(*args: str) -> list[str]:
    """Command line running the CLI of this checkout with the venv's Python."""
    return [sys.executable, "-m", "lmgpa_desktop", *args]
