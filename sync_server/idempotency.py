"""Idempotency-Key on writes: the first answer is stored and replayed, so an outbox retry acts once; a replay goes
only to a session that is still signed in, and answers marked Cache-Control: no-store (tokens) are never stored."""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from sync_server import models
from sync_server.envelope import error
from sync_server.security.tokens import TokenError, read_access

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
PENDING = 0
NOT_FINAL = {401, 409, 429}  # answers a retry may change: let it run again


def _header(scope, name: bytes) -> str:
    return next((v for k, v in scope["headers"] if k == name), b"").decode("latin-1").strip()


def _live(s, user_id: str, session_id: str | None) -> bool:
    """True while the token's device session is signed in and its account active (as the auth check asks)."""
    found = s.scalar(select(models.DeviceSession.id).join(models.User, models.User.id == models.DeviceSession.user_id)
                     .where(models.DeviceSession.id == session_id, models.DeviceSession.user_id == user_id,
                            models.DeviceSession.revoked_at.is_(None), models.User.is_active.is_(True)))
    return found is not None


class IdempotencyMiddleware:
    """Plain ASGI: replay stored answers for repeated (user, Idempotency-Key) writes; other requests pass through."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        key = _header(scope, b"idempotency-key") if scope["type"] == "http" else ""
        if not key or scope["method"] not in WRITES or len(key) > 100:
            await self.app(scope, receive, send)
            return
        fastapi_app = scope["app"]
        auth = _header(scope, b"authorization")
        try:
            claims = read_access(fastapi_app.state.settings.signing_key, auth[7:].strip()) \
                if auth.lower().startswith("bearer ") else {}
        except TokenError:
            claims = {}
        user_id, session_id = claims.get("sub"), claims.get("sid")
        if user_id is None:  # unauthenticated writes: the route answers 401 itself
            await self.app(scope, receive, send)
            return
        db, method, path = fastapi_app.state.db, scope["method"], scope["path"]

        def claim() -> models.IdempotentRequest | None | bool:
            """Insert a pending row; if one exists, return it instead, or False when the token's session has ended."""
            try:
                with db.session() as s:
                    s.add(models.IdempotentRequest(user_id=user_id, key=key, method=method, path=path,
                                                   status=PENDING, body=""))
                return None
            except IntegrityError:
                with db.session(write=False) as s:
                    return s.get(models.IdempotentRequest, (user_id, key)) if _live(s, user_id, session_id) else False

        stored = await run_in_threadpool(claim)
        if stored is False:
            # A signed-out, revoked or disabled session gets no stored answer: the route refuses it (401) itself,
            # and nothing is settled, so the owner's stored answer stays.
            await self.app(scope, receive, send)
            return
        if stored is not None:
            request = Request(scope)
            if stored.method != method or stored.path != path:
                response = error(request, 422, "this Idempotency-Key was used for a different request",
                                 code="IDEMPOTENCY_KEY_REUSED")
            elif stored.status == PENDING:
                response = error(request, 409, "the same request is still being processed", code="IN_PROGRESS",
                                 headers={"Retry-After": "1"})
            else:
                response = JSONResponse(json.loads(stored.body), status_code=stored.status,
                                        headers={"idempotent-replay": "true"})
            await response(scope, receive, send)
            return

        answer: dict = {"status": None, "body": bytearray(), "keep": True}

        async def capture(message):
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                # An answer that must not be stored (tokens) is not kept for replay either.
                answer["keep"] = not any(k.lower() == b"cache-control" and b"no-store" in v.lower()
                                         for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
            await send(message)

        def settle() -> None:
            with db.session() as s:
                row = s.get(models.IdempotentRequest, (user_id, key))
                if row is None:
                    return
                status = answer["status"]
                if status is None or status >= 500 or status in NOT_FINAL or not answer["keep"]:
                    s.delete(row)
                else:
                    row.status, row.body = status, bytes(answer["body"]).decode("utf-8", "replace")

        try:
            await self.app(scope, receive, capture)
        finally:
            await run_in_threadpool(settle)


def install(app: FastAPI) -> None:
    """Add the middleware."""
    app.add_middleware(IdempotencyMiddleware)
