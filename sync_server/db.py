"""Engine and sessions for SQLite (default) or PostgreSQL, chosen by URL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


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

        writers = threading.Lock()

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
