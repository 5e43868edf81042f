"""Whether the app runs from the PyInstaller bundle, and where the bundle's files are."""

from __future__ import annotations

import sys
from pathlib import Path


def is_frozen() -> bool:
    """True inside the PyInstaller bundle (no Python toolchain, no source tree around)."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def bundle_dir() -> Path | None:
    """The bundle's data folder (`_internal/` of the one-folder build), or None when run from source."""
    return Path(sys._MEIPASS) if is_frozen() else None  # type: ignore[attr-defined]
