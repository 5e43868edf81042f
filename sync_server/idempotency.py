"""Idempotency-Key on writes: the first answer is stored and replayed, so an outbox retry acts once."""

from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from sync_server import models
from sync_server.envelope import error
from sync_server.security.tokens import TokenError, read_access

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
PENDING = 0


def _caller_id(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    try:
        return read_access(request.app.state.settings.signing_key, header[7:].strip())["sub"]
    except TokenError:
        return None


def install(app: FastAPI) -> None:
    """Replay stored answers for repeated (user, Idempotency-Key) writes."""

    @app.middleware("http")
    async def idempotent(request: Request, call_next):
        key = request.headers.get("idempotency-key", "").strip()
        if request.method not in WRITES or not key or len(key) > 100:
            return await call_next(request)
        user_id = _caller_id(request)
        if user_id is None:  # unauthenticated writes: the route answers 401 itself
            return await call_next(request)
        db = request.app.state.db

        def claim() -> models.IdempotentRequest | None:
            """Insert a pending row; if one exists, return it instead."""
            try:
                with db.session() as s:
                    s.add(models.IdempotentRequest(user_id=user_id, key=key, method=request.method,
                                                   path=request.url.path, status=PENDING, body=""))
                return None
            except IntegrityError:
                with db.session(write=False) as s:
                    return s.get(models.IdempotentRequest, (user_id, key))

        stored = await run_in_threadpool(claim)
        if stored is not None:
            if stored.method != request.method or stored.path != request.url.path:
                return error(request, 422, "this Idempotency-Key was used for a different request",
                             code="IDEMPOTENCY_KEY_REUSED")
            if stored.status == PENDING:
                return error(request, 409, "the same request is still being processed", code="IN_PROGRESS",
                             headers={"Retry-After": "1"})
            return JSONResponse(json.loads(stored.body), status_code=stored.status,
                                headers={"idempotent-replay": "true"})

        response = await call_next(request)
        body = b"".join([chunk async for chunk in response.body_iterator])

        def settle() -> None:
            with db.session() as s:
                row = s.get(models.IdempotentRequest, (user_id, key))
                if row is None:
                    return
                if response.status_code >= 500 or response.status_code in (401, 409, 429):
                    s.delete(row)  # not a final answer: let the retry run it again
                else:
                    row.status, row.body = response.status_code, body.decode("utf-8", "replace")

        await run_in_threadpool(settle)
        return Response(body, status_code=response.status_code, headers=dict(response.headers),
                        media_type=response.media_type)
