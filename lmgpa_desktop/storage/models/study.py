"""Study tools: notes, decks, cards, review logs, practice tests, questions, attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lmgpa_desktop.storage.base import Base, Syncable, new_uuid, utcnow


class Note(Syncable, Base):
    """A Markdown note, generated or written by the student."""

    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    body_md: Mapped[str] = mapped_column(Text, default="")
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    source_refs: Mapped[list | None] = mapped_column(JSON)  # [{"source_id", "page_no"|"start_s", ...}]
    status: Mapped[str] = mapped_column(String(10), default="active", server_default="active")  # pending, active


class Deck(Syncable, Base):
    """A named set of cards."""

    __tablename__ = "decks"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    new_per_day: Mapped[int] = mapped_column(Integer, default=20)
    anki_deck_id: Mapped[int | None] = mapped_column(Integer)
    media_dir: Mapped[str | None] = mapped_column(Text)  # images and sounds of imported Anki notes


class Card(Syncable, Base):
    """A flashcard with its FSRS scheduling state and a link to its source passage."""

    __tablename__ = "cards"
    __table_args__ = (Index("ix_cards_deck_due", "deck_id", "due"), Index("ix_cards_status_due", "status", "due"),
                      Index("ix_cards_updated_at", "updated_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    deck_id: Mapped[int] = mapped_column(ForeignKey("decks.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default="basic")  # basic, cloze
    front: Mapped[str] = mapped_column(Text)
    back: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(Text, default="")  # space-separated, like Anki
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    source_page: Mapped[int | None] = mapped_column(Integer)
    source_start_s: Mapped[float | None] = mapped_column(Float)
    source_end_s: Mapped[float | None] = mapped_column(Float)
    anki_guid: Mapped[str | None] = mapped_column(String(64), index=True)
    anki_model: Mapped[str | None] = mapped_column(String(200))  # note type of an imported Anki note
    anki_fields: Mapped[list | None] = mapped_column(JSON)  # [[field name, value], ...] as in Anki
    anki_ord: Mapped[int | None] = mapped_column(Integer)  # which card of the note (template ordinal)
    suspended: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default="active", server_default="active")  # pending, active
    source_quote: Mapped[str | None] = mapped_column(Text)  # the passage that supports the card
    # FSRS state (see the fsrs package's Card): state 0=new, 1=learning, 2=review, 3=relearning
    state: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[int | None] = mapped_column(Integer)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[datetime] = mapped_column(default=utcnow)
    last_review: Mapped[datetime | None] = mapped_column()
    # The FSRS state a card started from when it did not start new (an Anki import); synced, and replay of the
    # review log starts from it: {"state","step","stability","difficulty","due","last_review","at"} (iso times).
    sched_base: Mapped[dict | None] = mapped_column(JSON)


class ReviewLog(Base):
    """One answer to a card; append-only (a trigger forbids update and delete)."""

    __tablename__ = "review_logs"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="NO ACTION"), index=True)
    rating: Mapped[int] = mapped_column(Integer)  # 1 Again, 2 Hard, 3 Good, 4 Easy
    reviewed_at: Mapped[datetime] = mapped_column(index=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    state_before: Mapped[int | None] = mapped_column(Integer)
    stability_after: Mapped[float | None] = mapped_column(Float)
    difficulty_after: Mapped[float | None] = mapped_column(Float)
    due_after: Mapped[datetime | None] = mapped_column()


class PracticeTest(Syncable, Base):
    """A generated or hand-made practice test."""

    __tablename__ = "practice_tests"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    source_ids: Mapped[list | None] = mapped_column(JSON)
    time_limit_s: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="ready", server_default="ready")  # draft, ready


class Question(Syncable, Base):
    """A practice-test question with its answer key and source."""

    __tablename__ = "questions"
    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("practice_tests.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(10))  # mcq, tf, short
    prompt: Mapped[str] = mapped_column(Text)
    choices: Mapped[list | None] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    source_page: Mapped[int | None] = mapped_column(Integer)
    source_start_s: Mapped[float | None] = mapped_column(Float)
    source_end_s: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10), default="active", server_default="active")  # pending, active
    source_quote: Mapped[str | None] = mapped_column(Text)


class TestAttempt(Syncable, Base):
    """One sitting of a practice test."""

    __tablename__ = "test_attempts"
    __test__ = False  # not a pytest test class
    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("practice_tests.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)


class AttemptAnswer(Base):
    """The student's answer to one question in an attempt, with its grade and reason."""

    __tablename__ = "attempt_answers"
    __table_args__ = (Index("uq_attempt_answers_uuid", "uuid", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), default=new_uuid, nullable=True)  # sync identity (NULL: raw SQL)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("test_attempts.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    response: Mapped[str] = mapped_column(Text, default="")
    correct: Mapped[bool | None] = mapped_column()
    score: Mapped[float | None] = mapped_column(Float)
    graded_by: Mapped[str | None] = mapped_column(String(10))  # exact, fuzzy, meaning, model, student (llm: before)
    reason: Mapped[str | None] = mapped_column(Text)
