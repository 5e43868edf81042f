"""Classes, tags and the trash of the library."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select

from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Course, Source, SourceTag, Tag


@dataclass(frozen=True)
class CourseRow:
    """A class as plain data."""

    id: int
    name: str
    code: str | None


def courses(db: Database) -> list[CourseRow]:
    """Every class, by name."""
    with db.read() as s:
        return [CourseRow(c.id, c.name, c.code) for c in
                s.scalars(select(Course).where(Course.deleted_at.is_(None)).order_by(func.lower(Course.name)))]


def course_named(db: Database, name: str, create: bool = True) -> CourseRow | None:
    """The class with this name (case-insensitive), created when missing."""
    with db.write() as s:
        c = s.scalars(select(Course).where(func.lower(Course.name) == name.strip().lower(),
                                           Course.deleted_at.is_(None))).first()
        if c is None and create:
            c = Course(name=name.strip())
            s.add(c)
            s.flush()
        return CourseRow(c.id, c.name, c.code) if c else None


def set_tags(db: Database, source_id: int, names: list[str]) -> None:
    """Replace a source's tags."""
    clean = sorted({n.strip().lower() for n in names if n.strip()})
    with db.write() as s:
        s.execute(delete(SourceTag).where(SourceTag.source_id == source_id))
        for name in clean:
            tag = s.scalars(select(Tag).where(Tag.name == name)).first()
            if tag is None:
                tag = Tag(name=name)
                s.add(tag)
                s.flush()
            s.add(SourceTag(source_id=source_id, tag_id=tag.id))


def tags_by_source(db: Database) -> dict[int, list[str]]:
    """Tags of every source."""
    with db.read() as s:
        out: dict[int, list[str]] = {}
        for source_id, name in s.execute(select(SourceTag.source_id, Tag.name).join(Tag, Tag.id == SourceTag.tag_id)
                                         .order_by(Tag.name)):
            out.setdefault(source_id, []).append(name)
        return out


def all_tags(db: Database) -> list[str]:
    """Tags in use."""
    with db.read() as s:
        return list(s.scalars(select(Tag.name).join(SourceTag, SourceTag.tag_id == Tag.id).distinct()
                              .order_by(Tag.name)))


def purge_trashed(db: Database) -> tuple[int, list[str]]:
    """Delete trashed sources for good; returns how many and their stored files (for the caller to remove)."""
    with db.write() as s:
        gone = list(s.scalars(select(Source).where(Source.deleted_at.is_not(None))))
        files = [src.stored_path for src in gone if src.stored_path]
        for src in gone:
            s.delete(src)
        return len(gone), files
