"""Request and response bodies for /api/sync: opaque encrypted messages, the wrapped key, media blob chunks."""

from __future__ import annotations

import json

from pydantic import BaseModel, Field, field_validator

from sync_server.schemas import Input

MAX_PUSH = 1000  # messages per push, and per pull page
DEFAULT_PULL = 500
MAX_PAYLOAD_CHARS = 1024 * 1024  # base64 text of one message: a long note or transcript fits
MAX_WRAPPED_BYTES = 16 * 1024  # the wrapped key (a few hundred bytes in practice)
CHUNK_BYTES = 4 * 1024 * 1024  # media travels in chunks of 4 MiB of plaintext ...
MAX_CHUNK_BYTES = CHUNK_BYTES + 64  # ... plus the AEAD nonce and tag
MAX_CHUNKS = 1_000_000  # a 4 TB file: far beyond any quota, small enough for every database's integers
# The push body cap: 1000 typical messages (a field change is a few hundred bytes) fit many times over; a client
# keeps a batch under it by size as well as by count, as a few messages can be large.
PUSH_BODY_BYTES = 16 * 1024 * 1024
ID = r"^[A-Za-z0-9_-]+$"
HLC = r"^[0-9]{13}-[0-9a-f]+-[A-Za-z0-9_-]+$"  # millis-counter-device (lmgpa_desktop/storage/sync/hlc.py)


class PushMessage(BaseModel):
    """One encrypted change: the server keeps id, hlc and device in the clear and never reads the payload."""

    id: str = Field(min_length=1, max_length=64, pattern=ID)
    hlc: str = Field(max_length=64, pattern=HLC)
    device: str = Field(min_length=1, max_length=64, pattern=ID)
    payload: str = Field(max_length=MAX_PAYLOAD_CHARS, description="the sealed message, base64")


class PushIn(Input):
    """Up to 1000 messages, stored all or nothing."""

    messages: list[PushMessage] = Field(max_length=MAX_PUSH)


class PushResult(BaseModel):
    """New messages stored, known ids skipped, and the user's newest sequence number."""

    accepted: int
    duplicates: int
    last_seq: int


class PulledMessage(BaseModel):
    """A stored message with its sequence number."""

    seq: int
    id: str
    hlc: str
    device: str
    payload: str


class PullPage(BaseModel):
    """Messages after the cursor, oldest first; last_seq is the next cursor; more: ask again at once."""

    messages: list[PulledMessage]
    last_seq: int
    more: bool


class KeyIn(Input):
    """The sync key wrapped by the passphrase and the recovery key, and a check value proving which key it is."""

    expected_version: int = Field(ge=0, le=2_000_000_000)
    wrapped: dict
    key_check: str = Field(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9+/=_-]+$")

    @field_validator("wrapped")
    @classmethod
    def _small(cls, value: dict) -> dict:
        if len(json.dumps(value, separators=(",", ":"))) > MAX_WRAPPED_BYTES:
            raise ValueError(f"the wrapped key is larger than {MAX_WRAPPED_BYTES} bytes")
        return value


class KeyPublic(BaseModel):
    """The stored wrapped key and its version (bumped at every re-wrap)."""

    version: int
    wrapped: dict
    key_check: str


class KeyVersion(BaseModel):
    """The key's version after a write."""

    version: int


class BlobInfo(BaseModel):
    """Which chunks of a blob the server holds, whether it is complete, and the bytes stored."""

    blob_id: str
    chunks: list[int]
    complete: bool
    size: int


class BlobCompleteIn(Input):
    """The number of chunks (indexes 0..chunks-1) and the file's size as the client counts it."""

    chunks: int = Field(ge=1, le=MAX_CHUNKS)
    size: int = Field(ge=0, le=2 ** 62)


class Stored(BaseModel):
    """A chunk write."""

    stored: bool = True


class Completed(BaseModel):
    """A blob marked complete."""

    complete: bool = True


class Deleted(BaseModel):
    """What DELETE /data removed (the key too)."""

    messages: int
    blobs: int


class SyncStatus(BaseModel):
    """What the server holds for the caller (counts and sizes only: it cannot read any of it)."""

    available: bool
    key: bool
    messages: int
    bytes: int
    blobs: int
    blob_bytes: int
    quota_bytes: int
    last_seq: int
    message: str
