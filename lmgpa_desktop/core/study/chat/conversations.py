"""Chat conversations: stored questions and answers with their citations, titles and where each looks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.library.search import Scope
from lmgpa_desktop.storage import chat_repo, library_repo, sources_repo
from lmgpa_desktop.storage.chat_repo import ConversationRow

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

DEFAULT_TITLE = "New chat"


@dataclass(frozen=True)
class Citation:
    """A numbered reference in an answer and where it opens."""

    number: int
    source_id: int
    source_title: str
    location: str
    page_no: int | None
    start_s: float | None
    end_s: float | None
    region: list | None
    chunk_id: int
    snippet: str

    def to_dict(self) -> dict:
        """JSON form stored with the message."""
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict) -> Citation:
        """Back from the stored JSON form (text fields missing from older or synced rows become empty)."""
        values = {k: data.get(k) for k in cls.__dataclass_fields__}
        for key in ("source_title", "location", "snippet"):
            values[key] = str(values[key] or "")
        return cls(**values)


@dataclass(frozen=True)
class Message:
    """A chat message as plain data."""

    id: int | None
    conversation_id: int | None
    role: str
    content: str
    citations: list[Citation] = field(default_factory=list)
    created_at: datetime | None = None

    @property
    def grounded(self) -> bool:
        """An answer that rests on cited passages."""
        return bool(self.citations)


def scope_to_dict(scope: Scope | None) -> dict | None:
    """The stored form of a scope."""
    if scope is None or (scope.source_id is None and scope.course_id is None):
        return None
    return {"source_id": scope.source_id} if scope.source_id is not None else {"course_id": scope.course_id}


def scope_of(conversation: ConversationRow) -> Scope:
    """The retrieval scope a conversation uses."""
    data = conversation.scope or {}
    return Scope(source_id=data.get("source_id"), course_id=data.get("course_id"))


def scope_label(ctx: AppContext, scope: Scope | None) -> str:
    """Where a scope looks, in words: "your library", "the class Biology", "“Lecture 3”"."""
    if scope is not None and scope.source_id is not None:
        src = sources_repo.get(ctx.db, scope.source_id)
        return f"“{src.title}”" if src else "that source"
    if scope is not None and scope.course_id is not None:
        names = {c.id: c.name for c in library_repo.courses(ctx.db)}
        return f"the class {names[scope.course_id]}" if scope.course_id in names else "that class"
    return "your library"


def new_conversation(ctx: AppContext, scope: Scope | None = None, title: str = DEFAULT_TITLE) -> ConversationRow:
    """Start an empty conversation."""
    return chat_repo.create_conversation(ctx.db, title, scope_to_dict(scope))


def conversations(ctx: AppContext) -> list[ConversationRow]:
    """Conversations, most recently active first."""
    return chat_repo.conversations(ctx.db)


def conversation(ctx: AppContext, conversation_id: int) -> ConversationRow:
    """One conversation; UserError when it is gone."""
    row = chat_repo.get_conversation(ctx.db, conversation_id)
    if row is None:
        raise UserError(f"conversation {conversation_id} does not exist (it may have been deleted)")
    return row


def rename(ctx: AppContext, conversation_id: int, title: str) -> ConversationRow:
    """Give a conversation a new title."""
    title = " ".join(title.split())[:300]
    if not title:
        raise UserError("a conversation needs a title")
    return chat_repo.update_conversation(ctx.db, conversation(ctx, conversation_id).id, title=title)


def set_scope(ctx: AppContext, conversation_id: int, scope: Scope | None) -> ConversationRow:
    """Where this conversation looks for answers."""
    return chat_repo.update_conversation(ctx.db, conversation(ctx, conversation_id).id, scope=scope_to_dict(scope))


def delete(ctx: AppContext, conversation_id: int) -> None:
    """Delete a conversation and its messages."""
    chat_repo.delete_conversation(ctx.db, conversation_id)


def messages(ctx: AppContext, conversation_id: int) -> list[Message]:
    """A conversation's messages, oldest first."""
    return [_message(m) for m in chat_repo.messages(ctx.db, conversation_id)]


def _message(row) -> Message:
    return Message(row.id, row.conversation_id, row.role, row.content,
                   [Citation.from_dict(c) for c in row.citations or []], row.created_at)


def store_answer(ctx: AppContext, conversation_id: int | None, content: str, cites: list[Citation]) -> Message:
    """The assistant's answer as a message, kept in its conversation (when there is one)."""
    if conversation_id is None:
        return Message(None, None, "assistant", content, cites)
    row = chat_repo.add_message(ctx.db, conversation_id, "assistant", content, [c.to_dict() for c in cites])
    return _message(row)


def title_from(question: str) -> str:
    """A conversation's title from its first question."""
    words = " ".join(question.split())
    return words if len(words) <= 60 else words[:59].rsplit(" ", 1)[0] + "…"
