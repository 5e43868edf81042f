"""/api/notify: the caller's notifications (pull, read state) and a live Server-Sent Events stream."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated

from fastapi import Header, Path, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from sync_server.auth.deps import CurrentCaller
from sync_server.db import Database
from sync_server.deps import DB, Router
from sync_server.envelope import wrap
from sync_server.errors import ApiError
from sync_server.models import utcnow
from sync_server.notify import schemas as s
from sync_server.notify import service as notifications
from sync_server.schemas import ERRORS, Envelope

router = Router(prefix="/api/notify", tags=["notify"], responses=ERRORS)
POLL_SECONDS = 1.0  # the database is the bus between workers: each stream polls it
KEEPALIVE_SECONDS = 15.0  # proxies close idle connections; a comment line keeps them open
MAX_ID = 2**31 - 1  # ids are INTEGER columns: PostgreSQL refuses larger values (a 500), so they are a 422


@router.get("", response_model=Envelope[s.NotificationPage])
def list_notifications(request: Request, db: DB, caller: CurrentCaller, unread_only: bool = False,
                       after_id: int | None = Query(None, ge=0, le=MAX_ID), limit: int = Query(50, ge=1, le=200)):
    """My notifications: newest first, or oldest first after `after_id`; with my unread count."""
    rows = notifications.listing(db, caller.id, unread_only, after_id, limit)
    return wrap(request, {"items": [notifications.to_public(r) for r in rows],
                          "unread_count": notifications.unread_count(db, caller.id)})


@router.post("/read-all", response_model=Envelope[s.ReadCount])
def read_all(request: Request, db: DB, caller: CurrentCaller):
    """Mark all my notifications read."""
    return wrap(request, {"marked": notifications.mark_all_read(db, caller.id)})


@router.post("/{notification_id}/read", response_model=Envelope[s.NotificationPublic])
def read_one(notification_id: Annotated[int, Path(ge=0, le=MAX_ID)], request: Request, db: DB,
             caller: CurrentCaller):
    """Mark one of my notifications read."""
    row = notifications.mark_read(db, caller.id, notification_id)
    db.flush()
    return wrap(request, notifications.to_public(row))


def _event(row) -> str:
    return f"id: {row.id}\nevent: notification\ndata: {json.dumps(notifications.to_public(row))}\n\n"


def _cursor(last_event_id: str | None, after_id: int | None) -> int | None:
    if last_event_id is not None and last_event_id.strip():
        try:
            value = int(last_event_id.strip())
            if not 0 <= value <= MAX_ID:
                raise ValueError(value)
            return value
        except ValueError:
            raise ApiError(422, "Last-Event-ID must be a notification id", "VALIDATION_ERROR") from None
    return after_id


@router.get("/stream", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "`event: notification` with the notification as JSON data"}})
async def stream(request: Request, caller: CurrentCaller,
                 after_id: int | None = Query(None, ge=0, le=MAX_ID), once: bool = False,
                 last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None):
    """Server-Sent Events of my notifications after Last-Event-ID/after_id (else unread, then new); once=true closes."""
    # Without once=true it runs until the client disconnects or this device's session is revoked.
    cursor = _cursor(last_event_id, after_id)
    database: Database = request.app.state.db

    seen: set[int] = set()  # ids at or below the cursor already covered, so a late commit is sent exactly once

    def start() -> int:
        with database.session(write=False) as session:
            position = notifications.newest_id(session, caller.id) if cursor is None else cursor
            seen.update(notifications.recent_ids(session, caller.id, position,
                                                 utcnow() - notifications.LATE_COMMIT_WINDOW))
            return position

    def backlog(after: int, upto: int) -> tuple[int, list[str]]:
        with database.session(write=False) as session:
            rows = notifications.unread_backlog(session, caller.id, after, upto)
            return (rows[-1].id if rows else upto), [_event(r) for r in rows]

    def poll(position: int) -> tuple[bool, int, list[str]]:
        since = utcnow() - notifications.LATE_COMMIT_WINDOW
        with database.session(write=False) as session:
            alive, rows = notifications.stream_poll(session, caller.id, caller.session_id, position, since, seen)
            seen.update(r.id for r in rows)
            # Forget what can no longer come late, so a stream open for days keeps a small set.
            seen.intersection_update(notifications.recent_ids(session, caller.id, max([position, *seen]), since))
            return alive, max([position, *(r.id for r in rows)]), [_event(r) for r in rows]

    async def events():
        position = await run_in_threadpool(start)
        yield "retry: 3000\n: connected\n\n"  # a first line at once, so clients and tests know the stream is open
        done = 0 if cursor is None else position
        while done < position:  # no cursor: first the unread ones up to now, in batches
            done, chunks = await run_in_threadpool(backlog, done, position)
            for chunk in chunks:
                yield chunk
        last_sent = time.monotonic()
        while True:
            alive, position, chunks = await run_in_threadpool(poll, position)
            if not alive:
                yield "event: end\ndata: {\"reason\": \"session ended\"}\n\n"
                return
            for chunk in chunks:
                yield chunk
            if chunks:
                last_sent = time.monotonic()
                continue  # more may be waiting beyond this batch
            if once:
                return
            if await request.is_disconnected():
                return
            if time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
                yield ": keepalive\n\n"
                last_sent = time.monotonic()
            await asyncio.sleep(POLL_SECONDS)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
