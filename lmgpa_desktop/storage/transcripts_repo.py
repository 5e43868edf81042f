"""Transcripts, their timed segments and words, bookmarks and photos of a recording."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, func, select

from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Bookmark, Photo, Transcript, TranscriptSegment


@dataclass(frozen=True)
class SegmentRow:
    """A segment as plain data; `shown` is the student's edit if any, else the model's text."""

    id: int
    idx: int
    start: float
    end: float
    text: str
    edited_text: str | None
    words: list = field(default_factory=list)  # [[start, end, word, probability], ...]

    @property
    def shown(self) -> str:
        """The text to display and export."""
        return self.edited_text if self.edited_text is not None else self.text


@dataclass(frozen=True)
class TranscriptRow:
    """A transcript with its segments."""

    id: int
    source_id: int
    kind: str
    model: str
    language: str | None
    duration_s: float | None
    status: str
    segments: list[SegmentRow]


def start(db: Database, source_id: int, kind: str, model: str, language: str | None) -> int:
    """Begin a transcript (running)."""
    with db.write() as s:
        t = Transcript(source_id=source_id, kind=kind, model=model, language=language, status="running")
        s.add(t)
        s.flush()
        return t.id


def add_segment(db: Database, transcript_id: int, start_s: float, end_s: float, text: str,
                words: list | None, avg_logprob: float | None, no_speech_prob: float | None) -> int:
    """Append one segment (committed at once, so a crash loses no finished segment)."""
    with db.write() as s:
        idx = s.scalar(select(func.coalesce(func.max(TranscriptSegment.idx) + 1, 0))
                       .where(TranscriptSegment.transcript_id == transcript_id))
        seg = TranscriptSegment(transcript_id=transcript_id, idx=idx, start_s=start_s, end_s=end_s, text=text,
                                words=words, avg_logprob=avg_logprob, no_speech_prob=no_speech_prob)
        s.add(seg)
        s.flush()
        return seg.id


def last_end(db: Database, transcript_id: int) -> float:
    """End second of the last committed segment (0 when none): where a resumed run continues."""
    with db.read() as s:
        return float(s.scalar(select(func.coalesce(func.max(TranscriptSegment.end_s), 0.0))
                              .where(TranscriptSegment.transcript_id == transcript_id)))


def update_info(db: Database, transcript_id: int, **fields) -> None:
    """Set language, duration or status of a transcript."""
    with db.write() as s:
        t = s.get(Transcript, transcript_id)
        for key, value in fields.items():
            setattr(t, key, value)


def drop_other(db: Database, source_id: int, keep_id: int, kinds: tuple[str, ...]) -> None:
    """Delete the source's other transcripts of these kinds (a final pass replaces the live text)."""
    with db.write() as s:
        s.execute(delete(Transcript).where(Transcript.source_id == source_id, Transcript.id != keep_id,
                                           Transcript.kind.in_(kinds)))


def _row(t: Transcript) -> TranscriptRow:
    segs = [SegmentRow(x.id, x.idx, x.start_s, x.end_s, x.text, x.edited_text, list(x.words or []))
            for x in t.segments]
    return TranscriptRow(t.id, t.source_id, t.kind, t.model, t.language, t.duration_s, t.status, segs)


def get(db: Database, transcript_id: int) -> TranscriptRow | None:
    """One transcript with segments."""
    with db.read() as s:
        t = s.get(Transcript, transcript_id)
        return _row(t) if t else None


def latest(db: Database, source_id: int, kinds: tuple[str, ...] = ("final",),
           statuses: tuple[str, ...] = ("done", "running", "cancelled")) -> TranscriptRow | None:
    """The newest transcript of a source (a running or stopped one shows the text it has so far)."""
    with db.read() as s:
        q = (select(Transcript).where(Transcript.source_id == source_id, Transcript.kind.in_(kinds),
                                      Transcript.status.in_(statuses)).order_by(Transcript.id.desc()))
        t = s.scalars(q).first()
        return _row(t) if t else None


def segments_after(db: Database, transcript_id: int, after_idx: int) -> list[SegmentRow]:
    """Segments with idx > after_idx (to follow a transcript as it grows)."""
    with db.read() as s:
        q = (select(TranscriptSegment).where(TranscriptSegment.transcript_id == transcript_id,
                                             TranscriptSegment.idx > after_idx).order_by(TranscriptSegment.idx))
        return [SegmentRow(x.id, x.idx, x.start_s, x.end_s, x.text, x.edited_text, list(x.words or []))
                for x in s.scalars(q)]


def latest_id(db: Database, source_id: int, kinds: tuple[str, ...] = ("final",),
              statuses: tuple[str, ...] = ("done", "running", "cancelled")) -> int | None:
    """Id of the transcript `latest` would read, without reading its segments."""
    with db.read() as s:
        return s.scalar(select(Transcript.id).where(Transcript.source_id == source_id, Transcript.kind.in_(kinds),
                                                    Transcript.status.in_(statuses))
                        .order_by(Transcript.id.desc()).limit(1))


def segments_between(db: Database, transcript_id: int, start_s: float, end_s: float) -> list[SegmentRow]:
    """Segments that lie within start_s..end_s (a passage's time range, a few ms either side), in order."""
    with db.read() as s:
        q = (select(TranscriptSegment).where(TranscriptSegment.transcript_id == transcript_id,
                                             TranscriptSegment.start_s >= start_s - 0.01,
                                             TranscriptSegment.end_s <= end_s + 0.01)
             .order_by(TranscriptSegment.idx))
        return [SegmentRow(x.id, x.idx, x.start_s, x.end_s, x.text, x.edited_text, list(x.words or []))
                for x in s.scalars(q)]


def set_edit(db: Database, segment_id: int, text: str | None) -> int:
    """Store the student's edit of a segment (None reverts to the model's text); returns the source id."""
    with db.write() as s:
        seg = s.get(TranscriptSegment, segment_id)
        seg.edited_text = text
        return seg.transcript.source_id


def add_bookmark(db: Database, source_id: int | None, recording_id: int | None, at_s: float,
                 label: str | None) -> int:
    """Mark a moment."""
    with db.write() as s:
        b = Bookmark(source_id=source_id, recording_id=recording_id, at_s=at_s, label=label)
        s.add(b)
        s.flush()
        return b.id


def bookmarks(db: Database, source_id: int) -> list[tuple[int, float, str | None]]:
    """(id, second, label) of a source's bookmarks, in time order."""
    with db.read() as s:
        q = select(Bookmark).where(Bookmark.source_id == source_id).order_by(Bookmark.at_s)
        return [(b.id, b.at_s, b.label) for b in s.scalars(q)]


def add_photo(db: Database, source_id: int | None, recording_id: int | None, at_s: float | None, path: str) -> int:
    """Attach a photo at a second."""
    with db.write() as s:
        p = Photo(source_id=source_id, recording_id=recording_id, at_s=at_s, path=path)
        s.add(p)
        s.flush()
        return p.id


def photos(db: Database, source_id: int) -> list[tuple[int, float | None, str]]:
    """(id, second, path) of a source's photos, in time order."""
    with db.read() as s:
        q = select(Photo).where(Photo.source_id == source_id).order_by(Photo.at_s)
        return [(p.id, p.at_s, p.path) for p in s.scalars(q)]
