"""Library sources (files the student added or recorded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from lmgpa_desktop.storage.base import utcnow
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Source


@dataclass(frozen=True)
class SourceRecord:
    """A source as plain data."""

    id: int
    uuid: str
    kind: str
    title: str
    course_id: int | None
    original_path: str | None
    stored_path: str | None
    sha256: str | None
    size_bytes: int | None
    mime: str | None
    status: str
    error: str | None
    page_count: int | None
    duration_s: float | None
    language: str | None
    created_at: datetime
    deleted_at: datetime | None


def to_record(s: Source) -> SourceRecord:
    return SourceRecord(s.id, s.uuid, s.kind, s.title, s.course_id, s.original_path, s.stored_path, s.sha256,
                        s.size_bytes, s.mime, s.status, s.error, s.page_count, s.duration_s, s.language,
                        s.created_at, s.deleted_at)


def create(db: Database, **fields) -> SourceRecord:
    """Add a source."""
    with db.write() as s:
        source = Source(**fields)
        s.add(source)
        s.flush()
        return to_record(source)


def get(db: Database, source_id: int) -> SourceRecord | None:
    """One source, or None."""
    with db.read() as s:
        source = s.get(Source, source_id)
        return to_record(source) if source else None


def find_by_sha256(db: Database, sha256: str) -> SourceRecord | None:
    """A live (not trashed) source with the same content."""
    with db.read() as s:
        q = select(Source).where(Source.sha256 == sha256, Source.deleted_at.is_(None)).order_by(Source.id)
        source = s.scalars(q).first()
        return to_record(source) if source else None


def listing(db: Database, kinds: tuple[str, ...] | None = None, trashed: bool = False) -> list[SourceRecord]:
    """Sources, newest first."""
    with db.read() as s:
        q = select(Source).order_by(Source.id.desc())
        q = q.where(Source.deleted_at.is_not(None) if trashed else Source.deleted_at.is_(None))
        if kinds:
            q = q.where(Source.kind.in_(kinds))
        return [to_record(x) for x in s.scalars(q)]


def update(db: Database, source_id: int, **fields) -> SourceRecord:
    """Change fields of a source."""
    with db.write() as s:
        source = s.get(Source, source_id)
        for key, value in fields.items():
            setattr(source, key, value)
        s.flush()
        return to_record(source)


def trash(db: Database, source_id: int) -> None:
    """Move a source to the trash (restorable)."""
    update(db, source_id, deleted_at=utcnow())
