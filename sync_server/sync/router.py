"""/api/sync: a student's own study data across their devices, end-to-end encrypted (the server stores and forwards
messages and media chunks it cannot read), with the wrapped sync key, per-user sequence numbers and a quota."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends, Path, Query, Request, Response

from sync_server.auth.deps import CurrentCaller
from sync_server.deps import DB, Router, Settings
from sync_server.envelope import wrap
from sync_server.errors import ApiError
from sync_server.limits import upload_cap
from sync_server.schemas import ERRORS, Envelope, ErrorEnvelope
from sync_server.sync import blob_store, blobs
from sync_server.sync import schemas as s
from sync_server.sync import service as sync

router = Router(prefix="/api/sync", tags=["sync"], responses={**ERRORS, 413: {"model": ErrorEnvelope}})

BlobId = Annotated[str, Path(min_length=1, max_length=64, pattern=s.ID)]
Index = Annotated[int, Path(ge=0, lt=s.MAX_CHUNKS)]
# The push body: 1000 messages fit unless some are large; then the client sends smaller batches.
PUSH_CAP = upload_cap(s.PUSH_BODY_BYTES)
RAW = {200: {"description": "the chunk's bytes as uploaded (encrypted)",
             "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}


async def _no_store(response: Response) -> None:
    """Sync answers are private and each write is idempotent by itself: never cached, nor kept by the
    Idempotency-Key store (a kept 413 or 422 would be replayed after the student freed space or fixed the clock)."""
    response.headers["Cache-Control"] = "no-store"


PRIVATE = [Depends(_no_store)]


def _store(request: Request, settings: Settings) -> blob_store.BlobStore:
    """The app's blob store, made from the settings at first use."""
    store = getattr(request.app.state, "sync_blob_store", None)
    if store is None:
        store = request.app.state.sync_blob_store = blob_store.from_settings(settings)
    return store


Store = Annotated[blob_store.BlobStore, Depends(_store)]


@router.get("/status", response_model=Envelope[s.SyncStatus], dependencies=PRIVATE)
def status(request: Request, db: DB, settings: Settings, caller: CurrentCaller):
    """What the server holds for me: counts and sizes (it cannot read any of it), the quota, the newest sequence."""
    return wrap(request, sync.status(db, caller.id, settings.sync_quota_bytes))


@router.get("/key", response_model=Envelope[s.KeyPublic], dependencies=PRIVATE)
def get_key(request: Request, db: DB, caller: CurrentCaller):
    """My sync key, wrapped by my passphrase and by my recovery key; 404 NO_KEY before the first device set it up."""
    return wrap(request, sync.get_key(db, caller.id))


@router.put("/key", response_model=Envelope[s.KeyVersion], dependencies=PRIVATE)
def put_key(body: s.KeyIn, request: Request, db: DB, caller: CurrentCaller):
    """Store my wrapped key (expected_version 0 the first time); 409 VERSION_CONFLICT or KEY_MISMATCH."""
    version = sync.put_key(db, caller.id, body.expected_version, body.wrapped, body.key_check)
    return wrap(request, {"version": version})


@router.post("/push", response_model=Envelope[s.PushResult], dependencies=PRIVATE, openapi_extra=PUSH_CAP)
def push(body: s.PushIn, request: Request, db: DB, settings: Settings, caller: CurrentCaller):
    """Store up to 1000 encrypted messages all or nothing; known ids are skipped. 413 QUOTA_EXCEEDED, 422
    CLOCK_AHEAD."""
    return wrap(request, sync.push(db, caller.id, body.messages, settings.sync_quota_bytes))


@router.get("/pull", response_model=Envelope[s.PullPage], dependencies=PRIVATE)
def pull(request: Request, db: DB, caller: CurrentCaller,
         after: int = Query(0, ge=0, le=2 ** 62, description="the last_seq of the previous page"),
         limit: int = Query(s.DEFAULT_PULL, ge=1, le=s.MAX_PUSH),
         exclude_device: str = Query("", max_length=64, pattern=r"^[A-Za-z0-9_-]*$",
                                     description="leave out this device's own messages")):
    """My messages after a cursor, oldest first; ask again with last_seq while more is true."""
    return wrap(request, sync.pull(db, caller.id, after, limit, exclude_device or None))


@router.put("/blobs/{blob_id}/{index}", response_model=Envelope[s.Stored], dependencies=PRIVATE,
            openapi_extra=upload_cap(s.MAX_CHUNK_BYTES))
def put_chunk(blob_id: BlobId, index: Index, data: Annotated[bytes, Body(media_type="application/octet-stream")],
              request: Request, db: DB, settings: Settings, caller: CurrentCaller, store: Store):
    """Store one encrypted chunk (the raw body, up to 4 MiB + 64 bytes); sending it again is harmless."""
    if not data:
        raise ApiError(422, "the chunk is empty", "VALIDATION_ERROR")
    blobs.put_chunk(db, store, caller.id, blob_id, index, data, settings.sync_quota_bytes)
    return wrap(request, {"stored": True})


@router.get("/blobs/{blob_id}", response_model=Envelope[s.BlobInfo], dependencies=PRIVATE)
def blob_info(blob_id: BlobId, request: Request, db: DB, caller: CurrentCaller):
    """Which chunks of this blob the server holds (to resume an upload), and whether it is complete."""
    return wrap(request, blobs.info(db, caller.id, blob_id))


@router.post("/blobs/{blob_id}/complete", response_model=Envelope[s.Completed], dependencies=PRIVATE)
def complete_blob(blob_id: BlobId, body: s.BlobCompleteIn, request: Request, db: DB, caller: CurrentCaller):
    """Mark the blob complete once chunks 0..chunks-1 are all stored; 409 CHUNKS_MISSING names the missing ones."""
    blobs.complete(db, caller.id, blob_id, body.chunks, body.size)
    return wrap(request, {"complete": True})


@router.get("/blobs/{blob_id}/{index}", response_class=Response, responses=RAW)
def get_chunk(blob_id: BlobId, index: Index, db: DB, caller: CurrentCaller, store: Store):
    """One chunk's encrypted bytes; 404 alike for a missing chunk and for someone else's."""
    data = blobs.read_chunk(db, store, caller.id, blob_id, index)
    return Response(data, media_type="application/octet-stream",
                    headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


@router.delete("/data", response_model=Envelope[s.Deleted], dependencies=PRIVATE)
def delete_data(request: Request, db: DB, caller: CurrentCaller, store: Store):
    """Delete everything sync stored for me on the server: messages, media and the wrapped key."""
    return wrap(request, sync.delete_data(db, store, caller.id))
