"""Study sessions detected from activity events: idle gaps split sessions and are never counted."""

# Every activity event covers a span of time: recordings, focus periods and reading carry their own
# length (amount seconds, ending at the event); a practice test runs from its start to its finish; any
# other action (a review, a chat question, a note) covers what it measured (a review's duration_ms) or a
# small allowance before it. Spans closer than IDLE_GAP join one session and the time between them counts
# (the student was looking at the next card); a longer gap is idle and starts a new session.
# An event that arrives in order extends its session from remembered totals; any other (a recording saved
# an hour after it began, an event between two sessions) rebuilds its neighbourhood from the stored
# events, so late or out-of-order events merge correctly.

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop.core import activity
from lmgpa_desktop.storage import activity_repo, progress_repo
from lmgpa_desktop.storage.activity_repo import ActivityRecord
from lmgpa_desktop.storage.progress_repo import SessionDraft, SessionRow

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

__all__ = [
    "IDLE_GAP",
    "SessionRow",
    "between",
    "build",
    "day_bounds",
    "local_tz",
    "minutes_by_day",
    "on_event",
    "rebuild",
    "record_reading",
]

IDLE_GAP = timedelta(minutes=5)
ALLOWANCE = timedelta(seconds=30)  # an action without a measured duration took about this long
MAX_ACTION = timedelta(minutes=2)  # a longer measured review means the student walked away mid-card
MAX_TEST = timedelta(hours=3)  # an attempt left open for days is not days of study
KINDS = ("review", "recording", "test", "reading", "chat", "focus")
# What kind of study each activity is; writing notes and vetting generated items are work on material.
SESSION_KIND = {"review": "review", "review_undo": "review", "test": "test", "recording": "recording",
                "chat": "chat", "note": "reading", "accept": "reading", "import": "reading",
                "reading": "reading", "focus": "focus"}


# -- time zones and days ------------------------------------------------------------------------------------------
def local_tz() -> tzinfo:
    """The computer's time zone, with its daylight-saving rules when they can be found."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            link = Path("/etc/localtime").resolve()
            name = str(link).split("zoneinfo/", 1)[1] if "zoneinfo/" in str(link) else ""
        except OSError:
            name = ""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return datetime.now().astimezone().tzinfo  # a fixed offset: right today, maybe not across DST


def day_bounds(day: date, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, in UTC (23 or 25 hours on DST change days)."""
    tz = tz or local_tz()
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def day_list(start: date, end: date, tz: tzinfo | None = None) -> list[tuple[str, datetime, datetime]]:
    """Every local day in [start, end] as (iso key, utc start, utc end)."""
    tz = tz or local_tz()
    out, day = [], start
    while day <= end:
        a, b = day_bounds(day, tz)
        out.append((day.isoformat(), a, b))
        day += timedelta(days=1)
    return out


def offset_steps(start: datetime, end: datetime, tz: tzinfo | None = None) -> list[tuple[datetime | None, int]]:
    """The zone's UTC offset (seconds) at start and at each change before end: [(None, s), (instant, s)...]."""
    tz = tz or local_tz()

    def offset(at: datetime) -> int:
        return int(at.astimezone(tz).utcoffset().total_seconds())

    steps: list[tuple[datetime | None, int]] = [(None, offset(start))]
    day = start
    while day < end:
        nxt = min(day + timedelta(days=1), end)
        if offset(nxt) != steps[-1][1]:
            at = day  # changes fall on a quarter hour somewhere in this day
            while offset(at) == steps[-1][1]:
                at += timedelta(minutes=15)
            steps.append((at, offset(at)))
        day = nxt
    return steps


# -- public reads -------------------------------------------------------------------------------------------------
def minutes_by_day(ctx: AppContext, start: date, end: date, course_id: int | None = None, tz=None) -> dict[date, float]:
    """Study minutes per local calendar day in [start, end] (missing days 0); sessions over midnight are split."""
    days = day_list(start, end, tz)
    result = {date.fromisoformat(k): 0.0 for k, _, _ in days}
    for key, seconds in progress_repo.seconds_by_day(ctx.db, days, course_id):
        result[date.fromisoformat(key)] = float(seconds or 0) / 60.0
    return result


def between(ctx: AppContext, start: datetime, end: datetime) -> list[SessionRow]:
    """Sessions overlapping [start, end), in time order."""
    return progress_repo.sessions_between(ctx.db, start, end)


def record_reading(ctx: AppContext, source_id: int | None, seconds: float, course_id: int | None = None,
                   now: datetime | None = None) -> None:
    """Time spent reading a source or note (viewers call this when the student leaves it)."""
    if seconds >= 1:
        activity.record(ctx, "reading", course_id=course_id, ref_id=source_id, amount=round(seconds), at=now)


