"""Whether change capture is on (for the profile, for this thread), and the SQL functions the capture triggers call.

Outside the sync package so storage/database.py can register the functions on every connection without an import
cycle (the sync package's repos import database.py); use it through storage.sync.capture.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator

from sqlalchemy import text

from lmgpa_desktop.storage.hlc import CLOCK

_local = threading.local()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Writes made by this thread inside the block are not captured (apply writes what others already sent)."""
    _local.depth = getattr(_local, "depth", 0) + 1
    try:
        yield
    finally:
        _local.depth -= 1


def capturing() -> bool:
    """False while the current thread is inside paused()."""
    return getattr(_local, "depth", 0) == 0


def enabled_in(s) -> bool:
    """Whether this profile syncs (its changes are captured), read in an open session. Repositories then only ever
    tombstone a card: another device may have answered it offline, and its review log must find it when it arrives."""
    return s.execute(text("SELECT value FROM sync_state WHERE key = 'enabled'")).scalar() == "1"


def _capture() -> int:
    return 1 if capturing() else 0


def _hlc(device: str | None, floor: str | None) -> str:
    return CLOCK.next(device or "0" * 16, floor or None)


def _pick(*args) -> str | None:
    """lmgpa_pick(flag, name, value, ...): a JSON object of the values whose flag is true; NULL when none is."""
    picked = {args[i + 1]: args[i + 2] for i in range(0, len(args), 3) if args[i]}
    return json.dumps(picked, separators=(",", ":"), ensure_ascii=False) if picked else None


def register_functions(dbapi_conn) -> None:
    """Give a raw SQLite connection the functions the capture triggers call (lmgpa_capture, lmgpa_hlc,
    lmgpa_pick): any connection that writes to a profile's synced tables must have them."""
    dbapi_conn.create_function("lmgpa_capture", 0, _capture)
    dbapi_conn.create_function("lmgpa_hlc", 2, _hlc)
    dbapi_conn.create_function("lmgpa_pick", -1, _pick)
