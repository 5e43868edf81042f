"""Personal sync: store and hand out a user's encrypted messages in commit order, the wrapped key, the quota."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.errors import ApiError
from sync_server.models import utcnow
from sync_server.sync.blob_store import BlobStore
from sync_server.sync.schemas import PushMessage

MAX_AHEAD = timedelta(days=7)  # the same bound as the desktop's HLC (storage/sync/hlc.py MAX_AHEAD)


def locked_account(db: Session, user_id: str) -> models.SyncAccount:
    """The user's sync row, made when missing and locked until the transaction ends.

    Every sync write takes this lock first, so a user's writes run one at a time: sequence numbers are handed out
    in commit order (a pull by cursor never skips a message that commits late) and the quota is checked against
    what is really stored. PostgreSQL: SELECT ... FOR UPDATE on this row (other users are not held up); SQLite: the
    write transaction already holds the database's single write lock and FOR UPDATE is left out."""
    query = (select(models.SyncAccount).where(models.SyncAccount.user_id == user_id).with_for_update()
             .execution_options(populate_existing=True))
    account = db.scalars(query).one_or_none()
    if account is None:
        # Two first writes of one user may race to create the row: the loser's insert does nothing, then waits for
        # the winner's lock like any later write.
        dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
        db.execute(dialect.insert(models.SyncAccount).values(user_id=user_id)
                   .on_conflict_do_nothing(index_elements=["user_id"]))
        account = db.scalars(query).one()
    return account


def quota_check(account: models.SyncAccount, quota: int, adding: int) -> None:
    """413 QUOTA_EXCEEDED when `adding` more bytes would take the account over its quota."""
    used = account.message_bytes + account.blob_bytes
    if adding > 0 and used + adding > quota:
        raise ApiError(413, f"this would store {used + adding} bytes; the sync quota is {quota} bytes. Delete synced "
                       "data or ask the server's operator for more room", "QUOTA_EXCEEDED",
                       details={"quota_bytes": quota, "used_bytes": used, "adding_bytes": adding},
                       headers={"Cache-Control": "no-store"})  # not replayed by the Idempotency-Key store


def _decoded(messages: list[PushMessage]) -> list[bytes]:
    """Every payload's bytes (422 naming the first one that is not base64: nothing is stored)."""
    out = []
    for position, message in enumerate(messages):
        try:
            out.append(base64.b64decode(message.payload, validate=True))
        except (binascii.Error, ValueError):
            raise ApiError(422, f"message {message.id} has a payload that is not base64", "VALIDATION_ERROR",
                           details={"index": position, "id": message.id}) from None
    return out


def _clock_check(messages: list[PushMessage], now: datetime) -> None:
    """422 CLOCK_AHEAD for a message stamped more than MAX_AHEAD past the server's clock (the device's clock is
    wrong; storing it would make its edits win every merge for days)."""
    bound = int((now + MAX_AHEAD).timestamp() * 1000)
    for message in messages:
        if int(message.hlc[:13]) > bound:
            raise ApiError(422, f"message {message.id} is stamped more than {MAX_AHEAD.days} days after the server's "
                           "clock; check this device's date and time", "CLOCK_AHEAD",
                           details={"id": message.id, "hlc": message.hlc,
                                    "server_time": now.isoformat().replace("+00:00", "Z")})


def push(db: Session, user_id: str, messages: list[PushMessage], quota: int, now: datetime | None = None) -> dict:
    """Store the new messages of a batch with the next sequence numbers, all or nothing; known ids are skipped."""
    _clock_check(messages, now or datetime.now(UTC))
    payloads = _decoded(messages)
    account = locked_account(db, user_id)
    ids = [m.id for m in messages]
    m = models.SyncMessage
    known = set(db.scalars(select(m.msg_id).where(m.user_id == user_id, m.msg_id.in_(ids)))) if ids else set()
    rows, at = [], utcnow()
    for message, payload in zip(messages, payloads, strict=True):
        if message.id in known:
            continue
        known.add(message.id)  # the same id twice in one batch: the first is kept
        rows.append({"user_id": user_id, "seq": account.last_seq + len(rows) + 1, "msg_id": message.id,
                     "hlc": message.hlc, "device": message.device, "payload": payload, "created_at": at})
    adding = sum(len(row["payload"]) for row in rows)
    quota_check(account, quota, adding)
    if rows:
        db.execute(insert(models.SyncMessage), rows)
        account.last_seq += len(rows)
        account.messages += len(rows)
        account.message_bytes += adding
        account.updated_at = at
    return {"accepted": len(rows), "duplicates": len(messages) - len(rows), "last_seq": account.last_seq}


