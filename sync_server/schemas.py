"""Request and response bodies (*Create / *Update / *Public families)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

Role = Literal["student", "teacher"]
T = TypeVar("T")


def _utc_text(value: datetime) -> str:
    """RFC 3339 with a Z: the database keeps naive UTC, clients must not guess the zone."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat().replace("+00:00", "Z")


UtcDateTime = Annotated[datetime, PlainSerializer(_utc_text, return_type=str, when_used="json"),
                        WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization")]


def no_nul(value: object) -> None:
    """PostgreSQL text cannot hold NUL: refuse it everywhere so both databases answer the same 422."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not contain NUL characters")
    elif isinstance(value, dict):
        for item in value.values():
            no_nul(item)
    elif isinstance(value, list):
        for item in value:
            no_nul(item)


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


class UserPublic(Public):
    id: str
    email: str
    display_name: str
    role: str
    leaderboard_opt_in: bool
    created_at: UtcDateTime


class PersonPublic(Public):
    """What other people see of a user."""

    id: str
    display_name: str
    role: str


class RegisterIn(Input):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1024)
    display_name: str = Field(min_length=1, max_length=120)
    role: Role = "student"
    device_name: str = Field(default="", max_length=120)


class LoginIn(Input):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1024)
    device_name: str = Field(default="", max_length=120)


class RefreshIn(Input):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokensPublic(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    session_id: str
    user: UserPublic


class PasswordChangeIn(Input):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class ResetRequestIn(Input):
    email: EmailStr


class ResetConfirmIn(Input):
    token: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=1024)


class ProfileUpdate(Input):
    display_name: str | None = Field(default=None, min_length=1, max_length=120)
    leaderboard_opt_in: bool | None = None


class RoleUpdate(Input):
    role: Literal["student", "teacher", "admin"]


class SessionPublic(Public):
    id: str
    device_name: str
    user_agent: str
    created_at: UtcDateTime
    last_used_at: UtcDateTime
    current: bool = False


class WeekPointsIn(Input):
    week_start: date
    points: int = Field(ge=0, le=1_000_000)


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
