"""Points for learning actions under a visible table of rules with daily caps, and levels from the total."""

# Points reward learning, not opening the app: each rule pays at most cap_per_day times a local day, the
# same card or the same test pays once a day however often it is repeated, and an undone answer takes its
# points back (a negative point event, so the log stays append-only like the review log).

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from lmgpa_desktop.core.progress import goals
from lmgpa_desktop.core.study import review
from lmgpa_desktop.storage import cards_repo, gamification_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

__all__ = ["RULES", "Rule", "level_floor", "level_for", "on_event", "total"]

PASS_PERCENT = 80.0
RETENTION_MIN_REVIEWS = 20
FOCUS_MIN_S = 600
RECORDING_UNIT_S = 600


@dataclass(frozen=True)
class Rule:
    """A learning action and what it pays: points each time, at most cap_per_day times a day."""

    code: str
    description: str
    points: int
    cap_per_day: int


RULES: tuple[Rule, ...] = (
    Rule("review", "Card reviewed (each card counts once a day)", 1, 100),
    Rule("new_card", "New card learned (its first answer)", 2, 30),
    Rule("retention", f"Retention held: recall at or above your target on {RETENTION_MIN_REVIEWS}+ reviews in a day",
         20, 1),
    Rule("test", "Practice test finished (each test counts once a day)", 10, 5),
    Rule("test_pass", f"Practice test scored {PASS_PERCENT:.0f}% or more (bonus, once a day per test)", 15, 5),
    Rule("focus", f"Focus period of {FOCUS_MIN_S // 60}+ minutes completed", 5, 8),
    Rule("recording", f"Lecture recorded, per full {RECORDING_UNIT_S // 60} minutes", 3, 12),
    Rule("daily_goal", "Daily goal met", 25, 1),
)
BY_CODE = {r.code: r for r in RULES}
LEVEL_STEP = 100  # level 2 takes 100 points, level 3 200 more, level 4 300 more, ...


def level_floor(level: int) -> int:
    """Total points at which a level starts: 0, 100, 300, 600, 1000, ... (each level 100 more than the last)."""
    return LEVEL_STEP * level * (level - 1) // 2


def level_for(points: int) -> int:
    """The level reached with a total of points (1 at zero)."""
    level = 1
    while level_floor(level + 1) <= points:
        level += 1
    return level


def total(ctx: AppContext) -> int:
    """All points earned."""
    return gamification_repo.total_points(ctx.db)


def _day(ctx: AppContext, at: datetime, tz: tzinfo | None) -> tuple[datetime, datetime]:
    day = goals.local_day(at, tz)
    return goals.day_start(day, tz), goals.day_start(day + timedelta(days=1), tz)


def award(ctx: AppContext, code: str, at: datetime, tz: tzinfo | None, ref_id: int | None = None, units: int = 1,
          once_per_ref: bool = False) -> int:
    """Pay a rule up to its daily cap (once_per_ref: nothing if this ref already earned it today); the points."""
    rule = BY_CODE[code]
    start, end = _day(ctx, at, tz)
    if once_per_ref and gamification_repo.rule_points(ctx.db, code, start, end, ref_id) > 0:
        return 0
    paid = gamification_repo.rule_points(ctx.db, code, start, end) // rule.points
    units = min(units, rule.cap_per_day - paid)
    if units <= 0:
        return 0
    gamification_repo.add_points(ctx.db, code, units * rule.points, at, ref_id)
    return units * rule.points


def take_back(ctx: AppContext, code: str, ref_id: int, at: datetime, tz: tzinfo | None) -> int:
    """Cancel what a ref earned under a rule today; the points taken back."""
    start, end = _day(ctx, at, tz)
    earned = gamification_repo.rule_points(ctx.db, code, start, end, ref_id)
    if earned > 0:
        gamification_repo.add_points(ctx.db, code, -earned, at, ref_id)
    return max(0, earned)


def _retention(ctx: AppContext, at: datetime, tz: tzinfo | None) -> int:
    start, end = _day(ctx, at, tz)
    if gamification_repo.rule_points(ctx.db, "retention", start, end) > 0:
        return 0
    n, recalled = gamification_repo.retention_counts(ctx.db, start, end)
    if n >= RETENTION_MIN_REVIEWS and recalled / n >= review.retention(ctx):
        return award(ctx, "retention", at, tz)
    return 0


def _undo(ctx: AppContext, event, tz: tzinfo | None) -> int:
    """An answer taken back: the card's points go when no answer of it today still stands."""
    start, _ = _day(ctx, event.at, tz)
    card_id = event.ref_id
    taken = 0
    if gamification_repo.card_answers_since(ctx.db, card_id, start) <= 0:
        taken += take_back(ctx, "review", card_id, event.at, tz)
    card = cards_repo.get_card(ctx.db, card_id)
    if card is not None and card.state == 0:
        taken += take_back(ctx, "new_card", card_id, event.at, tz)
    return -taken


def on_event(ctx: AppContext, event, tz: tzinfo | None) -> int:
    """Points for one activity event under RULES (negative for an undo); the daily goal is judged apart."""
    details = event.details or {}
    if event.kind == "review":
        got = award(ctx, "review", event.at, tz, event.ref_id, once_per_ref=True)
        if details.get("state_before") == 0:
            got += award(ctx, "new_card", event.at, tz, event.ref_id, once_per_ref=True)
        return got + _retention(ctx, event.at, tz)
    if event.kind == "review_undo" and event.ref_id is not None:
        return _undo(ctx, event, tz)
    if event.kind == "test":
        test_id = details.get("test_id", event.ref_id)
        got = award(ctx, "test", event.at, tz, test_id, once_per_ref=True)
        if float(details.get("percent") or 0.0) >= PASS_PERCENT:
            got += award(ctx, "test_pass", event.at, tz, test_id, once_per_ref=True)
        return got
    if event.kind == "focus" and event.amount >= FOCUS_MIN_S:
        return award(ctx, "focus", event.at, tz, event.ref_id)
    if event.kind == "recording" and event.amount >= RECORDING_UNIT_S:
        return award(ctx, "recording", event.at, tz, event.ref_id, units=event.amount // RECORDING_UNIT_S)
    return 0


def daily_goal(ctx: AppContext, at: datetime, tz: tzinfo | None) -> int:
    """Pay the daily-goal rule once the day's goal is met."""
    start, end = _day(ctx, at, tz)
    if gamification_repo.rule_points(ctx.db, "daily_goal", start, end) > 0:
        return 0
    if goals.daily_goal_met(ctx, goals.local_day(at, tz), tz):
        return award(ctx, "daily_goal", at, tz)
    return 0
