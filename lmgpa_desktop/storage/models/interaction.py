"""Chat conversations and the student's activity trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lmgpa_desktop.storage.base import Base, Syncable, new_uuid, utcnow


class Conversation(Syncable, Base):
    """A chat thread with the local model, with its retrieval scope."""

    __tablename__ = "conversations"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    scope: Mapped[dict | None] = mapped_column(JSON)  # {"source_id": n} | {"course_id": n} | None = everything


class ChatMessage(Base):
    """One message of a conversation; assistant messages carry their citations."""

    __tablename__ = "chat_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10))  # user, assistant, system
    content: Mapped[str] = mapped_column(Text)
    citations: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActivityEvent(Base):
    """Something the student did (recorded, reviewed, tested, read, chatted): feeds sessions and points."""

    __tablename__ = "activity_events"
    __table_args__ = (Index("uq_activity_events_uuid", "uuid", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), default=new_uuid, nullable=True)  # sync identity (NULL: raw SQL)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    ref_id: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Integer, default=1)
    details: Mapped[dict | None] = mapped_column(JSON)
