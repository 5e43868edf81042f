"""Running out of disk space: one plain message for SQLite's "database or disk is full" and OSError(ENOSPC)."""

# Every write path meets a full disk in one of two shapes: the database says SQLITE_FULL (storage/database.py turns it
# into DiskFullError) or a file write raises OSError(ENOSPC). Both become DiskFull here, a UserError whose message
# says what needed the space, about how much, and how much is free where, so pages and jobs show it as it is.

from __future__ import annotations

import contextlib
import errno
import shutil
from collections.abc import Iterator
from pathlib import Path

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.formatting import human_size

NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
SQLITE_FULL = 13
MARGIN_BYTES = 1024 * 1024  # the database and the logs need a little room besides the file itself


class DiskFull(UserError):
    """Not enough disk space for what the student asked (message says how much is needed and free, and where)."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and those it was raised from or during, each once."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_disk_full(exc: BaseException) -> bool:
    """Whether an error (or one it came from) means the disk is full."""
    for item in _chain(exc):
        if isinstance(item, DiskFull) or type(item).__name__ == "DiskFullError":
            return True
        if isinstance(item, OSError) and item.errno in NO_SPACE_ERRNOS:
            return True
        if getattr(item, "sqlite_errorcode", None) == SQLITE_FULL or "database or disk is full" in str(item):
            return True
    return False


def free_bytes(folder: Path) -> int:
    """Free bytes on the disk holding folder (or its nearest existing parent)."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def message(folder: Path, what: str = "", needed: int | None = None) -> str:
    """"Not enough disk space to <what>: it needs about X, Y free on <folder>. Free some space and try again."."""
    free = human_size(free_bytes(folder))
    need = f"it needs about {human_size(needed)}, {free} free" if needed else f"only {free} free"
    return (f"Not enough disk space{f' to {what}' if what else ''}: {need} on {folder}. "
            "Free some space (or move your data folder in Settings) and try again.")


def ensure_free(folder: Path, needed: int, what: str) -> None:
    """Raise DiskFull before starting work that will write about `needed` bytes into folder."""
    if free_bytes(folder) < needed + MARGIN_BYTES:
        raise DiskFull(message(folder, what, needed + MARGIN_BYTES))


def describe(exc: BaseException, folder: Path, what: str = "") -> str:
    """The student's sentence for a disk-full error (a DiskFull keeps its own, more precise, words)."""
    for item in _chain(exc):
        if isinstance(item, DiskFull):
            return str(item)
    return message(folder, what)


@contextlib.contextmanager
def plain_errors(folder: Path, what: str = "", needed: int | None = None) -> Iterator[None]:
    """Turn a full disk met inside the block (database or file) into DiskFull with the plain message."""
    try:
        yield
    except DiskFull:
        raise
    except Exception as exc:
        if is_disk_full(exc):
            raise DiskFull(message(folder, what, needed)) from exc
        raise
