"""The sync-server account: who is signed in, the outbox of queued writes, the offline cache, local->server ids."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lmgpa_desktop.storage.base import Base, utcnow


class OnlineAccount(Base):
    """The signed-in account (one row; the refresh token lives in the keyring, never here)."""

    __tablename__ = "online_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    server_url: Mapped[str] = mapped_column(String(400))
    email: Mapped[str] = mapped_column(String(320))
    user: Mapped[dict | None] = mapped_column(JSON)
    session_id: Mapped[str] = mapped_column(String(64), default="")
    signed_in: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(16), default="online")  # online | offline | expired
    message: Mapped[str] = mapped_column(Text, default="")
    last_sync: Mapped[datetime | None] = mapped_column()
    notify_cursor: Mapped[int] = mapped_column(Integer, default=0)  # newest server notification id merged
    notifications_pulled: Mapped[int] = mapped_column(Integer, default=0)


class OutboxEntry(Base):
    """A write waiting for (or sent to) the server, sent in id order; request_id is its Idempotency-Key."""

    __tablename__ = "online_outbox"
    __table_args__ = (Index("ix_online_outbox_account_state", "account", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(500))  # "<server_url>|<user id>": the cache belongs to one account
    request_id: Mapped[str] = mapped_column(String(36), unique=True)
    action: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(String(300))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(400))
    body: Mapped[dict | None] = mapped_column(JSON)
    local_id: Mapped[str | None] = mapped_column(String(64))  # the local id of the object this creates
    optimistic: Mapped[dict | None] = mapped_column(JSON)  # the cache object shown while unsent
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sending | sent | failed
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class CachedObject(Base):
    """One shared object as the server last sent it (kind: class, assignment, message, ...)."""

    __tablename__ = "online_cache"
    __table_args__ = (UniqueConstraint("account", "kind", "object_id", name="uq_online_cache_object"),
                      Index("ix_online_cache_parent", "account", "kind", "parent_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[str | None] = mapped_column(String(120))
    sort_key: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LocalId(Base):
    """An object created offline: its local id and, once sent, the server's id."""

    __tablename__ = "online_ids"
    account: Mapped[str] = mapped_column(String(500), primary_key=True)
    local_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    server_id: Mapped[str] = mapped_column(String(120))
