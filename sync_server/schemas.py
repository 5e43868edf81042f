"""What every feature's bodies share: Input/Public bases, UTC times, path ids, the envelope and its errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Generic, Literal, TypeVar

from fastapi import Path
from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema, model_validator

T = TypeVar("T")


def _utc_text(value: datetime) -> str:
    """RFC 3339 with a Z: the database keeps naive UTC, clients must not guess the zone."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat().replace("+00:00", "Z")


UtcDateTime = Annotated[datetime, PlainSerializer(_utc_text, return_type=str, when_used="json"),
                        WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization")]


MAX_DEPTH = 32  # no request body needs more nesting than this; deeper ones are refused with 422


def no_nul(value: object) -> None:
    """PostgreSQL text cannot hold NUL: refuse it everywhere so both databases answer the same 422.

    Walks with its own stack, not by recursion: a body nested almost as deeply as the JSON parser allows would
    overflow Python's recursion limit here (a 500) instead of being refused."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ValueError("text may not contain NUL characters")
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise ValueError(f"the body is nested more than {MAX_DEPTH} levels deep")
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))


# Ids in paths are uuids; anything else (NUL bytes, slashes, very long strings) is refused before any query.
PathId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class Input(BaseModel):
    """A request body: strings never carry NUL characters."""

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: object) -> object:
        no_nul(data)
        return data


class Public(BaseModel):
    """A response model read from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


class PersonPublic(Public):
    """What other people see of a user."""

    id: str
    display_name: str
    role: str


class Meta(BaseModel):
    timestamp: str
    request_id: str | None = None


class Envelope(BaseModel, Generic[T]):
    """The seed's success envelope around a response body."""

    success: Literal[True] = True
    data: T
    meta: Meta


class ErrorBody(BaseModel):
    code: str
    message: str
    details: object | None = None


class ErrorEnvelope(BaseModel):
    """The seed's error envelope."""

    success: Literal[False] = False
    error: ErrorBody
    meta: Meta


class Done(BaseModel):
    """A write that has nothing else to report."""

    done: bool = True


ERRORS = {status: {"model": ErrorEnvelope} for status in (400, 401, 403, 404, 409, 422, 429)}
