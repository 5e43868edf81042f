"""SQLite's own consistency checks (quick_check, integrity_check) on a database file, read-only."""

from __future__ import annotations

from pathlib import Path

import sqlean

from lmgpa_desktop.storage.database import StorageError

# Result codes that mean the file itself is damaged (anything else, such as a locked or unreadable file, is not).
SQLITE_CORRUPT, SQLITE_NOTADB = 11, 26
DAMAGE_CODES = (SQLITE_CORRUPT, SQLITE_NOTADB)


def check_file(path: Path, full: bool = False, max_problems: int = 100) -> list[str]:
    """The problems PRAGMA quick_check (or integrity_check when full) finds in the file; [] when it is sound.

    A fresh read-only connection, so checking never writes to the file (no checkpoint, no recovery). A file too
    damaged to be read as a database is one problem; a file that cannot be opened at all raises StorageError.
    """
    pragma = "integrity_check" if full else "quick_check"
    try:
        conn = sqlean.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True, timeout=15,
                              check_same_thread=False)
    except sqlean.Error as exc:
        raise StorageError(f"cannot open {path} to check it: {exc}") from exc
    try:
        rows = conn.execute(f"PRAGMA {pragma}({int(max_problems)})").fetchall()
    except sqlean.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", None) in DAMAGE_CODES or _reads_as_damage(exc):
            return [str(exc)]
        raise StorageError(f"cannot check {path}: {exc}") from exc
    finally:
        conn.close()
    problems = [str(row[0]) for row in rows]
    return [] if problems == ["ok"] else problems


def _reads_as_damage(exc: Exception) -> bool:
    """Older drivers give no error code: the two messages SQLite uses for a damaged file."""
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text
