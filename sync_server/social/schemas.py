"""Request and response bodies for /api/social."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, EmailStr, Field

from sync_server.schemas import PersonPublic, Public, UtcDateTime, no_nul


def _no_nul(value: str) -> str:
    no_nul(value)  # the same rule as every other request body (sync_server.schemas.Input)
    return value


CleanStr = Annotated[str, AfterValidator(_no_nul)]

# --- connections ---

class ConnectionCreate(BaseModel):
    """Ask the account with this email to connect."""

    email: EmailStr


class ConnectionPublic(BaseModel):
    """A connection request or accepted connection, seen from the caller's side."""

    id: str
    status: str
    requester: PersonPublic
    addressee: PersonPublic
    other: PersonPublic  # the person on the other side from the caller
    created_at: UtcDateTime
    responded_at: UtcDateTime | None = None


class ConnectionsPublic(BaseModel):
    """Accepted connections and pending requests both ways."""

    connections: list[ConnectionPublic]
    incoming: list[ConnectionPublic]
    outgoing: list[ConnectionPublic]


# --- groups ---

class GroupCreate(BaseModel):
    """A new study group."""

    name: CleanStr = Field(min_length=1, max_length=200)
    description: CleanStr = Field(default="", max_length=4000)


class GroupUpdate(BaseModel):
    """Fields of a group to change."""

    name: CleanStr | None = Field(default=None, min_length=1, max_length=200)
    description: CleanStr | None = Field(default=None, max_length=4000)


class GroupJoin(BaseModel):
    """Join a group with its invite code."""

    invite_code: CleanStr = Field(min_length=1, max_length=32)


class OwnerTransfer(BaseModel):
    """The member who becomes the owner."""

    user_id: CleanStr = Field(min_length=1, max_length=36)


class MemberPublic(BaseModel):
    """A person in a group with their role."""

    id: str
    display_name: str
    role: str
    joined_at: UtcDateTime


class GroupPublic(BaseModel):
    """A study group as its members see it."""

    id: str
    name: str
    description: str
    owner_id: str
    invite_code: str
    my_role: str
    member_count: int
    created_at: UtcDateTime


class GroupDetailPublic(GroupPublic):
    """A group with its members."""

    members: list[MemberPublic]


# --- messages ---

class MessageCreate(BaseModel):
    """A message to post in a group."""

    body: CleanStr = Field(min_length=1, max_length=4000)


class MessagePublic(Public):
    """A message in a group."""

    id: int
    group_id: str
    author_id: str
    author_name: str = ""
    body: str
    created_at: UtcDateTime


class MessagePage(BaseModel):
    """A page of messages; next_before pages further back, next_after further forward (None: nothing more)."""

    items: list[MessagePublic]
    next_before: int | None = None
    next_after: int | None = None


# --- shares ---

class ShareCreate(BaseModel):
    """A note (markdown text, optional file) or a deck (a file such as .apkg)."""

    kind: Literal["note", "deck"]
    title: CleanStr = Field(min_length=1, max_length=200)
    text: CleanStr = Field(default="", max_length=1_000_000)
    file_name: CleanStr | None = Field(default=None, min_length=1, max_length=255)
    content_type: CleanStr | None = Field(default=None, max_length=120)
    content_base64: CleanStr | None = None  # size checked by the service: 413 beyond 20 MB


class SharePublic(BaseModel):
    """A note or deck shared to a group; file_* are set when it carries a file."""

    id: str
    group_id: str
    author_id: str
    author_name: str
    kind: str
    title: str
    text: str
    file_name: str | None = None
    file_size: int | None = None
    content_type: str | None = None
    created_at: UtcDateTime
