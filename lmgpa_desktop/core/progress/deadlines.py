"""Assignment and exam dates kept on this computer (the sync server will add class assignments later)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.storage import deadlines_repo, library_repo
from lmgpa_desktop.storage.deadlines_repo import DeadlineRow

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

__all__ = ["KINDS", "DeadlineRow", "add", "delete", "get", "listing", "parse_due", "set_done", "upcoming"]

KINDS = ("assignment", "exam")


def parse_due(text: str, tz: tzinfo | None = None) -> datetime:
    """An ISO date or date-time; a bare date means the end of that day, times without a zone are local."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise UserError(f"{text!r} is not a date; use e.g. 2026-12-03 or 2026-12-03T14:00") from exc
    if len(text.strip()) <= 10:  # date only: due by the end of the day
        value = value.replace(hour=23, minute=59)
    if value.tzinfo is None:
        from lmgpa_desktop.core.progress.notifications import local_tz

        value = value.replace(tzinfo=local_tz(tz))
    return value.astimezone(UTC)


def add(ctx: AppContext, title: str, due_at: datetime, kind: str = "assignment", course: str | None = None,
        now: datetime | None = None) -> DeadlineRow:
    """Add an assignment or exam date (the class is created when new)."""
    title = title.strip()
    if not title:
        raise UserError("a deadline needs a title")
    if kind not in KINDS:
        raise UserError(f"kind must be one of {', '.join(KINDS)}")
    if due_at.tzinfo is None:
        raise UserError("the due time needs a time zone")
    course_id = library_repo.course_named(ctx.db, course.strip()).id if course and course.strip() else None
    new_id = deadlines_repo.add(ctx.db, title, kind, due_at, course_id, created_at=now)
    return deadlines_repo.get(ctx.db, new_id)


def get(ctx: AppContext, deadline_id: int) -> DeadlineRow:
    """One deadline, or a clear error."""
    found = deadlines_repo.get(ctx.db, deadline_id)
    if found is None:
        raise UserError(f"there is no deadline {deadline_id}")
    return found


def set_done(ctx: AppContext, deadline_id: int, done: bool = True) -> DeadlineRow:
    """Mark a deadline done (its reminders stop) or open again."""
    if not deadlines_repo.set_done(ctx.db, deadline_id, done):
        raise UserError(f"there is no deadline {deadline_id}")
    return deadlines_repo.get(ctx.db, deadline_id)


def delete(ctx: AppContext, deadline_id: int) -> None:
    """Remove a deadline."""
    if not deadlines_repo.delete(ctx.db, deadline_id):
        raise UserError(f"there is no deadline {deadline_id}")


def listing(ctx: AppContext, include_done: bool = True) -> list[DeadlineRow]:
    """Every deadline, soonest first."""
    return deadlines_repo.listing(ctx.db, include_done=include_done)


def upcoming(ctx: AppContext, now: datetime | None = None, until: datetime | None = None) -> list[DeadlineRow]:
    """Open deadlines not yet due, soonest first (the home view and reminders read these)."""
    return deadlines_repo.listing(ctx.db, since=now or datetime.now(UTC), until=until, include_done=False)
