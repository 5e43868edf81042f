"""Request dependencies every feature uses: the database session, the settings, a Router that commits in place."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from sync_server.db import Database
from sync_server.settings import ServerSettings


def get_settings(request: Request) -> ServerSettings:
    """The app's settings."""
    return request.app.state.settings


def get_database(request: Request) -> Database:
    """The app's database."""
    return request.app.state.db


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A session per request: reads start a plain transaction, writes take the write lock up front."""
    # async on purpose: making a Session does no I/O (it connects at its first query, on the route's thread), and
    # the route commits or rolls back there (Router below), so the exit has nothing left to send to the database.
    # A sync dependency would cost two more thread-pool hops a request.
    db: Database = request.app.state.db
    with db.session(write=request.method not in ("GET", "HEAD", "OPTIONS")) as session:
        yield session


# scope="function": commit before the response is sent, so a client never sees success for a rolled-back write
# (and the write lock is released before the idempotency middleware records the answer).
DB = Annotated[Session, Depends(get_db, scope="function")]
Settings = Annotated[ServerSettings, Depends(get_settings)]


def _commits_in_place(endpoint: Callable) -> Callable:
    """Wrap a sync route so its session commits on the route's own thread, before the response is built."""

    @functools.wraps(endpoint)
    def run(*args, **kwargs):
        session = kwargs.get("db")
        session = session if isinstance(session, Session) else None
        try:
            result = endpoint(*args, **kwargs)
        except BaseException:
            if session is not None:
                session.rollback()
            raise
        if session is not None:
            # Ending the transaction here returns the connection (and SQLite's write lock) at once; left to the
            # dependency's teardown it would wait for another hop on the thread pool behind every queued writer.
            session.commit()
        return result

    return run


class Router(APIRouter):
    """APIRouter whose sync routes commit where they run (see _commits_in_place), and which lists its routes that
    take files (openapi_extra={"x-upload": True}, or a route's own cap in bytes: {"x-upload": 4194368}) for the
    larger body cap (sync_server.limits)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.uploads: list[tuple[str, str, int | None]] = []  # (method, full path template, own cap or None)

    def add_api_route(self, path: str, endpoint: Callable, **kwargs) -> None:
        """Register a route; sync endpoints that take `db` are wrapped."""
        if not inspect.iscoroutinefunction(endpoint) and "db" in inspect.signature(endpoint).parameters:
            endpoint = _commits_in_place(endpoint)
        upload = (kwargs.get("openapi_extra") or {}).get("x-upload")
        if upload:
            cap = None if upload is True else int(upload)
            self.uploads += [(method.upper(), self.prefix + path, cap) for method in kwargs.get("methods") or ["POST"]]
        super().add_api_route(path, endpoint, **kwargs)
