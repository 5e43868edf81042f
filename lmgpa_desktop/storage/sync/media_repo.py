"""sync_media: each synced file by its SHA-256, where it is here, its blob on the server and how far it got."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from lmgpa_desktop.storage.database import Database

# 'local': the file is here and not uploaded; 'uploaded': here and on the server; 'missing': a synced row names it
# and it is not downloaded yet; 'failed': it could not be uploaded or downloaded (changed file, damaged blob).
STATES = ("local", "uploaded", "missing", "failed")


@dataclass(frozen=True)
class MediaRow:
    """One file known to sync."""

    sha256: str
    blob_id: str | None
    size: int | None
    name: str | None
    path: str | None
    state: str


_COLUMNS = "sha256, blob_id, size, name, path, state"


def _row(r) -> MediaRow:
    return MediaRow(*r)


def get(db: Database, sha256: str) -> MediaRow | None:
    """The file with this hash, or None."""
    with db.read() as s:
        r = s.execute(text(f"SELECT {_COLUMNS} FROM sync_media WHERE sha256 = :h"), {"h": sha256}).first()
        return _row(r) if r else None


def by_path(db: Database, path: str) -> MediaRow | None:
    """The file recorded at this local path (the newest state when several hashes named it), or None."""
    with db.read() as s:
        r = s.execute(text(f"SELECT {_COLUMNS} FROM sync_media WHERE path = :p "
                           "ORDER BY state = 'failed', rowid DESC LIMIT 1"), {"p": path}).first()
        return _row(r) if r else None


def record_local(db: Database, sha256: str, blob_id: str, size: int, name: str, path: str) -> MediaRow:
    """A file here that a pushed row names: 'local' (to upload) unless it is already on the server."""
    with db.write() as s:
        s.execute(text("INSERT INTO sync_media (sha256, blob_id, size, name, path, state) "
                       "VALUES (:h, :b, :n, :name, :p, 'local') ON CONFLICT(sha256) DO UPDATE SET "
                       "blob_id = excluded.blob_id, size = excluded.size, "
                       "path = CASE WHEN sync_media.state IN ('missing', 'failed') OR sync_media.path IS NULL "
                       "THEN excluded.path ELSE sync_media.path END, "
                       "state = CASE WHEN sync_media.state = 'uploaded' THEN 'uploaded' ELSE 'local' END"),
                  {"h": sha256, "b": blob_id, "n": size, "name": name, "p": path})
        return _row(s.execute(text(f"SELECT {_COLUMNS} FROM sync_media WHERE sha256 = :h"), {"h": sha256}).one())


def set_state(db: Database, sha256: str, state: str, path: str | None = None) -> None:
    """Move a file to another state (and record where it now is)."""
    assert state in STATES, state
    with db.write() as s:
        s.execute(text("UPDATE sync_media SET state = :st, path = COALESCE(:p, path) WHERE sha256 = :h"),
                  {"st": state, "p": path, "h": sha256})


def in_state(db: Database, state: str, limit: int = 1000) -> list[MediaRow]:
    """Files in one state, oldest first."""
    with db.read() as s:
        return [_row(r) for r in s.execute(text(f"SELECT {_COLUMNS} FROM sync_media WHERE state = :st "
                                                "ORDER BY rowid LIMIT :n"), {"st": state, "n": limit})]


def counts(db: Database) -> dict[str, int]:
    """How many files are in each state."""
    with db.read() as s:
        found = dict(s.execute(text("SELECT state, COUNT(*) FROM sync_media GROUP BY state")).all())
    return {st: int(found.get(st, 0)) for st in STATES}



def forget_uploads(db: Database) -> int:
    """Files on the server count as not uploaded any more (sync set up again: new key, new blob ids)."""
    with db.write() as s:
        return s.execute(text("UPDATE sync_media SET state = 'local' WHERE state = 'uploaded'")).rowcount
