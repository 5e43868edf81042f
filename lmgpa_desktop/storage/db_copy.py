"""Consistent copies of a live SQLite database and the integrity pragmas on any database file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import sqlean

from lmgpa_desktop.storage import db_check

def fsync_file(path: Path) -> None:
    """Flush a file's data to the disk (so a rename after it never exposes an empty file after a power cut)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename into it) to the disk; a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def integrity_check(path: Path) -> list[str]:
    """PRAGMA integrity_check on a database file, read-only: [] when it is sound (see db_check.check_file)."""
    return db_check.check_file(path, full=True)


def quick_check(path: Path) -> list[str]:
    """PRAGMA quick_check on a database file, read-only: [] when it is sound."""
    return db_check.check_file(path, full=False)


def in_use(path: Path, wait_s: float = 0.0) -> bool:
    """Whether another connection (this process or another) has the WAL-mode database at path open.

    SQLite removes the -wal file when the last connection closes; one still there after we open and close is held
    open by someone else. Opening also folds in a -wal left by a crash, so that case reads as not in use. wait_s:
    how long to keep looking while it is open (a page's last query can still be finishing as its profile closes).
    """
    wal = Path(f"{path}-wal")
    deadline = time.monotonic() + wait_s
    while True:
        conn = sqlean.connect(str(path), timeout=15)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
        if not wal.exists() or time.monotonic() >= deadline:
            return wal.exists()
        time.sleep(0.1)
