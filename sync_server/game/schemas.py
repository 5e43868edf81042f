"""Request and response bodies for /api/game."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from sync_server.schemas import UtcDateTime


class PointsIn(BaseModel):
    """The desktop's points total for one week (a Monday)."""

    week_start: date
    points: int = Field(ge=0, le=1_000_000)


class PointsPublic(BaseModel):
    """Stored points for one week."""

    week_start: date
    points: int
    updated_at: UtcDateTime


class LeaderRow(BaseModel):
    """One person's place on a leaderboard."""

    rank: int
    user_id: str
    display_name: str
    points: int
    me: bool


class LeaderboardPublic(BaseModel):
    """Opted-in people ranked by points for one week; opted_in says whether the caller appears."""

    scope: Literal["class", "connections"]
    class_id: str | None = None
    week_start: date
    opted_in: bool
    rows: list[LeaderRow]
