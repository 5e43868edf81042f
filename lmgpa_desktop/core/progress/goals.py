"""Goals: daily and weekly targets for study minutes, cards reviewed and tests taken, overall or per class."""

# A "day" is the student's local calendar day: times are stored in UTC and placed in a day through the time
# zone given (or the "progress.timezone" setting, else the computer's own zone), so DST days of 23 or 25
# hours and travel across zones land every action in the day the student lived it.

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo
from typing import TYPE_CHECKING

from lmgpa_desktop.core.progress import sessions
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.storage import goals_repo
from lmgpa_desktop.storage.goals_repo import GoalRecord

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

__all__ = ["DEFAULT_DAILY", "DEFAULT_TEXT", "GoalProgress", "GoalRecord", "add", "daily_goal_met", "goals",
           "met_by_day", "metric_by_day", "progress", "remove", "update"]

METRICS = {"minutes": "study minutes", "cards": "cards reviewed", "tests": "practice tests taken"}
PERIODS = {"daily": "a day", "weekly": "a week"}
TZ_KEY = "progress.timezone"  # an IANA name such as "Europe/Berlin"; unset = the computer's zone
# With no daily goal of their own the student still has a day to meet: either of these counts.
DEFAULT_DAILY = (GoalRecord(None, "minutes", "daily", 10, None), GoalRecord(None, "cards", "daily", 20, None))
DEFAULT_TEXT = "No daily goal set yet, so a day counts as met with 10 study minutes or 20 cards reviewed."
MAX_TARGET = 100_000

Tz = tzinfo | str | None


@dataclass(frozen=True)
class GoalProgress:
    """How far a goal is in its current period (today, or this Monday-to-Sunday week)."""

    goal: GoalRecord
    done: float
    target: int
    fraction: float
    met: bool
    start: date
    end: date  # last day of the period, inclusive
    default: bool = False

    @property
    def label(self) -> str:
        """Such as "30 study minutes a day"."""
        return f"{self.target} {METRICS[self.goal.metric]} {PERIODS[self.goal.period]}"


# -- days --------------------------------------------------------------------------------------------------------
def resolve_tz(ctx: AppContext | None, tz: Tz = None) -> tzinfo:
    """The zone to count days in: the argument, else the setting, else the computer's own zone."""
    chosen = tz if tz is not None else (ctx.settings.get(TZ_KEY) if ctx is not None else None)
    if isinstance(chosen, str):
        return ZoneInfo(chosen)
    return chosen if chosen is not None else sessions.local_tz()


def to_local(at: datetime, tz: tzinfo | None) -> datetime:
    """An instant as wall-clock time in the zone (None: the computer's zone, DST-aware per instant)."""
    return at.astimezone(tz) if tz is not None else at.astimezone()


def local_day(at: datetime, tz: tzinfo | None) -> date:
    """The local calendar day an instant falls in."""
    return to_local(at, tz).date()


def day_start(day: date, tz: tzinfo | None) -> datetime:
    """Local midnight starting a day, as a UTC instant (a DST day is then 23 or 25 hours long)."""
    naive = datetime.combine(day, time())
    aware = naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()
    return aware.astimezone(UTC)


def today(now: datetime | None, tz: tzinfo | None) -> date:
    """The student's current local day."""
    return local_day(now or datetime.now(UTC), tz)


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week holding day."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# -- goals -------------------------------------------------------------------------------------------------------
def _check(metric: str, period: str, target: int) -> None:
    if metric not in METRICS:
        raise UserError(f"a goal counts one of {', '.join(METRICS)}, not {metric!r}")
    if period not in PERIODS:
        raise UserError(f"a goal is daily or weekly, not {period!r}")
    if not 1 <= int(target) <= MAX_TARGET:
        raise UserError(f"a goal's target is a whole number from 1 to {MAX_TARGET}")


def add(ctx: AppContext, metric: str, period: str, target: int, course_id: int | None = None) -> GoalRecord:
    """Set a new goal (course_id: for one class only)."""
    _check(metric, period, target)
    return goals_repo.add(ctx.db, metric, period, int(target), course_id)


def update(ctx: AppContext, goal_id: int, **fields) -> GoalRecord:
    """Change a goal: any of metric, period, target, course_id, active."""
    current = goals_repo.get(ctx.db, goal_id)
    if current is None:
        raise UserError(f"there is no goal {goal_id}")
    unknown = set(fields) - {"metric", "period", "target", "course_id", "active"}
    if unknown:
        raise ValueError(f"goals have no field {', '.join(sorted(unknown))}")
    _check(fields.get("metric", current.metric), fields.get("period", current.period),
           fields.get("target", current.target))
    return goals_repo.update(ctx.db, goal_id, **fields)


