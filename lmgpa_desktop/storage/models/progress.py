"""Analytics, goals, gamification and notifications."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lmgpa_desktop.storage.base import Base, Syncable, utcnow


class StudySession(Syncable, Base):
    """A span of focused study (timer or detected from activity); idle time excluded."""

    __tablename__ = "study_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # focus, review, recording, test, reading, chat
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None] = mapped_column()
    active_seconds: Mapped[int] = mapped_column(Integer, default=0)


class Goal(Syncable, Base):
    """A target such as 30 study minutes a day or 200 cards a week."""

    __tablename__ = "goals"
    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(20))  # minutes, cards, tests
    period: Mapped[str] = mapped_column(String(10))  # daily, weekly
    target: Mapped[int] = mapped_column(Integer)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(default=True)


class PointEvent(Base):
    """Points earned by a learning action under a named rule."""

    __tablename__ = "point_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(40), index=True)
    points: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ref_id: Mapped[int | None] = mapped_column(Integer)


class AchievementUnlock(Base):
    """An achievement the student unlocked, and when."""

    __tablename__ = "achievement_unlocks"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    unlocked_at: Mapped[datetime] = mapped_column(default=utcnow)


class StreakFreeze(Base):
    """A streak freeze earned, and the day it was spent (if any)."""

    __tablename__ = "streak_freezes"
    id: Mapped[int] = mapped_column(primary_key=True)
    earned_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_on: Mapped[date | None] = mapped_column()


class Notification(Base):
    """An in-app notification (local reminder or pulled from the server)."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column()
    cleared_at: Mapped[datetime | None] = mapped_column()
    server_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    payload: Mapped[dict | None] = mapped_column(JSON)
