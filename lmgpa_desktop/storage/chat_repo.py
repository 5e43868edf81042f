"""Chat conversations and their messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select

from lmgpa_desktop.storage.base import new_uuid, utcnow
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import ChatMessage, Conversation


@dataclass(frozen=True)
class ConversationRow:
    """A conversation as plain data; scope is {"source_id": n}, {"course_id": n} or None (everything)."""

    id: int
    uuid: str
    title: str
    scope: dict | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class MessageRow:
    """A message as plain data; citations are the JSON dicts stored with an assistant message."""

    id: int
    conversation_id: int
    role: str
    content: str
    citations: list[dict] = field(default_factory=list)
    created_at: datetime | None = None


def _conversation(c: Conversation) -> ConversationRow:
    return ConversationRow(c.id, c.uuid, c.title, c.scope, c.created_at, c.updated_at)


def _message(m: ChatMessage) -> MessageRow:
    return MessageRow(m.id, m.conversation_id, m.role, m.content, list(m.citations or []), m.created_at)


def create_conversation(db: Database, title: str, scope: dict | None = None) -> ConversationRow:
    """Start a conversation."""
    with db.write() as s:
        c = Conversation(title=title, scope=scope)
        s.add(c)
        s.flush()
        return _conversation(c)


def conversations(db: Database) -> list[ConversationRow]:
    """Live conversations, most recently active first."""
    with db.read() as s:
        q = (select(Conversation).where(Conversation.deleted_at.is_(None))
             .order_by(Conversation.updated_at.desc(), Conversation.id.desc()))
        return [_conversation(c) for c in s.scalars(q)]


def get_conversation(db: Database, conversation_id: int) -> ConversationRow | None:
    """One live conversation, or None."""
    with db.read() as s:
        c = s.get(Conversation, conversation_id)
        return _conversation(c) if c is not None and c.deleted_at is None else None


def update_conversation(db: Database, conversation_id: int, **fields) -> ConversationRow:
    """Change the title or scope of a conversation."""
    with db.write() as s:
        c = s.get(Conversation, conversation_id)
        if c is None or c.deleted_at is not None:
            raise KeyError(conversation_id)
        for key, value in fields.items():
            setattr(c, key, value)
        c.updated_at = utcnow()
        s.flush()
        return _conversation(c)


def delete_conversation(db: Database, conversation_id: int) -> None:
    """Remove a conversation's messages and leave a tombstone (so the deletion can sync)."""
    with db.write() as s:
        c = s.get(Conversation, conversation_id)
        if c is None:
            return
        s.execute(delete(ChatMessage).where(ChatMessage.conversation_id == conversation_id))
        c.deleted_at = utcnow()


def add_message(db: Database, conversation_id: int, role: str, content: str,
                citations: list[dict] | None = None) -> MessageRow:
    """Append a message; the conversation becomes the most recently active."""
    with db.write() as s:
        c = s.get(Conversation, conversation_id)
        if c is None or c.deleted_at is not None:
            raise KeyError(conversation_id)
        m = ChatMessage(uuid=new_uuid(), conversation_id=conversation_id, role=role, content=content,
                        citations=citations)
        s.add(m)
        c.updated_at = utcnow()
        s.flush()
        return _message(m)


def messages(db: Database, conversation_id: int) -> list[MessageRow]:
    """A conversation's messages, oldest first."""
    with db.read() as s:
        q = (select(ChatMessage).where(ChatMessage.conversation_id == conversation_id)
             .order_by(ChatMessage.id))
        return [_message(m) for m in s.scalars(q)]


def delete_last_assistant(db: Database, conversation_id: int) -> MessageRow | None:
    """Remove the last message when it is the assistant's (to answer again); returns what was removed."""
    with db.write() as s:
        last = s.scalars(select(ChatMessage).where(ChatMessage.conversation_id == conversation_id)
                         .order_by(ChatMessage.id.desc()).limit(1)).first()
        if last is None or last.role != "assistant":
            return None
        gone = _message(last)
        s.delete(last)
        return gone
