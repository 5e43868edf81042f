"""Request and response bodies (*Create / *Update / *Public families)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, EmailStr, Field

Role = Literal["student", "teacher"]
T = TypeVar("T")


class Public(BaseModel):
    """A response model read from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


class UserPublic(Public):
    id: str
    email: str
    display_name: str
    role: str
    leaderboard_opt_in: bool
    created_at: datetime


class PersonPublic(Public):
    """What other people see of a user."""

    id: str
    display_name: str
    role: str


class RegisterIn(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1024)
    display_name: str = Field(min_length=1, max_length=120)
    role: Role = "student"
    device_name: str = Field(default="", max_length=120)


class LoginIn(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1024)
    device_name: str = Field(default="", max_length=120)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokensPublic(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    session_id: str
    user: UserPublic


class PasswordChangeIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class ResetRequestIn(BaseModel):
    email: EmailStr


class ResetConfirmIn(BaseModel):
    token: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=1024)


class ProfileUpdate(BaseModel):
    display_name: str | None = Field(default=None, min_length=1, max_length=120)
    leaderboard_opt_in: bool | None = None


class RoleUpdate(BaseModel):
    role: Literal["student", "teacher", "admin"]


class SessionPublic(Public):
    id: str
    device_name: str
    user_agent: str
    created_at: datetime
    last_used_at: datetime
    current: bool = False


class WeekPointsIn(BaseModel):
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
