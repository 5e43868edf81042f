"""Opens a profile: data folder, log, database (migrated), settings, models, job queue."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from lmgpa_desktop import logs, paths
from lmgpa_desktop.core.errors import StartupError
from lmgpa_desktop.core.jobs import JobQueue
from lmgpa_desktop.core.model_registry import ModelRegistry
from lmgpa_desktop.core.settings import Settings
from lmgpa_desktop.storage import migrate
from lmgpa_desktop.storage.database import Database, StorageError

log = logging.getLogger(__name__)
__all__ = ["AppContext", "StartupError", "open_app"]


@dataclass
class AppContext:
    """Everything a use case needs; built once by the CLI or the GUI."""

    home: Path
    db: Database
    settings: Settings
    models: ModelRegistry
    jobs: JobQueue
    log_path: Path
    migration_backup: Path | None = None

    def close(self) -> None:
        """Release the database."""
        self.db.dispose()


def open_app(home: Path | None = None) -> AppContext:
    """Open (creating and migrating when needed) the profile at home or the configured data folder."""
    home = Path(home) if home else paths.data_dir()
    try:
        home.mkdir(parents=True, exist_ok=True)
        log_path = logs.configure(paths.logs_dir(home))
    except OSError as exc:
        raise StartupError(f"cannot use the data folder {home}: {exc.strerror or exc}") from exc
    db_path = paths.database_path(home)
    try:
        db = Database(db_path)
        backup = migrate.upgrade(db, paths.backups_dir(home))
    except StorageError as exc:
        raise StartupError(str(exc)) from exc
    from lmgpa_desktop.core.progress import sessions  # noqa: F401 - subscribes to activity
    from lmgpa_desktop.core.progress import gamification  # noqa: F401 - awards points and achievements on activity
    settings = Settings(db)
    ctx = AppContext(home, db, settings, ModelRegistry(settings), JobQueue(db), log_path, backup)
    ctx.jobs.services = ctx
    log.info("opened profile %s", home)
    return ctx
