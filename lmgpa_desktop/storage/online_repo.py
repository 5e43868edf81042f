"""SQL for the sync-server account, the outbox, the offline cache, local ids and server-fed deadlines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from lmgpa_desktop.storage.base import utcnow
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Deadline, Notification
from lmgpa_desktop.storage.models.online import (
    CachedObject,
    LocalId,
    OnlineAccount,
    OutboxEntry,
)

ACCOUNT_ROW = 1
UNSENT = ("pending", "sending")
DEADLINE_PREFIX = "assignment:"  # deadlines.server_id of class assignments, so local deadlines are never touched


@dataclass(frozen=True)
class AccountRow:
    """The signed-in (or last) account as plain data."""

    server_url: str
    email: str
    user: dict | None
    session_id: str
    signed_in: bool
    status: str
    message: str
    last_sync: datetime | None
    notify_cursor: int
    notifications_pulled: int

    @property
    def key(self) -> str:
        """The account key cache and outbox rows are filed under."""
        return account_key(self.server_url, (self.user or {}).get("id", ""))


@dataclass(frozen=True)
class OutboxRow:
    """A queued write as plain data."""

    id: int
    account: str
    request_id: str
    action: str
    summary: str
    method: str
    path: str
    body: dict | None
    local_id: str | None
    optimistic: dict | None
    state: str
    error: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None


def account_key(server_url: str, user_id: str) -> str:
    """'<server_url>|<user id>'."""
    return f"{server_url}|{user_id}"


# -- account ---------------------------------------------------------------------------------------------------
def _account(a: OnlineAccount) -> AccountRow:
    return AccountRow(a.server_url, a.email, a.user, a.session_id or "", a.signed_in, a.status, a.message or "",
                      a.last_sync, a.notify_cursor or 0, a.notifications_pulled or 0)


def account(db: Database) -> AccountRow | None:
    """The account row, if anyone ever signed in."""
    with db.read() as s:
        a = s.get(OnlineAccount, ACCOUNT_ROW)
        return _account(a) if a else None


def save_account(db: Database, server_url: str, email: str, user: dict, session_id: str) -> AccountRow:
    """Record a fresh sign-in (the notification cursor is kept when the same account signs in again)."""
    with db.write() as s:
        a = s.get(OnlineAccount, ACCOUNT_ROW)
        same = a is not None and a.server_url == server_url and (a.user or {}).get("id") == user.get("id")
        if a is None:
            a = OnlineAccount(id=ACCOUNT_ROW)
            s.add(a)
        if not same:
            a.notify_cursor, a.notifications_pulled, a.last_sync = 0, 0, None
        a.server_url, a.email, a.user, a.session_id = server_url, email, user, session_id
        a.signed_in, a.status, a.message = True, "online", ""
        s.flush()
        return _account(a)


def update_account(db: Database, **fields) -> AccountRow | None:
    """Change some fields of the account row (status, message, user, last_sync, notify_cursor, ...)."""
    with db.write() as s:
        a = s.get(OnlineAccount, ACCOUNT_ROW)
        if a is None:
            return None
        for name, value in fields.items():
            setattr(a, name, value)
        s.flush()
        return _account(a)


def advance_notifications(db: Database, cursor: int, merged: int) -> None:
    """Move the notification cursor forward (never back) and count merged notifications."""
    with db.write() as s:
        a = s.get(OnlineAccount, ACCOUNT_ROW)
        if a is not None:
            a.notify_cursor = max(a.notify_cursor or 0, cursor)
            a.notifications_pulled = (a.notifications_pulled or 0) + merged


# -- outbox ----------------------------------------------------------------------------------------------------
def _outbox(e: OutboxEntry) -> OutboxRow:
    return OutboxRow(e.id, e.account, e.request_id, e.action, e.summary, e.method, e.path, e.body, e.local_id,
                     e.optimistic, e.state, e.error or "", e.attempts, e.created_at, e.sent_at)


def add_item(db: Database, account: str, request_id: str, action: str, summary: str, method: str, path: str,
             body: dict | None, local_id: str | None = None, optimistic: dict | None = None) -> OutboxRow:
    """Queue a write."""
    with db.write() as s:
        e = OutboxEntry(account=account, request_id=request_id, action=action, summary=summary[:300],
                        method=method, path=path, body=body, local_id=local_id, optimistic=optimistic,
                        state="pending", error="", attempts=0, created_at=utcnow())
        s.add(e)
        s.flush()
        return _outbox(e)


def item(db: Database, item_id: int) -> OutboxRow | None:
    """One outbox item."""
    with db.read() as s:
        e = s.get(OutboxEntry, item_id)
        return _outbox(e) if e else None


def items(db: Database, account: str, include_sent: bool = False, states: tuple[str, ...] | None = None
          ) -> list[OutboxRow]:
    """The account's outbox, oldest first."""
    q = select(OutboxEntry).where(OutboxEntry.account == account)
    if states is not None:
        q = q.where(OutboxEntry.state.in_(states))
    elif not include_sent:
        q = q.where(OutboxEntry.state != "sent")
    with db.read() as s:
        return [_outbox(e) for e in s.scalars(q.order_by(OutboxEntry.id))]


