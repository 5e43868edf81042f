"""Declarative base, naming conventions and shared column mixins."""

from __future__ import annotations

import uuid as uuidlib
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints keep Alembic's batch migrations on SQLite deterministic.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC)


def new_uuid() -> str:
    """A fresh random UUID string (sync identity of a row)."""
    return str(uuidlib.uuid4())


def live_row(s, model, row_id: int):
    """A row that exists and is not deleted, or None."""
    row = s.get(model, row_id)
    return row if row is not None and row.deleted_at is None else None


def change_row(s, model, row_id: int, fields: dict):
    """Set fields on a live row and stamp it; KeyError when it is gone or deleted."""
    row = live_row(s, model, row_id)
    if row is None:
        raise KeyError(row_id)
    for key, value in fields.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    s.flush()
    return row


class UTCDateTime(TypeDecorator):
    """DateTime that always comes back timezone-aware in UTC (SQLite stores naive text)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Base class of every desktop table."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


class Timestamps:
    """created_at / updated_at maintained by the ORM."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Syncable(Timestamps):
    """Personal data that will sync: a stable UUID, a hybrid logical clock, a tombstone."""

    uuid: Mapped[str] = mapped_column(String(36), default=new_uuid, unique=True)
    hlc: Mapped[str | None] = mapped_column(String(40), default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
