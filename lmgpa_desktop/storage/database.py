"""Engine, connection pragmas, extension loading, read/write sessions, and a watch on UI-thread statements."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import sqlean
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from lmgpa_desktop.storage.capture_functions import register_functions

log = logging.getLogger(__name__)

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=15000",
)


class StorageError(RuntimeError):
    """The database could not be opened, read or written (message is for the student)."""


class DiskFullError(StorageError):
    """SQLite said "database or disk is full" (SQLITE_FULL); the message says so in plain words."""


SQLITE_FULL = 13


def _on_error(context) -> BaseException | None:
    """Every statement, commit or checkpoint that fails for want of space raises one plain DiskFullError."""
    orig = context.original_exception
    if getattr(orig, "sqlite_errorcode", None) != SQLITE_FULL and "database or disk is full" not in str(orig):
        return None
    url_path = context.engine.url.database if context.engine is not None else None
    folder = Path(url_path).parent if url_path else Path.cwd()
    try:
        free = f"{shutil.disk_usage(folder).free / 1048576:.1f} MB free"
    except OSError:
        free = "no space free"
    return DiskFullError(f"Not enough disk space: the change could not be saved ({free} on {folder}); it was not "
                         "made. Free some space and try again.")


@cache
def vec_extension_path() -> str:
    """The sqlite-vec loadable library (found without importing sqlite_vec, which pulls in numpy)."""
    spec = importlib.util.find_spec("sqlite_vec")
    if spec is None or spec.origin is None:
        raise StorageError("the sqlite-vec package is not installed; run ./run to install it")
    return str(Path(spec.origin).with_name("vec0"))


def _on_connect(dbapi_conn, _record) -> None:
    """Load sqlite-vec, apply the pragmas and add the sync SQL functions on every new connection."""
    # isolation_level=None stops the driver from issuing its own BEGIN; we issue it in _on_begin.
    dbapi_conn.isolation_level = None
    dbapi_conn.enable_load_extension(True)
    dbapi_conn.load_extension(vec_extension_path())
    dbapi_conn.enable_load_extension(False)
    for pragma in PRAGMAS:
        dbapi_conn.execute(pragma)
    register_functions(dbapi_conn)  # the sync capture triggers call these


def _on_begin(conn) -> None:
    """Writers take the write lock up front so two writers never deadlock on upgrade."""
    mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN"
    conn.exec_driver_sql(mode)


def make_engine(path: Path) -> Engine:
    """An engine on one SQLite file through the sqlean driver."""
    engine = create_engine(
        f"sqlite:///{path}",
        module=sqlean,
        connect_args={"timeout": 15, "check_same_thread": False},
        pool_pre_ping=False,
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    event.listen(engine, "handle_error", _on_error)
    return engine


def watch_ui_thread(threshold_s: float, report: Callable[[str, float], None]) -> Callable[[], None]:
    """Call report(statement, seconds) for each statement on the main (UI) thread slower than threshold_s.

    A debug aid for tests: a page that reads on the UI thread freezes the window for that long. The listeners are
    added to every engine only while watching, so there is no cost when off. Returns the function that stops it.
    """
    main = threading.main_thread()

    def before(_conn, _cursor, _statement, _parameters, context, _executemany) -> None:
        if context is not None and threading.current_thread() is main:
            context._ui_thread_started = time.perf_counter()

    def after(_conn, _cursor, statement, _parameters, context, _executemany) -> None:
        started = getattr(context, "_ui_thread_started", None)
        if started is not None:
            seconds = time.perf_counter() - started
            if seconds > threshold_s:
                report(statement, seconds)

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)

    def stop() -> None:
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)

    return stop


class Database:
    """One profile's SQLite file with read sessions and BEGIN IMMEDIATE write sessions."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(self.path)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self.engine.execution_options(immediate=True), expire_on_commit=False)
        self._lock = threading.Lock()
        self.writes = 0  # commits of counted write sessions: automatic backups run only when it moved
        self._disposed = False
        event.listen(self.engine, "checkin", self._close_if_disposed)

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; rolled back at the end."""
        with self._reader() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextlib.contextmanager
    def write(self, counted: bool = True) -> Iterator[Session]:
        """A session that holds the write lock and commits on success (counted=False: UI state, not study data)."""
        with self._writer() as session:
            with session.begin():
                yield session
        if counted:
            with self._lock:
                self.writes += 1

    def backup_to(self, target: Path) -> Path:
        """Copy the live database to target through SQLite's backup API: a consistent snapshot, writers not blocked.

        One step (pages=-1) inside one read transaction: a stepwise copy restarts whenever another connection writes,
        and might never finish while a job writes every second. The copy is a self-contained rollback-journal file
        (no -wal beside it), flushed to the disk before it takes target's name.
        """
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        try:
            raw = self.engine.raw_connection()
            try:
                dst = sqlean.connect(str(tmp))
                try:
                    raw.driver_connection.backup(dst)
                    dst.execute("PRAGMA journal_mode=DELETE")
                finally:
                    dst.close()
            finally:
                raw.close()
            with open(tmp, "rb") as written:
                os.fsync(written.fileno())
            tmp.replace(target)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a full disk or a cancel leaves no half copy behind
            raise
        return target

    def dispose(self) -> None:
        """Close every pooled connection, and each one a thread still holds as soon as it is handed back."""
        self._disposed = True
        self.engine.dispose()

    def _close_if_disposed(self, _dbapi_conn, record) -> None:
        # SQLAlchemy keeps a connection that was in use during dispose() in the old pool until the garbage
        # collector finds that pool; SQLite also defers closing the file while any connection to it is open. So the
        # file stayed open after the profile closed, and a restore or a move of the data folder found it in use.
        if self._disposed:
            record.invalidate()
