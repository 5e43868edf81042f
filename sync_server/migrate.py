"""Bring the server database to the newest Alembic revision."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from sync_server.db import Database

HERE = Path(__file__).resolve().parent


def _config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def head() -> str:
    """The newest revision in this package."""
    return ScriptDirectory.from_config(_config("sqlite://")).get_current_head()


def current(db: Database) -> str | None:
    """The database's revision."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database) -> None:
    """Migrate to head (a no-op when already there)."""
    if current(db) == head():
        return
    cfg = _config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
