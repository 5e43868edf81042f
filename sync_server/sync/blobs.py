"""Encrypted media blobs of a user: chunks stored idempotently (resumable uploads), completion, reading a chunk."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.errors import ApiError, not_found
from sync_server.models import utcnow
from sync_server.sync.blob_store import BlobStore
from sync_server.sync.service import locked_account, quota_check


def _indexes(db: Session, user_id: str, blob_id: str) -> list[tuple[int, int]]:
    """(index, size) of the stored chunks, in order."""
    c = models.SyncBlobChunk
    return [(i, n) for i, n in db.execute(select(c.idx, c.size).where(c.user_id == user_id, c.blob_id == blob_id)
                                          .order_by(c.idx))]


def put_chunk(db: Session, store: BlobStore, user_id: str, blob_id: str, index: int, data: bytes, quota: int) -> None:
    """Store one chunk; the same chunk again replaces it (a resumed upload). A complete blob never changes."""
    account = locked_account(db, user_id)  # chunk writes, quota and DELETE /data of one user in turn
    blob = db.get(models.SyncBlob, (user_id, blob_id))
    chunk = db.get(models.SyncBlobChunk, (user_id, blob_id, index))
    if blob is not None and blob.complete:
        if chunk is not None:
            return  # a retry after the blob was completed: already there
        raise ApiError(409, "this blob is complete and takes no new chunks", "BLOB_COMPLETE")
    before = chunk.size if chunk is not None else 0
    quota_check(account, quota, len(data) - before)
    store.put(user_id, blob_id, index, data)  # a rollback after this leaves a file no row names: never served
    if blob is None:
        db.add(models.SyncBlob(user_id=user_id, blob_id=blob_id))
    if chunk is None:
        db.add(models.SyncBlobChunk(user_id=user_id, blob_id=blob_id, idx=index, size=len(data)))
    else:
        chunk.size = len(data)
    account.blob_bytes += len(data) - before
    account.updated_at = utcnow()


def info(db: Session, user_id: str, blob_id: str) -> dict:
    """The chunks held, completeness and bytes stored; 404 when the server holds no chunk of this blob."""
    blob = db.get(models.SyncBlob, (user_id, blob_id))
    chunks = _indexes(db, user_id, blob_id) if blob is not None else []
    if not chunks:
        raise not_found("no such blob")
    return {"blob_id": blob_id, "chunks": [i for i, _ in chunks], "complete": blob.complete,
            "size": sum(n for _, n in chunks)}


def complete(db: Session, user_id: str, blob_id: str, chunks: int, size: int) -> None:
    """Mark the blob complete when exactly chunks 0..chunks-1 are stored (409 CHUNKS_MISSING otherwise)."""
    locked_account(db, user_id)
    blob = db.get(models.SyncBlob, (user_id, blob_id))
    if blob is None:
        raise not_found("no such blob")
    held = {i for i, _ in _indexes(db, user_id, blob_id)}
    wanted = set(range(chunks))
    missing, extra = sorted(wanted - held), sorted(held - wanted)
    if missing or extra:
        raise ApiError(409, f"{len(missing)} chunks are missing" if missing else
                       f"{len(extra)} chunks are beyond the {chunks} announced",
                       "CHUNKS_MISSING" if missing else "CHUNKS_EXTRA",
                       details={"missing": missing[:100], "extra": extra[:100]})
    if blob.complete:
        return
    blob.complete, blob.chunk_count, blob.size, blob.completed_at = True, chunks, size, utcnow()


def read_chunk(db: Session, store: BlobStore, user_id: str, blob_id: str, index: int) -> bytes:
    """A stored chunk's bytes; the same 404 for a missing chunk and for another user's (never looked up)."""
    data = None
    if db.get(models.SyncBlobChunk, (user_id, blob_id, index)) is not None:
        data = store.get(user_id, blob_id, index)
    if data is None:
        raise not_found("no such chunk")
    return data
