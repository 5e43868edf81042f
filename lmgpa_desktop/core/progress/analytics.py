"""What the Progress page and `lmgpa stats` show: study time, reviews, retention, forecast, test scores."""

# Every number comes from a SQL aggregate in storage.progress_repo; this module only picks the local
# days (time zone aware) and folds daily totals into weeks.

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from lmgpa_desktop.core.progress import sessions
from lmgpa_desktop.storage import progress_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

RANGES = {"week": 7, "month": 30, "term": 120, "all": None}  # days back from today, today included
HEATMAP_DAYS = 365
FORECAST_DAYS = 30


@dataclass
class Report:
    """Everything on the Progress page for one range and class filter."""

    range: str
    start: date
    end: date
    course_id: int | None
    minutes_by_day: dict[date, float] = field(default_factory=dict)
    minutes_by_week: dict[date, float] = field(default_factory=dict)  # keyed by the week's Monday
    minutes_by_class: dict[str, float] = field(default_factory=dict)
    minutes_by_kind: dict[str, float] = field(default_factory=dict)
    heatmap: dict[date, float] = field(default_factory=dict)  # the last year, whatever the range
    reviews_by_day: dict[date, int] = field(default_factory=dict)
    retention_by_day: dict[date, float | None] = field(default_factory=dict)
    review_answers: int = 0  # answers to cards in the review state (the base of true retention)
    retention: float | None = None
    forecast: dict[date, int] = field(default_factory=dict)  # today includes what is overdue
    tests: list[tuple[datetime, str, float]] = field(default_factory=list)  # finished_at, title, percent

    @property
    def total_minutes(self) -> float:
        """Study minutes in the range."""
        return sum(self.minutes_by_day.values())

    @property
    def total_reviews(self) -> int:
        """Cards answered in the range (undone answers excluded)."""
        return sum(self.reviews_by_day.values())


def course_names(ctx: AppContext) -> dict[int, str]:
    """Every class by id (the class filter of the charts)."""
    return progress_repo.course_names(ctx.db)


def range_start(ctx: AppContext, name: str, today: date, tz) -> date:
    """First local day of a named range (for "all": the first day with any study, at most 10 years back)."""
    if name not in RANGES:
        raise ValueError(f"range is one of {', '.join(RANGES)}, not {name!r}")
    days = RANGES[name]
    if days is not None:
        return today - timedelta(days=days - 1)
    first = progress_repo.first_activity(ctx.db)
    if first is None:
        return today
    return max(first.astimezone(tz).date(), today - timedelta(days=3660))


def report(ctx: AppContext, range_name: str = "week", course_id: int | None = None, now: datetime | None = None,
           tz=None) -> Report:
    """The whole Progress report (runs several queries: call off the UI thread)."""
    tz = tz or sessions.local_tz()
    now = now or datetime.now(UTC)
    today = now.astimezone(tz).date()
    start = range_start(ctx, range_name, today, tz)
    rep = Report(range_name, start, today, course_id)
    # one query serves both the range and the year-long heatmap
    first = min(start, today - timedelta(days=HEATMAP_DAYS - 1))
    days = sessions.day_list(first, today, tz)
    minutes = {date.fromisoformat(k): 0.0 for k, _, _ in days}
    for key, seconds in progress_repo.seconds_by_day(ctx.db, days, course_id):
        minutes[date.fromisoformat(key)] = float(seconds or 0) / 60.0
    rep.minutes_by_day = {d: m for d, m in minutes.items() if d >= start}
    rep.heatmap = {d: m for d, m in minutes.items() if d > today - timedelta(days=HEATMAP_DAYS)}
    for d, m in rep.minutes_by_day.items():
        monday = d - timedelta(days=d.weekday())
        rep.minutes_by_week[monday] = rep.minutes_by_week.get(monday, 0.0) + m
    range_lo = sessions.day_bounds(start, tz)[0]
    range_hi = sessions.day_bounds(today, tz)[1]
    names = progress_repo.course_names(ctx.db)
    by_course = progress_repo.seconds_in(ctx.db, range_lo, range_hi, "course", course_id)
    rep.minutes_by_class = {names.get(c, "Deleted class") if c is not None else "No class": s / 60.0
                            for c, s in sorted(by_course.items(), key=lambda kv: -kv[1]) if s > 0}
    rep.minutes_by_kind = {k: s / 60.0 for k, s in progress_repo.seconds_in(
        ctx.db, range_lo, range_hi, "kind", course_id).items() if s > 0}
    _reviews(ctx, rep, [d for d in days if date.fromisoformat(d[0]) >= start], course_id, tz)
    rep.forecast = forecast(ctx, today, tz, course_id)
    rep.tests = [(at, title, pct) for at, _, title, pct in
                 progress_repo.test_scores(ctx.db, range_lo, range_hi, course_id)]
    return rep


def _reviews(ctx: AppContext, rep: Report, days, course_id, tz) -> None:
    rep.reviews_by_day = {date.fromisoformat(k): 0 for k, _, _ in days}
    rep.retention_by_day = {d: None for d in rep.reviews_by_day}
    kept_total = ok_total = 0
    lo, hi = days[0][1], days[-1][2]
    steps = sessions.offset_steps(lo, hi, tz)
    for key, answers, review_state, not_again in progress_repo.review_stats_by_day(ctx.db, lo, hi, steps, course_id):
        d = date.fromisoformat(key)
        rep.reviews_by_day[d] = answers
        rep.retention_by_day[d] = not_again / review_state if review_state else None
        kept_total += review_state
        ok_total += not_again
    rep.review_answers = kept_total
    rep.retention = ok_total / kept_total if kept_total else None


def forecast(ctx: AppContext, today: date, tz=None, course_id: int | None = None,
             days: int = FORECAST_DAYS) -> dict[date, int]:
    """Cards falling due on each of the next days (today also counts the overdue ones)."""
    day_rows = sessions.day_list(today, today + timedelta(days=days - 1), tz)
    counts = progress_repo.due_by_day(ctx.db, day_rows, course_id)
    return {date.fromisoformat(k): counts.get(k, 0) for k, _, _ in day_rows}


def as_dict(rep: Report) -> dict:
    """The report as plain JSON-able data."""
    def iso(d: dict) -> dict:
        return {k.isoformat(): (round(v, 2) if isinstance(v, float) else v) for k, v in d.items()}

    return {"range": rep.range, "start": rep.start.isoformat(), "end": rep.end.isoformat(),
            "course_id": rep.course_id, "total_minutes": round(rep.total_minutes, 2),
            "minutes_by_day": iso(rep.minutes_by_day), "minutes_by_week": iso(rep.minutes_by_week),
            "minutes_by_class": {k: round(v, 2) for k, v in rep.minutes_by_class.items()},
            "minutes_by_activity": {k: round(v, 2) for k, v in rep.minutes_by_kind.items()},
            "reviews": rep.total_reviews, "reviews_by_day": iso(rep.reviews_by_day),
            "retention": None if rep.retention is None else round(rep.retention, 4),
            "retention_base": rep.review_answers, "forecast": iso(rep.forecast),
            "tests": [{"finished_at": at.isoformat(), "title": t, "percent": round(p, 1)} for at, t, p in rep.tests]}
