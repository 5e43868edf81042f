"""The database side of a whole-profile archive: is a file one of our databases, and moving its media paths."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import sqlean
from sqlalchemy import delete, select, update

from lmgpa_desktop.storage.database import Database, StorageError
from lmgpa_desktop.storage.models import Deck, Photo, Recording, RecordingSegment, SchedulerJob, Source

SQLITE_HEADER = b"SQLite format 3\x00"
# Tables every revision of our schema has had since the first; a database without them is somebody else's.
OUR_TABLES = frozenset({"alembic_version", "sources", "decks", "cards", "review_logs", "settings", "jobs"})
# Every column that holds an absolute path into the profile's media folder (rows store absolute paths today).
PATH_COLUMNS = (
    ("source", Source, Source.stored_path),
    ("recording folder", Recording, Recording.directory),
    ("recording segment", RecordingSegment, RecordingSegment.path),
    ("photo", Photo, Photo.path),
    ("deck media folder", Deck, Deck.media_dir),
)


class NotOurDatabase(StorageError):
    """The file is not a Little Monster GPA database (another program's, or not SQLite at all)."""


@cache
def known_revisions() -> frozenset[str]:
    """Every schema revision this version of the app can open (and migrate from)."""
    from alembic.script import ScriptDirectory

    from lmgpa_desktop.storage import migrate

    script = ScriptDirectory.from_config(migrate.alembic_config())
    return frozenset(rev.revision for rev in script.walk_revisions())


def schema_revision(path: Path) -> str:
    """The schema revision of one of our database files nobody is writing; NotOurDatabase for anything else."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StorageError(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    if header != SQLITE_HEADER:
        raise NotOurDatabase(f"{path.name} is not an SQLite database")
    # Read-only and immutable: looking at a file must not change it or leave a -wal/-shm beside it.
    try:
        conn = sqlean.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlean.Error as exc:
        raise NotOurDatabase(f"{path.name} cannot be opened as a database: {exc}") from exc
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = OUR_TABLES - tables
        if missing:
            raise NotOurDatabase(f"{path.name} is not a Little Monster GPA database (it has no "
                                 f"{', '.join(sorted(missing))} table)")
        rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlean.Error as exc:
        raise NotOurDatabase(f"{path.name} cannot be read as a database: {exc}") from exc
    finally:
        conn.close()
    if len(rows) != 1 or not isinstance(rows[0][0], str):
        raise NotOurDatabase(f"{path.name} does not say which version of the app wrote it")
    return rows[0][0]


def relocate_paths(db: Database, relocate: Callable[[str], str | None]) -> tuple[int, list[tuple[str, int, str]]]:
    """Rewrite every media path column through relocate(old) -> new (None = leave it), in one transaction.

    Returns how many values changed and (what, row id, path) of those left as they were.
    """
    changed, kept = 0, []
    with db.write() as s:
        for what, model, column in PATH_COLUMNS:
            rows = s.execute(select(model.id, column).where(column.is_not(None))).all()
            for row_id, old in rows:
                new = relocate(old)
                if new is None:
                    kept.append((what, row_id, old))
                elif new != old:
                    s.execute(update(model).where(model.id == row_id).values({column.key: new}))
                    changed += 1
    return changed, kept


def forget_scheduler_jobs(db: Database) -> int:
    """Delete apscheduler's stored jobs; returns how many.

    Each is a pickle (code runs when one is loaded, so an archive's must never be) naming the database path it was
    made for; the reminder service makes them again from the profile's settings and deadlines when it starts.
    """
    with db.write() as s:
        return s.execute(delete(SchedulerJob)).rowcount or 0
