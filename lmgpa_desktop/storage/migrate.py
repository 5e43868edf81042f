"""Apply Alembic migrations at start-up, backing the database up first."""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, OperationalError

from lmgpa_desktop.storage.database import Database, StorageError

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
KEEP_BACKUPS = 5
# The newest revision in migrations/versions. Kept here so a start-up at head needs no Alembic import
# (a test checks it against Alembic's own view).
HEAD = "0008"


def alembic_config():
    """Alembic config pointing at the packaged migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def current_revision(db: Database) -> str | None:
    """The revision the database is at (None when empty)."""
    with db.engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except OperationalError as exc:
            if "no such table" in str(exc.orig):
                return None
            raise


def head_revision() -> str:
    """The newest revision shipped with this version of the app, according to Alembic."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(db: Database, backup_dir: Path) -> Path | None:
    """Bring the database to head; returns the backup taken first (None when nothing to do)."""
    with _explained(db, backup_dir):
        current = current_revision(db)
    if current == HEAD:
        return None
    from alembic import command
    from alembic.util import CommandError

    with _explained(db, backup_dir):
        try:
            head = head_revision()
            backup = None
            if current is not None or _has_tables(db):
                stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
                backup = db.backup_to(backup_dir / f"lmgpa-{stamp}-before-{head}.sqlite3")
                _prune(backup_dir)
                log.info("backed up database to %s before migrating %s -> %s", backup, current, head)
            cfg = alembic_config()
            with db.engine.execution_options(immediate=True).begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except CommandError as exc:
            raise StorageError(
                f"the database {db.path} was written by a newer version of Little Monster GPA ({exc}); "
                f"update the app, or restore an older copy from {backup_dir}"
            ) from exc
    log.info("database migrated to %s", head)
    return backup


@contextlib.contextmanager
def _explained(db: Database, backup_dir: Path):
    """Turn driver and file errors into a StorageError the student can act on."""
    try:
        yield
    except DBAPIError as exc:
        raise StorageError(
            f"the database {db.path} cannot be opened ({exc.orig}); it may be damaged or not an "
            f"LMGPA database. Move it aside, or restore a copy from {backup_dir}"
        ) from exc
    except OSError as exc:
        raise StorageError(f"the database {db.path} cannot be written: {exc.strerror or exc}") from exc


def _has_tables(db: Database) -> bool:
    """Whether the file already holds any table (so there is something to protect)."""
    with db.engine.connect() as conn:
        return bool(inspect(conn).get_table_names())


def _prune(backup_dir: Path) -> None:
    """Keep only the newest few pre-migration backups."""
    backups = sorted(backup_dir.glob("lmgpa-*-before-*.sqlite3"))
    for old in backups[:-KEEP_BACKUPS]:
        old.unlink(missing_ok=True)
        old.with_name(f"{old.name}.json").unlink(missing_ok=True)  # its check result (core/safety/backup_store.py)
