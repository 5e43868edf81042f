"""Hybrid logical clock: timestamps that sort in causal order across devices, even when wall clocks disagree.

Outside the sync package so storage/database.py can use it without an import cycle; use it through
storage.sync.hlc.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

MAX_AHEAD = timedelta(days=7)  # a timestamp further ahead of the wall clock than this is refused
_MAX_COUNTER = 0xFFFF


def format_hlc(millis: int, counter: int, device: str) -> str:
    """The text form: fixed-width millis and counter first, so string order is clock order."""
    return f"{millis:013d}-{counter:04x}-{device}"


def parse(hlc: str) -> tuple[int, int, str]:
    """(millis, counter, device) of an HLC string; ValueError when it is not one."""
    millis, counter, device = hlc.split("-", 2)
    if len(millis) != 13 or len(counter) != 4 or not device:
        raise ValueError(f"not an HLC: {hlc!r}")
    return int(millis), int(counter, 16), device


def too_far_ahead(hlc: str, now: datetime | None = None) -> bool:
    """Whether an HLC lies more than MAX_AHEAD past now (a device clock set wildly wrong)."""
    now_ms = int((now.timestamp() if now is not None else time.time()) * 1000)
    return parse(hlc)[0] > now_ms + int(MAX_AHEAD.total_seconds() * 1000)


class HybridClock:
    """Hands out strictly increasing HLCs: max(wall clock, anything seen) with a counter for ties."""

    def __init__(self, wall_ms: Callable[[], int] | None = None):
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        self._lock = threading.Lock()
        self._last = (0, 0)

    def next(self, device: str, floor: str | None = None) -> str:
        """A new HLC for device, above every HLC this clock made or observed and above floor."""
        with self._lock:
            last = self._last
            if floor:
                last = max(last, parse(floor)[:2])
            now = self._wall_ms()
            if now > last[0]:
                stamp = (now, 0)
            elif last[1] < _MAX_COUNTER:
                stamp = (last[0], last[1] + 1)
            else:  # 65,536 stamps in one millisecond: borrow the next millisecond rather than wrap
                stamp = (last[0] + 1, 0)
            self._last = stamp
            return format_hlc(stamp[0], stamp[1], device)

    def observe(self, hlc: str) -> None:
        """Receive rule: a later next() is above hlc (so a local edit after a merge wins over what it saw)."""
        stamp = parse(hlc)[:2]
        with self._lock:
            self._last = max(self._last, stamp)


CLOCK = HybridClock()  # one per process: every connection's lmgpa_hlc() draws from it
