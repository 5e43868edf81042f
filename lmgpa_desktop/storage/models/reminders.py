"""Deadlines, the reminder log and apscheduler's job table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, LargeBinary, String, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from lmgpa_desktop.storage.base import Base, Syncable, utcnow


class Deadline(Syncable, Base):
    """An assignment or exam date (local today; the sync server adds class assignments later)."""

    __tablename__ = "deadlines"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="assignment")  # assignment, exam
    due_at: Mapped[datetime] = mapped_column(index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    done: Mapped[bool] = mapped_column(default=False)
    server_id: Mapped[str | None] = mapped_column(String(64), unique=True)


class ReminderLog(Base):
    """What was decided for one reminder slot, so a restart never repeats it."""

    __tablename__ = "reminder_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # e.g. cards_due:2026-11-27
    kind: Mapped[str] = mapped_column(String(30))
    slot_at: Mapped[datetime] = mapped_column()
    decided_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # delivered, off, not_needed, capped, superseded
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"))


class SchedulerJob(Base):
    """apscheduler's SQLAlchemyJobStore table, declared here so migrations own its schema."""

    __tablename__ = "apscheduler_jobs"
    # Same columns as apscheduler 3.x creates; its own create(checkfirst=True) then finds the table ready.
    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)
