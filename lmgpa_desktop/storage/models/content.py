"""Captured material: classes, sources, pages, recordings, transcripts, photos, index chunks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lmgpa_desktop.storage.base import Base, Syncable, Timestamps, new_uuid


class Course(Syncable, Base):
    """A class the student takes (called "class" in the UI; `class` is a Python keyword)."""

    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(50))
    term: Mapped[str | None] = mapped_column(String(50))
    color: Mapped[str | None] = mapped_column(String(9))
    server_id: Mapped[str | None] = mapped_column(String(64))
    archived: Mapped[bool] = mapped_column(default=False)


class Tag(Base):
    """A free label on sources, notes and cards."""

    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class SourceTag(Base):
    """Many-to-many link between sources and tags."""

    __tablename__ = "source_tags"
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)


class Source(Syncable, Base):
    """One item in the library: a document, image, recording or imported audio/video."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # pdf, docx, pptx, md, txt, html, image, audio, video, recording
    title: Mapped[str] = mapped_column(String(500))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    original_path: Mapped[str | None] = mapped_column(Text)
    stored_path: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    mime: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="new")  # new, processing, ready, failed
    error: Mapped[str | None] = mapped_column(Text)
    page_count: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str | None] = mapped_column(String(16))
    pages: Mapped[list[DocumentPage]] = relationship(back_populates="source", cascade="all, delete-orphan")


class DocumentPage(Base):
    """Text of one page (or slide, or image) of a source, from its text layer or OCR."""

    __tablename__ = "document_pages"
    __table_args__ = (Index("ix_document_pages_source_page", "source_id", "page_no", unique=True),
                      Index("uq_document_pages_uuid", "uuid", unique=True))
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), default=new_uuid, nullable=True)  # sync identity (NULL: raw SQL)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    page_no: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(10), default="text")  # text, ocr
    ocr_confidence: Mapped[float | None] = mapped_column(Float)
    width: Mapped[float | None] = mapped_column(Float)
    height: Mapped[float | None] = mapped_column(Float)
    words: Mapped[list | None] = mapped_column(JSON)  # OCR word boxes [[x, y, w, h, text, conf], ...]
    source: Mapped[Source] = relationship(back_populates="pages")


class Recording(Timestamps, Base):
    """A lecture captured by the app's recorder; its audio lives in closed segment files."""

    __tablename__ = "recordings"
    __table_args__ = (Index("uq_recordings_uuid", "uuid", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), default=new_uuid, nullable=True)  # sync identity (NULL: raw SQL)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    directory: Mapped[str] = mapped_column(Text)
    device_name: Mapped[str | None] = mapped_column(String(200))
    sample_rate: Mapped[int] = mapped_column(Integer)
    channels: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(20), default="recording")  # recording, paused, stopped, recovered, failed
    started_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))  # host:pid:start of the writing process (crash check)


class RecordingSegment(Base):
    """One closed, fsynced audio file of a recording, in order."""

    __tablename__ = "recording_segments"
    __table_args__ = (Index("ix_recording_segments_rec_seq", "recording_id", "seq", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    start_s: Mapped[float] = mapped_column(Float)
    frames: Mapped[int] = mapped_column(Integer)


class Bookmark(Timestamps, Base):
    """A "mark this moment" point in a recording or audio source."""

    __tablename__ = "bookmarks"
    __table_args__ = (Index("uq_bookmarks_uuid", "uuid", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), default=new_uuid, nullable=True)  # sync identity (NULL: raw SQL)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    at_s: Mapped[float] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(300))


class Photo(Timestamps, Base):
    """A photo of the board or slides, optionally pinned to a second of a recording."""

    __tablename__ = "photos"
    __table_args__ = (Index("uq_photos_uuid", "uuid", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), default=new_uuid, nullable=True)  # sync identity (NULL: raw SQL)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    at_s: Mapped[float | None] = mapped_column(Float)
    path: Mapped[str] = mapped_column(Text)
    ocr_text: Mapped[str | None] = mapped_column(Text)


class Transcript(Timestamps, Base):
    """One transcription pass over an audio source (live or final)."""

    __tablename__ = "transcripts"
    __table_args__ = (Index("uq_transcripts_uuid", "uuid", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), default=new_uuid, nullable=True)  # sync identity (NULL: raw SQL)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="final")  # live, final
    model: Mapped[str] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(16))
    language_probability: Mapped[float | None] = mapped_column(Float)
    duration_s: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running, done, failed, cancelled
    segments: Mapped[list[TranscriptSegment]] = relationship(
        back_populates="transcript", cascade="all, delete-orphan", order_by="TranscriptSegment.idx"
    )


class TranscriptSegment(Base):
    """A timed segment of a transcript; a student's edit is kept apart from the model's text."""

    __tablename__ = "transcript_segments"
    __table_args__ = (Index("ix_transcript_segments_tr_idx", "transcript_id", "idx", unique=True),
                      Index("uq_transcript_segments_uuid", "uuid", unique=True))
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), default=new_uuid, nullable=True)  # sync identity (NULL: raw SQL)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id", ondelete="CASCADE"))
    idx: Mapped[int] = mapped_column(Integer)
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    edited_text: Mapped[str | None] = mapped_column(Text)
    avg_logprob: Mapped[float | None] = mapped_column(Float)
    no_speech_prob: Mapped[float | None] = mapped_column(Float)
    words: Mapped[list | None] = mapped_column(JSON)  # [[start, end, word, probability], ...]
    transcript: Mapped[Transcript] = relationship(back_populates="segments")


class Chunk(Base):
    """A passage of a source for search and grounding; keeps where it came from."""

    __tablename__ = "chunks"
    __table_args__ = (Index("ix_chunks_source_ord", "source_id", "ordinal", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    page_no: Mapped[int | None] = mapped_column(Integer)
    start_s: Mapped[float | None] = mapped_column(Float)
    end_s: Mapped[float | None] = mapped_column(Float)
    region: Mapped[list | None] = mapped_column(JSON)  # [x, y, w, h] on the page image
    embedded: Mapped[bool] = mapped_column(default=False, server_default=sa_false())  # has a vector in chunks_vec
