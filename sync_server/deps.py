"""Request dependencies: the database session, the signed-in user, role checks."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.db import Database
from sync_server.errors import ApiError
from sync_server.security.tokens import TokenError, read_access
from sync_server.services import auth
from sync_server.settings import ServerSettings

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/auth/login or /api/auth/refresh")


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


@dataclass(frozen=True)
class Caller:
    """The signed-in user of this request and the device session the token belongs to."""

    user: models.User
    session_id: str

    @property
    def id(self) -> str:
        """The user's id."""
        return self.user.id

    @property
    def role(self) -> str:
        """student, teacher or admin."""
        return self.user.role

    def in_session(self, db: Session) -> models.User:
        """The caller's user row attached to the route's session, without loading it again."""
        # Loaded by the auth check of this same request, a moment ago: a second SELECT (inside SQLite's write lock
        # on writes) would only repeat it.
        return db.merge(self.user, load=False)


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, message, "UNAUTHORIZED", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def current_caller(request: Request,
                   credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    """The caller of a valid access token whose device session is still signed in."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("sign in first: this needs an access token")
    try:
        claims = read_access(request.app.state.settings.signing_key, credentials.credentials)
    except TokenError:
        raise _unauthorized("the access token is invalid or expired; refresh it or sign in again") from None
    # Checked on every call so that sign-out, revoking a device or a password change take effect at once.
    # A short read of its own: the request's write transaction (and SQLite's write lock) starts only in the route.
    database: Database = request.app.state.db
    with database.session(write=False) as db:
        user = auth.signed_in_user(db, claims["sid"], claims["sub"])
    if user is None:
        raise _unauthorized("this session has ended; sign in again")
    return Caller(user, claims["sid"])


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def require_role(*roles: str):
    """A dependency that admits only callers with one of these roles."""

    def check(caller: CurrentCaller) -> Caller:
        if caller.role not in roles:
            raise ApiError(403, f"only a {' or '.join(roles)} can do this", "FORBIDDEN")
        return caller

    return check


TeacherCaller = Annotated[Caller, Depends(require_role("teacher", "admin"))]
AdminCaller = Annotated[Caller, Depends(require_role("admin"))]


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
    """APIRouter whose sync routes commit where they run (see _commits_in_place)."""

    def add_api_route(self, path: str, endpoint: Callable, **kwargs) -> None:
        """Register a route; sync endpoints that take `db` are wrapped."""
        if not inspect.iscoroutinefunction(endpoint) and "db" in inspect.signature(endpoint).parameters:
            endpoint = _commits_in_place(endpoint)
        super().add_api_route(path, endpoint, **kwargs)
