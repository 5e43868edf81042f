"""Engine and sessions for SQLite (default) or PostgreSQL, chosen by URL."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

try:
    import fcntl
except ImportError:  # Windows: writers of one process still queue on the thread lock
    fcntl = None

log = logging.getLogger(__name__)


class _WriterLock:
    """Writers queue here: a thread lock in this process, then an flock on a file beside the database across workers.

    SQLite's own busy handler polls with sleeps growing to 100 ms, so a writer in one uvicorn worker could wait
    seconds while another worker kept handing its lock on; a blocked flock wakes as soon as the file is unlocked.
    """

    def __init__(self, url: str):
        self._threads = threading.Lock()
        database = make_url(url).database
        self._path = None if fcntl is None or not database or database == ":memory:" else Path(database + "-writer")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Wait for this process's writers, then for other processes' (the flock call waits without the GIL)."""
        self._threads.acquire()
        if self._path is None:
            return
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except OSError:
            # No lock file (read-only folder, odd file system): SQLite's busy handler still serialises writers.
            log.warning("cannot use the writer lock file %s; falling back to SQLite's busy wait", self._path,
                        exc_info=True)
            self._path = None

    def release(self) -> None:
        """Let the next writer in."""
        try:
            if self._path is not None and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


def make_engine(url: str) -> Engine:
    """An engine with the pragmas SQLite needs for many concurrent requests."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")  # psycopg 3, not psycopg2
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=20,
                               max_overflow=40, pool_pre_ping=False)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            # autocommit off in the driver; we issue BEGIN IMMEDIATE ourselves so writers queue instead of failing
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
                cur.execute(f"PRAGMA {pragma}")
            cur.close()

        writers = _WriterLock(url)

        @event.listens_for(engine, "begin")
        def _begin(conn):
            if not conn.get_execution_options().get("lmgpa_write"):
                conn.exec_driver_sql("BEGIN")
                return
            # Writers of this process queue on a Python lock first: SQLite's busy handler polls with growing sleeps
            # and lets some writers wait for seconds under load, while a lock hands over at once and in order.
            writers.acquire()
            conn.info["lmgpa_writer"] = True
            # IMMEDIATE: a deferred transaction that later writes can fail with "busy" instead of waiting.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        @event.listens_for(engine.pool, "checkin")
        def _release(_dbapi_conn, record):
            # The connection goes back to the pool after COMMIT or ROLLBACK, on every path, errors included.
            if record is not None and record.info.pop("lmgpa_writer", False):
                writers.release()

        return engine
    return create_engine(url, pool_size=20, max_overflow=40, pool_pre_ping=True)


class Database:
    """One engine and its session factory; the only state a server process holds."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.readers = sessionmaker(self.engine, expire_on_commit=False)
        self.writers = sessionmaker(self.engine.execution_options(lmgpa_write=True), expire_on_commit=False)

    @contextmanager
    def session(self, write: bool = True) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with (self.writers if write else self.readers)() as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
