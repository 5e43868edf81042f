"""The signed-in caller of a request and role checks: the auth dependencies every feature's routes use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.auth import service
from sync_server.db import Database
from sync_server.errors import ApiError
from sync_server.security.tokens import TokenError, read_access

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/auth/login or /api/auth/refresh")


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
        user = service.signed_in_user(db, claims["sid"], claims["sub"])
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
