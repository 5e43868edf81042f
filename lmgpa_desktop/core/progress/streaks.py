"""The streak: local days in a row with the daily goal met, kept alive over a missed day by an earned freeze."""

# Past days are settled once and remembered (the "progress.streak" setting), so raising a goal today does not
# rewrite yesterday's streak. Settling walks each finished local day in order: a met day extends the streak
# and every FREEZE_EVERY met days earn a freeze (at most MAX_FREEZES held); a missed day spends the oldest
# held freeze (streak_freezes.used_on) or ends the streak. Today is never settled: it is judged live.

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from lmgpa_desktop.core.progress import goals
from lmgpa_desktop.storage import gamification_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

__all__ = ["FREEZE_EVERY", "MAX_FREEZES", "Streak", "settle", "streak"]

STATE_KEY = "progress.streak"
FREEZE_EVERY = 7
MAX_FREEZES = 2
_lock = threading.RLock()  # settling reads then writes state and freezes; listeners run on several threads


@dataclass(frozen=True)
class Streak:
    """The streak now: days (today included once met), freezes held, and whether today can still break it."""

    days: int
    freezes_available: int
    at_risk_today: bool
    met_today: bool = False
    longest: int = 0
    frozen_days: tuple[date, ...] = ()


def _state(ctx: AppContext) -> dict:
    raw = ctx.settings.get(STATE_KEY)
    return dict(raw) if isinstance(raw, dict) else {}


def held(ctx: AppContext) -> int:
    """Freezes earned and not yet spent."""
    return sum(1 for f in gamification_repo.freezes(ctx.db) if f.used_on is None)


def settle(ctx: AppContext, today: date, tz: tzinfo | None) -> dict:
    """Judge every finished day before today not judged yet; the state {through, days, run, longest}."""
    with _lock:
        state = _state(ctx)
        if "through" in state:
            start = date.fromisoformat(state["through"]) + timedelta(days=1)
        else:
            first = gamification_repo.first_activity_at(ctx.db)
            start = goals.local_day(first, tz) if first is not None else today
            state = {"days": 0, "run": 0, "longest": 0}
        last = today - timedelta(days=1)
        if start > last:
            if "through" not in state:
                state["through"] = last.isoformat()
                ctx.settings.set(STATE_KEY, state)
            return state
        met = goals.met_by_day(ctx, start, last, tz)
        holding = held(ctx)
        for day in sorted(met):
            if met[day]:
                state["days"] += 1
                state["run"] += 1
                state["longest"] = max(state["longest"], state["days"])
                if state["run"] >= FREEZE_EVERY:
                    state["run"] = 0
                    if holding < MAX_FREEZES:
                        gamification_repo.add_freeze(ctx.db, goals.day_start(day + timedelta(days=1), tz))
                        holding += 1
            elif state["days"] > 0 and holding > 0 and gamification_repo.spend_freeze(ctx.db, day):
                holding -= 1  # the streak survives the day, without growing
            else:
                state["days"] = state["run"] = 0
        state["through"] = last.isoformat()
        ctx.settings.set(STATE_KEY, state)
        return state


def streak(ctx: AppContext, now: datetime | None = None, tz: goals.Tz = None) -> Streak:
    """The streak as of now in the student's local days (settling any finished days first)."""
    zone = goals.resolve_tz(ctx, tz)
    day = goals.today(now, zone)
    state = settle(ctx, day, zone)
    met_today = goals.daily_goal_met(ctx, day, zone)
    days = state["days"] + (1 if met_today else 0)
    frozen = tuple(sorted(f.used_on for f in gamification_repo.freezes(ctx.db) if f.used_on is not None))
    return Streak(days, held(ctx), state["days"] > 0 and not met_today, met_today,
                  max(state["longest"], days), frozen)
