"""Request and response bodies for /api/auth (*In / *Update / *Public families)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, EmailStr, Field

from sync_server.schemas import Input, Public, UtcDateTime

Role = Literal["student", "teacher"]


class UserPublic(Public):
    id: str
    email: str
    display_name: str
    role: str
    leaderboard_opt_in: bool
    created_at: UtcDateTime


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