# -- building sessions --------------------------------------------------------------------------------------------
def span(event: ActivityRecord) -> tuple[datetime, datetime]:
    """The stretch of time an event stands for."""
    end, details = event.at, event.details or {}
    if event.kind in ("recording", "focus", "reading"):
        return end - timedelta(seconds=max(0, event.amount)), end
    if event.kind == "test" and details.get("started_at"):
        started = datetime.fromisoformat(details["started_at"])
        started = started if started.tzinfo else started.replace(tzinfo=UTC)
        return max(min(started, end), end - MAX_TEST), end
    measured = details.get("duration_ms")
    if event.kind == "review" and measured:
        return end - min(MAX_ACTION, timedelta(milliseconds=max(1000, int(measured)))), end
    return end - ALLOWANCE, end


def _dominant(counter: Counter, order=KINDS):
    best = max(counter.values(), default=0)
    for key in order:
        if counter.get(key) == best and best > 0:
            return key
    return None


def _group(events: list[ActivityRecord]) -> list[dict]:
    """Spans in start order, joined while the gap between them is at most IDLE_GAP; per-kind and per-class time."""
    pieces = sorted(((*span(e), e) for e in events if e.kind in SESSION_KIND), key=lambda p: (p[0], p[1]))
    groups: list[dict] = []
    cur = None
    for start, end, event in pieces:
        if cur is None or start - cur["end"] > IDLE_GAP:
            cur = {"start": start, "end": start, "last_start": start, "kinds": Counter(), "courses": Counter()}
            groups.append(cur)
        _add(cur, start, end, event)
    return groups


def _add(cur: dict, start: datetime, end: datetime, event: ActivityRecord) -> None:
    # the gap before this span, and the part of it not already covered, belong to this action
    added = (max(end, cur["end"]) - cur["end"]).total_seconds()
    cur["end"] = max(cur["end"], end)
    cur["last_start"] = max(cur["last_start"], start)
    cur["kinds"][SESSION_KIND[event.kind]] += added
    if event.course_id is not None:
        cur["courses"][event.course_id] += added or 1  # a known class wins over none even at zero length


def build(events: list[ActivityRecord]) -> list[SessionDraft]:
    """Sessions from events (any order): spans within IDLE_GAP join, and the time between them counts."""
    return [_close(g) for g in _group(events)]


def _close(cur: dict) -> SessionDraft:
    kinds = cur["kinds"]
    kind = _dominant(kinds) or "review"
    course = max(cur["courses"], key=lambda c: (cur["courses"][c], -c)) if cur["courses"] else None
    return SessionDraft(kind, course, cur["start"], cur["end"], round(sum(kinds.values())))


# Per-kind time of recent sessions (ctx.recent_sessions, by session id), so the next event in order extends
# its session without re-reading every event of it (a 600-card review session would otherwise read 600 events
# per answer).


def _sig(row: SessionRow) -> tuple:
    return row.started_at, row.ended_at, row.active_seconds, row.kind, row.course_id


def _remember(ctx: AppContext, rows: list[SessionRow], groups: list[dict]) -> None:
    recent = ctx.recent_sessions
    if len(recent) > 64:
        recent.clear()
    for row, group in zip(rows, groups, strict=True):
        recent[row.id] = {**group, "sig": _sig(row)}


def on_event(ctx: AppContext, event: ActivityRecord) -> None:
    """Fold a new event into the sessions around it (the activity listener core/profile.py subscribes)."""
    if event.kind not in SESSION_KIND:
        return
    start, end = span(event)
    olds = progress_repo.sessions_touching(ctx.db, start - IDLE_GAP, end + IDLE_GAP)
    known = ctx.recent_sessions.get(olds[0].id) if len(olds) == 1 else None
    if known is not None and known["sig"] == _sig(olds[0]) and start >= known["last_start"]:
        # the usual case: the next action of the current session, in order
        _add(known, start, end, event)
        rows = progress_repo.replace_sessions(ctx.db, [olds[0].id], [_close(known)])
        _remember(ctx, rows, [known])
        return
    lo = min([start, *(o.started_at for o in olds)])
    hi = max([end, *(o.ended_at for o in olds)])
    # events are stored at their end, which lies inside their session; a span reaching back before lo
    # belongs to an event at or after lo, so [lo, hi] holds every event of the merged neighbourhood
    groups = _group(activity_repo.between(ctx.db, lo, hi + timedelta(microseconds=1)))
    rows = progress_repo.replace_sessions(ctx.db, [o.id for o in olds], [_close(g) for g in groups])
    _remember(ctx, rows, groups)


def rebuild(ctx: AppContext) -> list[SessionRow]:
    """Recompute every session from the stored events (after a listener failure or a rule change)."""
    olds = progress_repo.sessions_between(ctx.db, datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))
    return progress_repo.replace_sessions(ctx.db, [o.id for o in olds], build(activity_repo.between(ctx.db)))