def next_unsent(db: Database, account: str, after_id: int = 0) -> OutboxRow | None:
    """The oldest pending (or interrupted while sending) item after after_id."""
    with db.read() as s:
        e = s.scalars(select(OutboxEntry).where(OutboxEntry.account == account, OutboxEntry.id > after_id,
                                                 OutboxEntry.state.in_(UNSENT))
                      .order_by(OutboxEntry.id).limit(1)).first()
        return _outbox(e) if e else None


def counts(db: Database, account: str) -> tuple[int, int]:
    """(unsent, failed) items of the account."""
    with db.read() as s:
        rows = dict(s.execute(select(OutboxEntry.state, func.count()).where(OutboxEntry.account == account)
                              .group_by(OutboxEntry.state)).all())
    return rows.get("pending", 0) + rows.get("sending", 0), rows.get("failed", 0)


def mark(db: Database, item_id: int, state: str, error: str = "", attempt: bool = False,
         sent_at: datetime | None = None) -> None:
    """Move an item to a state (attempt: count one more try)."""
    with db.write() as s:
        e = s.get(OutboxEntry, item_id)
        if e is None:
            return
        e.state, e.error = state, error
        if attempt:
            e.attempts += 1
        if sent_at is not None:
            e.sent_at = sent_at


def delete_item(db: Database, item_id: int) -> bool:
    """Remove an item; False when it does not exist."""
    with db.write() as s:
        return s.execute(delete(OutboxEntry).where(OutboxEntry.id == item_id)).rowcount > 0


def rewrite_local_id(db: Database, account: str, local_id: str, server_id: str) -> int:
    """Record local_id -> server_id and put the server id into every unsent item that mentions the local one."""
    def swap(value):
        if value is None:
            return None
        text = json.dumps(value)
        return json.loads(text.replace(local_id, server_id)) if local_id in text else value

    with db.write() as s:
        if s.get(LocalId, (account, local_id)) is None:
            s.add(LocalId(account=account, local_id=local_id, server_id=server_id))
        changed = 0
        for e in s.scalars(select(OutboxEntry).where(OutboxEntry.account == account,
                                                      OutboxEntry.state.in_(UNSENT + ("failed",)))):
            body, optimistic, path = swap(e.body), swap(e.optimistic), e.path.replace(local_id, server_id)
            if body != e.body or optimistic != e.optimistic or path != e.path:
                e.body, e.optimistic, e.path = body, optimistic, path
                changed += 1
        return changed


def resolve(db: Database, account: str, object_id: str) -> str:
    """The server id of an object created offline (the id itself when unknown or already a server id)."""
    with db.read() as s:
        found = s.get(LocalId, (account, object_id))
        return found.server_id if found else object_id


# -- cache -----------------------------------------------------------------------------------------------------
def put(db: Database, account: str, kind: str, object_id: str, data: dict, parent_id: str | None = None,
        sort_key: str = "") -> None:
    """Insert or replace one cached object."""
    with db.write() as s:
        _put(s, account, kind, object_id, data, parent_id, sort_key)


def _put(s, account, kind, object_id, data, parent_id, sort_key) -> None:
    row = s.scalars(select(CachedObject).where(CachedObject.account == account, CachedObject.kind == kind,
                                                CachedObject.object_id == object_id)).first()
    if row is None:
        s.add(CachedObject(account=account, kind=kind, object_id=object_id, parent_id=parent_id,
                           sort_key=sort_key, data=data))
    else:
        row.data, row.parent_id, row.sort_key = data, parent_id, sort_key