def remove(ctx: AppContext, goal_id: int) -> None:
    """Delete a goal."""
    goals_repo.remove(ctx.db, goal_id)


def goals(ctx: AppContext, active_only: bool = True) -> list[GoalRecord]:
    """The student's goals, daily first."""
    return goals_repo.all_goals(ctx.db, active_only)


def daily_goals(ctx: AppContext) -> tuple[list[GoalRecord], bool]:
    """The goals a day must meet, and whether they are the defaults (any one met) rather than the student's."""
    own = [g for g in goals(ctx) if g.period == "daily"]
    return (own, False) if own else (list(DEFAULT_DAILY), True)


# -- measuring ---------------------------------------------------------------------------------------------------
def _by_day(buckets: dict[datetime, int], tz: tzinfo | None) -> dict[date, float]:
    out: dict[date, float] = defaultdict(float)
    for at, n in buckets.items():
        out[local_day(at, tz)] += n
    return out


def metric_by_day(ctx: AppContext, metric: str, start: date, end: date, course_id: int | None = None,
                  tz: Tz = None) -> dict[date, float]:
    """A metric on each local day from start to end inclusive (days with nothing are left out)."""
    zone = resolve_tz(ctx, tz)
    if metric == "minutes":
        # Asked one day past the end so the answer covers end whether sessions reads end as inclusive or not.
        found = sessions.minutes_by_day(ctx, start, end + timedelta(days=1), course_id=course_id, tz=zone)
        return {d: float(m) for d, m in found.items() if start <= d <= end and m}
    lo, hi = day_start(start, zone), day_start(end + timedelta(days=1), zone)
    if metric == "cards":
        return {d: max(0.0, n) for d, n in _by_day(goals_repo.review_buckets(ctx.db, lo, hi, course_id), zone).items()}
    if metric == "tests":
        return dict(_by_day(goals_repo.test_buckets(ctx.db, lo, hi, course_id), zone))
    raise ValueError(f"unknown goal metric {metric!r}")


def _period(goal: GoalRecord, day: date) -> tuple[date, date]:
    return (day, day) if goal.period == "daily" else week_of(day)


def progress(ctx: AppContext, now: datetime | None = None, tz: Tz = None) -> list[GoalProgress]:
    """Every active goal in its current period; with no daily goal of the student's, the defaults first."""
    zone = resolve_tz(ctx, tz)
    day = today(now, zone)
    own = goals(ctx)
    shown = [(g, True) for g in DEFAULT_DAILY] if not any(g.period == "daily" for g in own) else []
    shown += [(g, False) for g in own]
    out = []
    for goal, is_default in shown:
        start, end = _period(goal, day)
        done = sum(metric_by_day(ctx, goal.metric, start, min(end, day), goal.course_id, zone).values())
        fraction = min(1.0, done / goal.target) if goal.target else 1.0
        out.append(GoalProgress(goal, done, goal.target, fraction, done >= goal.target, start, end, is_default))
    return out


def met_by_day(ctx: AppContext, start: date, end: date, tz: Tz = None) -> dict[date, bool]:
    """For each day from start to end inclusive: were the daily goals met (all of them; any one of the defaults)?"""
    zone = resolve_tz(ctx, tz)
    chosen, is_default = daily_goals(ctx)
    days = _days(start, end)
    measured = {(g.metric, g.course_id): metric_by_day(ctx, g.metric, start, end, g.course_id, zone) for g in chosen}
    combine = any if is_default else all
    return {d: combine(measured[(g.metric, g.course_id)].get(d, 0.0) >= g.target for g in chosen) for d in days}


def daily_goal_met(ctx: AppContext, day: date, tz: Tz = None) -> bool:
    """Whether the student's daily goals were all met on that local day (the defaults: either one)."""
    return met_by_day(ctx, day, day, tz)[day]


def week_met(ctx: AppContext, course_id: int, day: date, tz: Tz = None) -> bool:
    """Whether every goal of one class was met in the week holding day (daily ones on each of its 7 days)."""
    zone = resolve_tz(ctx, tz)
    mine = [g for g in goals(ctx) if g.course_id == course_id]
    if not mine:
        return False
    monday, sunday = week_of(day)
    for g in mine:
        per_day = metric_by_day(ctx, g.metric, monday, sunday, course_id, zone)
        if g.period == "weekly" and sum(per_day.values()) < g.target:
            return False
        if g.period == "daily" and any(per_day.get(d, 0.0) < g.target for d in _days(monday, sunday)):
            return False
    return True
