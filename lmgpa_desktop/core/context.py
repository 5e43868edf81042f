"""The open profile: data folder, log, database (migrated), settings, models, job queue and per-profile state."""

# This is the kernel: it imports no feature package. core/profile.py opens a profile with open_app() (this
# module's open_context() plus every feature listener), so feature state here has kernel or standard types.

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lmgpa_desktop import logs, paths
from lmgpa_desktop.core.activity import EventBus
from lmgpa_desktop.core.errors import StartupError
from lmgpa_desktop.core.jobs import JobQueue
from lmgpa_desktop.core.models.registry import ModelRegistry
from lmgpa_desktop.core.settings import Settings
from lmgpa_desktop.core.workers import SerialWorker
from lmgpa_desktop.storage import migrate
from lmgpa_desktop.storage.database import Database, StorageError

log = logging.getLogger(__name__)
__all__ = ["AppContext", "StartupError", "open_context"]


@dataclass(eq=False)
class AppContext:
    """Everything a use case needs; built once per opened profile by the CLI or the GUI (core/profile.py)."""

    home: Path
    db: Database
    settings: Settings
    models: ModelRegistry
    jobs: JobQueue
    log_path: Path
    migration_backup: Path | None = None
    # Per-profile state, here so two profiles open in one process share none of it.
    activity: EventBus = field(default_factory=lambda: EventBus("activity"))  # listener(ctx, event)
    unlocks: EventBus = field(default_factory=lambda: EventBus("unlock"))  # listener(achievements.Unlock)
    notification_listeners: EventBus = field(  # listener(row), or listener(None) when the centre changed
        default_factory=lambda: EventBus("notification"))
    undo: deque = field(default_factory=deque)  # review answers that can be taken back (core.study.review)
    recent_sessions: dict = field(default_factory=dict)  # session id -> its running totals (core.progress.sessions)
    gamification: SerialWorker = field(  # judges points and achievements in event order (core.progress.gamification)
        default_factory=lambda: SerialWorker("gamification"))
    online: Any = None  # core.online.service.Online, made on first use by service(ctx)
    sync_lock: threading.Lock = field(default_factory=threading.Lock)  # one personal sync at a time (core.sync)
    last_sync: dict | None = None  # the last personal sync's result (core.sync.service)

    def close(self) -> None:
        """Judge what is queued, stop the profile's worker thread and release the database."""
        self.gamification.stop()
        self.db.dispose()


def open_context(home: Path | None = None, check: Callable[[Path, Path], None] | None = None) -> AppContext:
    """Open (creating and migrating when needed) the profile at home or the configured data folder, no listeners.

    check(home, db_path) runs before the database is opened or migrated and raises StartupError to refuse it
    (core/profile.py passes the start-up integrity check: a damaged file is never written to).
    """
    home = Path(home) if home else paths.data_dir()
    try:
        home.mkdir(parents=True, exist_ok=True)
        log_path = logs.configure(paths.logs_dir(home))
    except OSError as exc:
        raise StartupError(f"cannot use the data folder {home}: {exc.strerror or exc}") from exc
    db_path = paths.database_path(home)
    try:
        if check is not None:
            check(home, db_path)
        db = Database(db_path)
        backup = migrate.upgrade(db, paths.backups_dir(home))
    except StorageError as exc:
        raise StartupError(str(exc)) from exc
    settings = Settings(db)
    ctx = AppContext(home, db, settings, ModelRegistry(settings), JobQueue(db), log_path, backup)
    ctx.jobs.services = ctx
    log.info("opened profile %s", home)
    return ctx