def pull(db: Session, user_id: str, after: int, limit: int, exclude_device: str | None = None) -> dict:
    """Messages with seq > after, oldest first, at most `limit`; another device's only when exclude_device is set."""
    # The newest committed sequence number first: every message up to it has committed with it (the same
    # transaction), so reading up to it never passes over one still being written.
    top = db.scalar(select(models.SyncAccount.last_seq).where(models.SyncAccount.user_id == user_id)) or 0
    m = models.SyncMessage
    query = select(m.seq, m.msg_id, m.hlc, m.device, m.payload).where(m.user_id == user_id, m.seq > after,
                                                                      m.seq <= top)
    if exclude_device:
        query = query.where(m.device != exclude_device)
    rows = db.execute(query.order_by(m.seq).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    messages = [{"seq": r.seq, "id": r.msg_id, "hlc": r.hlc, "device": r.device,
                 "payload": base64.b64encode(r.payload).decode("ascii")} for r in rows]
    # Without more, the cursor moves to the top even past the excluded device's own messages.
    return {"messages": messages, "last_seq": rows[-1].seq if more else top, "more": more}


def get_key(db: Session, user_id: str) -> dict:
    """The wrapped key; 404 NO_KEY when this account has none yet."""
    account = db.get(models.SyncAccount, user_id)
    if account is None or account.key_wrapped is None:
        raise ApiError(404, "this account has no sync key yet: set up sync on a first device", "NO_KEY")
    return {"version": account.key_version, "wrapped": json.loads(account.key_wrapped),
            "key_check": account.key_check}


def put_key(db: Session, user_id: str, expected_version: int, wrapped: dict, key_check: str) -> int:
    """Store the wrapped key if nobody changed it since `expected_version` (0: none yet); the key itself never
    changes (the same key_check), only its wrapping, until DELETE /data."""
    account = locked_account(db, user_id)
    if expected_version != account.key_version:
        raise ApiError(409, "another device changed the sync key first; fetch it and try again", "VERSION_CONFLICT",
                       details={"version": account.key_version})
    if account.key_check is not None and not hmac.compare_digest(account.key_check, key_check):
        raise ApiError(409, "this account already has a different sync key; it can be re-wrapped but not replaced "
                       "(delete the synced data to start over)", "KEY_MISMATCH")
    account.key_wrapped = json.dumps(wrapped, separators=(",", ":"))
    account.key_check = key_check
    account.key_version += 1
    account.updated_at = utcnow()
    return account.key_version


def delete_data(db: Session, store: BlobStore, user_id: str) -> dict:
    """Delete every message, blob and the key; the sequence goes on (devices' cursors stay valid)."""
    account = locked_account(db, user_id)
    messages = db.execute(delete(models.SyncMessage).where(models.SyncMessage.user_id == user_id)).rowcount
    db.execute(delete(models.SyncBlobChunk).where(models.SyncBlobChunk.user_id == user_id))
    blobs = db.execute(delete(models.SyncBlob).where(models.SyncBlob.user_id == user_id)).rowcount
    account.messages = account.message_bytes = account.blob_bytes = account.key_version = 0
    account.key_wrapped = account.key_check = None
    account.updated_at = utcnow()
    db.flush()
    # Under the lock, before the commit: no chunk write of this user can slip in between.
    store.delete_user(user_id)
    return {"messages": messages, "blobs": blobs}


def _size(n: float) -> str:
    """Bytes for people: 1.5 MB."""
    if n < 1000:
        return f"{int(n)} bytes"
    for unit in ("KB", "MB", "GB"):
        n /= 1000
        if n < 1000:
            break
    return f"{n:.1f} {unit}"


def status(db: Session, user_id: str, quota: int) -> dict:
    """Counts and sizes of what the server holds for this user, and whether a key is set up."""
    account = db.get(models.SyncAccount, user_id)
    blobs = db.scalar(select(func.count()).select_from(models.SyncBlob).where(models.SyncBlob.user_id == user_id))
    if account is None:
        account = models.SyncAccount(user_id=user_id, last_seq=0, messages=0, message_bytes=0, blob_bytes=0)
    used = account.message_bytes + account.blob_bytes
    key = account.key_wrapped is not None
    changes = f"{account.messages} encrypted change{'' if account.messages == 1 else 's'}"
    files = f"{blobs} file{'' if blobs == 1 else 's'}"
    message = (f"{changes} and {files} stored ({_size(used)} of {_size(quota)})." if key
               else "Sync is not set up for this account yet.")
    return {"available": True, "key": key, "messages": account.messages, "bytes": account.message_bytes,
            "blobs": blobs, "blob_bytes": account.blob_bytes, "quota_bytes": quota, "last_seq": account.last_seq,
            "message": message}
