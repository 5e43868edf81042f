"""Small formatting helpers shared by the CLI and the UI."""

from __future__ import annotations


def human_size(size: int | None) -> str:
    """Bytes as a short human string ("12.3 MB")."""
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return "-"


def clock(seconds: float) -> str:
    """Seconds as H:MM:SS or M:SS."""
    seconds = max(0, int(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def amount(value: float) -> str:
    """A count or number of minutes for a goal or a bar: whole from 10 up, one decimal below ("3.0", not 3.03333)."""
    return f"{value:.0f}" if float(value).is_integer() or value >= 10 else f"{value:.1f}"
