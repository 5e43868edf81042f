"""Gamification: points, levels, achievements and the streak, kept up to date from activity events."""

# The activity listener only queues the event: use cases run on the UI thread too (answering a card), and
# judging points and achievements takes a few dozen queries, so the profile's worker thread (ctx.gamification)
# does it, in event order. One thread also serialises awarding, which reads today's totals and then writes (two
# threads interleaving could pay a capped rule twice). Readers here call drain(ctx) first so they see every
# recorded event.
# Order matters: finished days are settled (streak, freezes) before today's points, achievements come last.
# The worker judges against the data as it is when it gets to an event; a student is far slower than that,
# but a script firing actions faster than they are judged can see an unlock stamped a few actions early.

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from lmgpa_desktop.core.progress import achievements as _achievements
from lmgpa_desktop.core.progress import goals
from lmgpa_desktop.core.progress import points
from lmgpa_desktop.core.progress import streaks
from lmgpa_desktop.core.progress.achievements import (
    ACHIEVEMENTS,
    AchievementStatus,
    Unlock,
    check,
)
from lmgpa_desktop.core.progress.points import RULES, Rule, level_floor, level_for
from lmgpa_desktop.core.progress.streaks import Streak
from lmgpa_desktop.storage import gamification_repo, goals_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext
    from lmgpa_desktop.storage.activity_repo import ActivityRecord

__all__ = ["ACHIEVEMENTS", "RULES", "AchievementStatus", "PersonalBests", "Rule", "Streak", "Unlock",
           "achievements", "drain", "level_floor", "level_for", "on_activity", "personal_bests", "process", "streak",
           "summary", "total_points"]

log = logging.getLogger(__name__)
BESTS_KEY = "progress.bests"
FIRST_OF_DAY = "first_of_day"  # in ctx.gamification.memo: the local day of the last event judged


@dataclass(frozen=True)
class PersonalBests:
    """The student's bests: cards in a day, streak, test score, focus session."""

    most_cards_day: int
    most_cards_on: str | None
    longest_streak: int
    best_test_percent: float | None
    longest_focus_min: float


def on_activity(ctx: AppContext, event: ActivityRecord) -> None:
    """Queue an event for the profile's worker thread (the activity listener core/profile.py subscribes)."""
    ctx.gamification.submit(lambda: _judge(ctx, event))


def _judge(ctx: AppContext, event: ActivityRecord) -> None:
    try:
        process(ctx, event)
    except Exception:  # a statistic must never stop the next event being counted
        log.exception("gamification failed on %s event %s", event.kind, event.id)


def drain(ctx: AppContext) -> None:
    """Wait until every queued event of the profile has been judged (no-op on the worker thread itself)."""
    ctx.gamification.drain()


def process(ctx: AppContext, event: ActivityRecord) -> list[Unlock]:
    """Award points, settle the streak and check achievements for one event; the new unlocks."""
    worker = ctx.gamification
    with worker.lock:  # one event judged at a time (process() may also be called directly)
        zone = goals.resolve_tz(ctx)
        day = goals.local_day(event.at, zone)
        streaks.settle(ctx, day, zone)
        changed = set()
        if worker.memo.get(FIRST_OF_DAY) != day:  # finished days were settled (maybe by a reader): judge them
            worker.memo[FIRST_OF_DAY] = day
            changed.add("goal")
        if points.on_event(ctx, event, zone):
            changed.add("points")
        if points.daily_goal(ctx, event.at, zone):
            changed |= {"points", "goal"}
        return check(ctx, event, event.at, zone, frozenset(changed))


def streak(ctx: AppContext, now: datetime | None = None, tz: goals.Tz = None) -> Streak:
    """The streak as of now, in the student's local days: days, freezes_available, at_risk_today, ..."""
    drain(ctx)
    return streaks.streak(ctx, now, tz)


def achievements(ctx: AppContext, now: datetime | None = None, tz: goals.Tz = None) -> list[AchievementStatus]:
    """Every achievement, unlocked (with its time) or locked (with progress)."""
    drain(ctx)
    return _achievements.achievements(ctx, now, tz)


def total_points(ctx: AppContext) -> int:
    """All points earned."""
    drain(ctx)
    return points.total(ctx)


def summary(ctx: AppContext, now: datetime | None = None, tz: goals.Tz = None) -> dict:
    """Points, level, next level's threshold, streak, freezes and unlocked achievements (JSON-ready)."""
    drain(ctx)
    now = now or datetime.now(UTC)
    total = points.total(ctx)
    level = level_for(total)
    s = streaks.streak(ctx, now, tz)
    done = gamification_repo.unlocked(ctx.db)
    return {
        "points": total,
        "level": level,
        "level_points": level_floor(level),
        "next_level_points": level_floor(level + 1),
        "streak_days": s.days,
        "longest_streak": s.longest,
        "streak_at_risk": s.at_risk_today,
        "freezes_available": s.freezes_available,
        "achievements": [{"code": a.code, "title": a.title, "description": a.description,
                          "unlocked_at": done[a.code].isoformat()} for a in ACHIEVEMENTS if a.code in done],
    }


def _most_cards_day(ctx: AppContext, zone, today) -> tuple[int, str | None]:
    """The local day with the most card answers; finished days are tallied once and remembered."""
    # Grouping years of review logs takes seconds, so finished days are kept in the "progress.bests" setting
    # (per zone: another zone regroups them) and later calls only read the days since. History imported with
    # older times after that is not looked at again.
    state = ctx.settings.get(BESTS_KEY)
    state = dict(state) if isinstance(state, dict) and state.get("tz") == str(zone) else {"tz": str(zone)}
    since = date.fromisoformat(state["through"]) + timedelta(days=1) if "through" in state else None
    buckets = goals_repo.review_buckets(ctx.db, goals.day_start(since, zone) if since else None,
                                        goals.day_start(today + timedelta(days=1), zone))
    per_day: dict[date, float] = {}
    for at, n in buckets.items():
        d = goals.local_day(at, zone)
        per_day[d] = per_day.get(d, 0) + n
    best, on = int(state.get("cards", 0)), state.get("on")
    for d in sorted(per_day):
        if d < today and per_day[d] > best:
            best, on = int(per_day[d]), d.isoformat()
    ctx.settings.set(BESTS_KEY, {**state, "through": (today - timedelta(days=1)).isoformat(), "cards": best, "on": on})
    if per_day.get(today, 0) > best:
        return int(per_day[today]), today.isoformat()
    return best, on


def personal_bests(ctx: AppContext, now: datetime | None = None, tz: goals.Tz = None) -> PersonalBests:
    """Most cards in a local day, longest streak, best test score, longest focus period."""
    drain(ctx)
    zone = goals.resolve_tz(ctx, tz)
    now = now or datetime.now(UTC)
    most, on = _most_cards_day(ctx, zone, goals.today(now, zone))
    _, best_pct = gamification_repo.test_totals(ctx.db)
    _, _, longest_focus = gamification_repo.activity_totals(ctx.db, "focus")
    return PersonalBests(most, on, streaks.streak(ctx, now, zone).longest, best_pct, longest_focus / 60)
