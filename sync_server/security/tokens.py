"""Access JWTs (HS256 pinned, exp/iat/aud/iss/sub/typ) and opaque refresh and reset tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"
ISSUER = "lmgpa-sync-server"
AUDIENCE = "lmgpa-desktop"
ACCESS_TYPE = "access"


class TokenError(Exception):
    """The token is not a valid access token for this server."""


def issue_access(secret: str, user_id: str, session_id: str, role: str, minutes: int) -> str:
    """A short-lived signed access token."""
    now = datetime.now(UTC)
    claims = {"sub": user_id, "sid": session_id, "role": role, "typ": ACCESS_TYPE, "iss": ISSUER, "aud": AUDIENCE,
              "iat": now, "nbf": now, "exp": now + timedelta(minutes=minutes), "jti": secrets.token_hex(8)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"typ": "at+jwt"})


def read_access(secret: str, token: str) -> dict:
    """The claims of a valid access token; anything else raises TokenError."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                            options={"require": ["exp", "iat", "aud", "iss", "sub", "typ", "sid"]}, leeway=5)
    except jwt.PyJWTError as exc:
        raise TokenError(str(exc)) from exc
    if claims.get("typ") != ACCESS_TYPE:
        raise TokenError("not an access token")
    return claims


def new_opaque() -> str:
    """A random token for refresh or password reset (256 bits)."""
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """SHA-256 of a token: what the database stores instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()
