"""Personal sync bookkeeping: device state, the outbox, field clocks, deferred messages, conflicts and media."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lmgpa_desktop.storage.base import Base, Syncable


class SyncState(Base):
    """Key/value state of this device's sync: device id, enabled, clock, pull cursor, account."""

    __tablename__ = "sync_state"
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)


class SyncOutbox(Base):
    """One captured change waiting to be pushed (or pushed, until pruned)."""

    __tablename__ = "sync_outbox"
    __table_args__ = (Index("ix_sync_outbox_pushed_id", "pushed_at", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    msg_id: Mapped[str] = mapped_column(Text, unique=True)  # 32 hex
    tbl: Mapped[str] = mapped_column(Text)
    row_uuid: Mapped[str] = mapped_column(Text)
    op: Mapped[str] = mapped_column(Text)  # add, put
    fields: Mapped[str] = mapped_column(Text)  # JSON object field -> stored value
    hlc: Mapped[str] = mapped_column(Text)
    bases: Mapped[str | None] = mapped_column(Text)  # JSON object text field -> hlc of the value it overwrote
    pushed_at: Mapped[str | None] = mapped_column(Text)


class SyncClock(Base):
    """The HLC of each synced field's current value, local or remote."""

    __tablename__ = "sync_clock"
    __table_args__ = {"sqlite_with_rowid": False}
    tbl: Mapped[str] = mapped_column(Text, primary_key=True)
    row_uuid: Mapped[str] = mapped_column(Text, primary_key=True)
    field: Mapped[str] = mapped_column(Text, primary_key=True)
    hlc: Mapped[str] = mapped_column(Text)


class SyncDeferred(Base):
    """A received message naming a parent row not here yet; every apply retries it."""

    __tablename__ = "sync_deferred"
    msg_id: Mapped[str] = mapped_column(Text, primary_key=True)
    hlc: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)  # JSON


class SyncConflict(Syncable, Base):
    """A text edit that lost to a concurrent one, kept so the student can choose; synced like study data."""

    __tablename__ = "sync_conflicts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tbl: Mapped[str | None] = mapped_column(Text)
    row_uuid: Mapped[str | None] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(Text)
    kept_hlc: Mapped[str | None] = mapped_column(Text)
    lost_hlc: Mapped[str | None] = mapped_column(Text)
    lost_value: Mapped[str | None] = mapped_column(Text)
    lost_device: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column()


class SyncMedia(Base):
    """A media file named by synced rows: local, uploaded, missing here (to download) or failed."""

    __tablename__ = "sync_media"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    blob_id: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text, default="local")  # local, uploaded, missing, failed