def replace(db: Database, account: str, kind: str, objects: list[tuple[str, dict, str]],
            parent_id: str | None = None, keep_others: bool = False) -> None:
    """Make the cached objects of this kind (under this parent, or all) exactly these (object_id, data, sort_key);
    keep_others: only add or update (for paged kinds such as messages)."""
    with db.write() as s:
        scope = [CachedObject.account == account, CachedObject.kind == kind]
        if parent_id is not None:
            scope.append(CachedObject.parent_id == parent_id)
        if not keep_others:
            ids = [oid for oid, _, _ in objects]
            s.execute(delete(CachedObject).where(*scope, CachedObject.object_id.not_in(ids)))
        for oid, data, key in objects:
            _put(s, account, kind, oid, data, parent_id, key)


def forget(db: Database, account: str, kind: str, parent_ids: list[str] | None = None,
           keep_parents: list[str] | None = None) -> int:
    """Drop cached objects of a kind whose parent is in parent_ids (or not in keep_parents)."""
    with db.write() as s:
        q = delete(CachedObject).where(CachedObject.account == account, CachedObject.kind == kind)
        if parent_ids is not None:
            q = q.where(CachedObject.parent_id.in_(parent_ids))
        if keep_parents is not None:
            q = q.where(CachedObject.parent_id.not_in(keep_parents))
        return s.execute(q).rowcount


def get(db: Database, account: str, kind: str, object_id: str) -> dict | None:
    """One cached object's data."""
    with db.read() as s:
        return s.scalars(select(CachedObject.data).where(CachedObject.account == account, CachedObject.kind == kind,
                                                          CachedObject.object_id == object_id)).first()


def listing(db: Database, account: str, kind: str, parent_id: str | None = None, limit: int | None = None,
            newest_first: bool = False) -> list[dict]:
    """Cached objects of a kind (under a parent), by sort key."""
    q = select(CachedObject.data).where(CachedObject.account == account, CachedObject.kind == kind)
    if parent_id is not None:
        q = q.where(CachedObject.parent_id == parent_id)
    order = (CachedObject.sort_key.desc(), CachedObject.id.desc()) if newest_first else (CachedObject.sort_key,
                                                                                         CachedObject.id)
    q = q.order_by(*order)
    if limit is not None:
        q = q.limit(limit)
    with db.read() as s:
        return list(s.scalars(q))


# -- server-fed deadlines and notifications --------------------------------------------------------------------
def upsert_deadline(db: Database, assignment_id: str, title: str, due_at: datetime, course_id: int | None) -> int:
    """Create or update the local deadline of a class assignment; its id."""
    server_id = DEADLINE_PREFIX + assignment_id
    with db.write() as s:
        d = s.scalars(select(Deadline).where(Deadline.server_id == server_id)).first()
        if d is None:
            d = Deadline(title=title, kind="assignment", due_at=due_at, course_id=course_id, server_id=server_id,
                         created_at=utcnow())
            s.add(d)
        else:
            d.title, d.due_at, d.course_id, d.deleted_at = title, due_at, course_id, None
        s.flush()
        return d.id


def drop_deadlines_except(db: Database, assignment_ids: list[str]) -> int:
    """Tombstone class-assignment deadlines whose assignment is gone (or no longer has a due date)."""
    keep = [DEADLINE_PREFIX + a for a in assignment_ids]
    with db.write() as s:
        return s.execute(update(Deadline).where(Deadline.server_id.like(DEADLINE_PREFIX + "%"),
                                                Deadline.server_id.not_in(keep), Deadline.deleted_at.is_(None))
                         .values(deleted_at=utcnow())).rowcount


def notification_known(db: Database, server_id: str) -> bool:
    """Whether a server notification was already merged into the centre."""
    with db.read() as s:
        return s.scalar(select(func.count()).where(Notification.server_id == server_id)) > 0


def tag_notification(db: Database, notification_id: int, server_id: str) -> bool:
    """Remember which server notification a centre row came from (dedupes later pulls); False when another
    process merged the same one first, in which case this row is a duplicate and is removed."""
    try:
        with db.write() as s:
            s.execute(update(Notification).where(Notification.id == notification_id).values(server_id=server_id))
        return True
    except IntegrityError:
        with db.write() as s:
            s.execute(delete(Notification).where(Notification.id == notification_id))
        return False
