"""Recordings made by the app's recorder and their closed audio segments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update

from lmgpa_desktop.storage.base import utcnow
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Bookmark, Job, Photo, Recording, RecordingSegment, Source

UNFINISHED = ("recording", "paused")


@dataclass(frozen=True)
class RecordingRecord:
    """A recording as plain data."""

    id: int
    source_id: int | None
    directory: str
    device_name: str | None
    sample_rate: int
    channels: int
    state: str
    owner: str | None
    started_at: datetime | None
    ended_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class SegmentRecord:
    """One closed segment file of a recording."""

    id: int
    recording_id: int
    seq: int
    path: str
    start_s: float
    frames: int


def _record(r: Recording) -> RecordingRecord:
    return RecordingRecord(r.id, r.source_id, r.directory, r.device_name, r.sample_rate, r.channels, r.state,
                           r.owner, r.started_at, r.ended_at, r.error)


def _segment(s: RecordingSegment) -> SegmentRecord:
    return SegmentRecord(s.id, s.recording_id, s.seq, s.path, s.start_s, s.frames)


def create(db: Database, *, title: str, course_id: int | None, directory: str, device_name: str | None,
           sample_rate: int, channels: int, owner: str, state: str = "recording") -> RecordingRecord:
    """A library source (kind recording) and its recording row, in one transaction."""
    with db.write() as s:
        source = Source(kind="recording", title=title, course_id=course_id, status="recording", mime="audio/flac")
        s.add(source)
        s.flush()
        rec = Recording(source_id=source.id, directory=directory, device_name=device_name, sample_rate=sample_rate,
                        channels=channels, state=state, owner=owner, started_at=utcnow())
        s.add(rec)
        s.flush()
        return _record(rec)


def get(db: Database, recording_id: int) -> RecordingRecord | None:
    """One recording, or None."""
    with db.read() as s:
        rec = s.get(Recording, recording_id)
        return _record(rec) if rec else None


def update_recording(db: Database, recording_id: int, **fields) -> RecordingRecord:
    """Change state, error, ended_at (or other fields) of a recording."""
    with db.write() as s:
        rec = s.get(Recording, recording_id)
        for key, value in fields.items():
            setattr(rec, key, value)
        s.flush()
        return _record(rec)


def unfinished(db: Database) -> list[RecordingRecord]:
    """Recordings still marked recording or paused (live in some process, or left by a crash)."""
    with db.read() as s:
        q = select(Recording).where(Recording.state.in_(UNFINISHED)).order_by(Recording.id)
        return [_record(r) for r in s.scalars(q)]


def closed_without_job(db: Database, states: tuple[str, ...], kind: str) -> list[RecordingRecord]:
    """Recordings in these states that no job of this kind (in any state) names in its payload's recording_id."""
    named = select(Job.id).where(Job.kind == kind,
                                 func.json_extract(Job.payload, "$.recording_id") == Recording.id)
    with db.read() as s:
        q = select(Recording).where(Recording.state.in_(states), ~named.exists()).order_by(Recording.id)
        return [_record(r) for r in s.scalars(q)]


def add_segment(db: Database, recording_id: int, seq: int, path: str, start_s: float, frames: int) -> SegmentRecord:
    """Register a closed (fsynced) segment file."""
    with db.write() as s:
        seg = RecordingSegment(recording_id=recording_id, seq=seq, path=path, start_s=start_s, frames=frames)
        s.add(seg)
        s.flush()
        return _segment(seg)


def segments(db: Database, recording_id: int) -> list[SegmentRecord]:
    """The registered segments of a recording, in order."""
    with db.read() as s:
        q = select(RecordingSegment).where(RecordingSegment.recording_id == recording_id).order_by(RecordingSegment.seq)
        return [_segment(x) for x in s.scalars(q)]


def delete_segments(db: Database, recording_id: int) -> None:
    """Forget the segment rows (once their audio is in the joined file)."""
    with db.write() as s:
        s.execute(delete(RecordingSegment).where(RecordingSegment.recording_id == recording_id))


def link_media_to_source(db: Database, recording_id: int) -> int:
    """Give the recording's bookmarks and photos its source id where they lack one; returns rows changed."""
    with db.write() as s:
        source_id = s.scalar(select(Recording.source_id).where(Recording.id == recording_id))
        if source_id is None:
            return 0
        changed = 0
        for model in (Bookmark, Photo):
            result = s.execute(update(model).where(model.recording_id == recording_id, model.source_id.is_(None))
                               .values(source_id=source_id))
            changed += result.rowcount or 0
        return changed


def bookmarks(db: Database, recording_id: int) -> list[tuple[int, float, str | None]]:
    """(id, second, label) of a recording's bookmarks, in time order."""
    with db.read() as s:
        q = select(Bookmark).where(Bookmark.recording_id == recording_id).order_by(Bookmark.at_s)
        return [(b.id, b.at_s, b.label) for b in s.scalars(q)]


def photos(db: Database, recording_id: int) -> list[tuple[int, float | None, str]]:
    """(id, second, path) of a recording's photos, in time order."""
    with db.read() as s:
        q = select(Photo).where(Photo.recording_id == recording_id).order_by(Photo.at_s)
        return [(p.id, p.at_s, p.path) for p in s.scalars(q)]
