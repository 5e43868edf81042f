"""Achievements: clear unlock conditions, each unlocked once with its time, checked as the student works."""

# Each achievement names a measure and the amount it needs; after an event only the still-locked achievements
# whose measure that event can move are judged ("goal": the daily goal was just paid or a day was settled;
# "points": points changed), and measures are computed lazily, so a review costs a few indexed queries.
# Unlocks are returned and handed to the profile's subscribers, ctx.unlocks (the UI celebrates; a subscriber
# may run on any thread).

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cached_property
from typing import TYPE_CHECKING

from lmgpa_desktop.core.progress import goals
from lmgpa_desktop.core.progress import notifications
from lmgpa_desktop.core.progress import points
from lmgpa_desktop.core.progress import streaks
from lmgpa_desktop.storage import gamification_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

__all__ = ["ACHIEVEMENTS", "Achievement", "AchievementStatus", "Unlock", "achievements", "check",
           "subscribe_unlocks", "unsubscribe_unlocks"]

LEARNING_KINDS = frozenset({"review", "test", "focus", "recording", "reading"})
STUDY_KINDS = LEARNING_KINDS | {"chat", "note", "accept", "import"}  # every kind that makes study sessions
EARLY_HOURS = range(4, 7)  # 04:00-06:59 local
NIGHT_HOURS = (23, 0, 1, 2, 3)  # 23:00-03:59 local


@dataclass(frozen=True)
class Achievement:
    """An achievement: unlocked when measure reaches needed."""

    code: str
    title: str
    description: str
    measure: str
    needed: float

    @property
    def triggers(self) -> frozenset[str]:
        """Event kinds (and "goal", "points") that can move its measure."""
        return TRIGGERS[self.measure]


ACHIEVEMENTS: tuple[Achievement, ...] = (
    Achievement("first_card", "First card", "Answer your first flashcard.", "answers", 1),
    Achievement("cards_100", "Century", "Answer 100 flashcards.", "answers", 100),
    Achievement("cards_1000", "Thousand club", "Answer 1,000 flashcards.", "answers", 1000),
    Achievement("cards_day_200", "Marathon", "Answer 200 flashcards in one day.", "cards_today", 200),
    Achievement("new_50", "Fresh knowledge", "Learn 50 new cards.", "new_learned", 50),
    Achievement("retention", "Sharp memory", "Hold your target retention over 20+ reviews in a day.",
                "retention_days", 1),
    Achievement("first_test", "Test run", "Finish a practice test.", "tests", 1),
    Achievement("test_80", "Passing grade", "Score 80% or more on a practice test.", "best_percent", 80),
    Achievement("test_perfect", "Perfect score", "Score 100% on a practice test.", "best_percent", 100),
    Achievement("tests_10", "Test veteran", "Finish 10 practice tests.", "tests", 10),
    Achievement("first_recording", "On the record", "Record your first lecture.", "recordings", 1),
    Achievement("recording_5h", "Lecture hall", "Record 5 hours of lectures.", "recording_hours", 5),
    Achievement("study_10h", "Ten hours", "Study for 10 hours in total.", "study_hours", 10),
    Achievement("study_100h", "Hundred hours", "Study for 100 hours in total.", "study_hours", 100),
    Achievement("goal_first", "Goal getter", "Meet your daily goal for the first time.", "goal_days", 1),
    Achievement("goal_30", "Habit formed", "Meet your daily goal on 30 days.", "goal_days", 30),
    Achievement("streak_7", "Week streak", "Meet your daily goal 7 days in a row.", "streak", 7),
    Achievement("streak_30", "Month streak", "Meet your daily goal 30 days in a row.", "streak", 30),
    Achievement("streak_100", "Hundred-day streak", "Meet your daily goal 100 days in a row.", "streak", 100),
    Achievement("freeze", "Ice in the bank", "Earn a streak freeze (one per 7 goal days in a row).",
                "freezes_earned", 1),
    Achievement("weekend", "Weekend warrior", "Meet your daily goal on a Saturday and the Sunday after it.",
                "weekend", 1),
    Achievement("class_week", "Class act", "Meet every goal set for one class for a whole Monday-to-Sunday week.",
                "class_week", 1),
    Achievement("early_bird", "Early bird", "Study between 4:00 and 7:00 in the morning.", "early", 1),
    Achievement("night_owl", "Night owl", "Study between 23:00 and 4:00.", "night", 1),
    Achievement("focus_10", "Focused", "Complete 10 focus periods.", "focus_periods", 10),
    Achievement("deep_work", "Deep work", "Complete a focus period of 50 minutes or more.", "longest_focus_min", 50),
    Achievement("curious", "Curious mind", "Ask your library 25 questions.", "questions", 25),
    Achievement("level_5", "Level 5", "Reach level 5 (1,000 points).", "level", 5),
    Achievement("level_10", "Level 10", "Reach level 10 (4,500 points).", "level", 10),
)
BY_CODE = {a.code: a for a in ACHIEVEMENTS}
_GOAL = frozenset({"goal"})
TRIGGERS: dict[str, frozenset[str]] = {
    "answers": frozenset({"review"}), "new_learned": frozenset({"review"}), "cards_today": frozenset({"review"}),
    "retention_days": frozenset({"review"}), "tests": frozenset({"test"}), "best_percent": frozenset({"test"}),
    "recordings": frozenset({"recording"}), "recording_hours": frozenset({"recording"}), "study_hours": STUDY_KINDS,
    "goal_days": _GOAL, "streak": _GOAL, "freezes_earned": _GOAL, "weekend": _GOAL, "class_week": LEARNING_KINDS,
    "early": LEARNING_KINDS, "night": LEARNING_KINDS, "focus_periods": frozenset({"focus"}),
    "longest_focus_min": frozenset({"focus"}), "questions": frozenset({"chat"}), "level": frozenset({"points"}),
}


@dataclass(frozen=True)
class Unlock:
    """An achievement just unlocked (what a celebration shows)."""

    code: str
    title: str
    description: str
    unlocked_at: datetime


@dataclass(frozen=True)
class AchievementStatus:
    """An achievement with how far the student is."""

    code: str
    title: str
    description: str
    current: float
    needed: float
    unlocked_at: datetime | None

    @property
    def unlocked(self) -> bool:
        """Whether it has been unlocked."""
        return self.unlocked_at is not None

    @property
    def fraction(self) -> float:
        """Progress from 0 to 1."""
        return 1.0 if self.unlocked else max(0.0, min(1.0, self.current / self.needed))


UnlockListener = Callable[[Unlock], None]


def subscribe_unlocks(ctx: AppContext, callback: UnlockListener) -> None:
    """Call callback(unlock) for every new unlock of this profile (on the thread that did the work)."""
    ctx.unlocks.subscribe(callback)


def unsubscribe_unlocks(ctx: AppContext, callback: UnlockListener) -> None:
    """Stop announcing to a callback."""
    ctx.unlocks.unsubscribe(callback)


class Facts:
    """The measures, each computed on first use (for now, in the student's zone, around one event)."""

    def __init__(self, ctx: AppContext, now: datetime, tz: tzinfo | None, event=None):
        self.ctx, self.now, self.tz, self.event = ctx, now, tz, event
        self.day = goals.local_day(now, tz)

    def get(self, measure: str) -> float:
        """One measure by name."""
        return float(getattr(self, measure))

    @cached_property
    def _reviews(self) -> tuple[int, int]:
        """Card answers and new cards learned, net of undos."""
        return gamification_repo.review_totals(self.ctx.db)

    @property
    def answers(self) -> int:
        """Card answers ever."""
        return self._reviews[0]

    @property
    def new_learned(self) -> int:
        """New cards learned ever."""
        return self._reviews[1]

    @cached_property
    def cards_today(self) -> float:
        """Card answers on the local day of now."""
        return goals.metric_by_day(self.ctx, "cards", self.day, self.day, tz=self.tz).get(self.day, 0.0)

    @cached_property
    def retention_days(self) -> int:
        """1 once retention has been held on a day."""
        return int(gamification_repo.rule_points(self.ctx.db, "retention") > 0)

    @cached_property
    def _tests(self) -> tuple[int, float | None]:
        """Finished attempts and the best percent."""
        return gamification_repo.test_totals(self.ctx.db)

    @property
    def tests(self) -> int:
        """Practice tests finished."""
        return self._tests[0]

    @property
    def best_percent(self) -> float:
        """Best test score in percent."""
        return round(self._tests[1] or 0.0, 6)

    @cached_property
    def _recordings(self) -> tuple[int, int, int]:
        """Recordings: count, seconds, longest."""
        return gamification_repo.activity_totals(self.ctx.db, "recording")

    @property
    def recordings(self) -> int:
        """Lectures recorded."""
        return self._recordings[0]

    @property
    def recording_hours(self) -> float:
        """Hours of lectures recorded."""
        return self._recordings[1] / 3600

    @cached_property
    def study_hours(self) -> float:
        """Hours in study sessions."""
        return gamification_repo.study_seconds(self.ctx.db) / 3600

    @cached_property
    def goal_days(self) -> int:
        """Days the daily goal was met (and paid)."""
        return gamification_repo.rule_points(self.ctx.db, "daily_goal") // points.BY_CODE["daily_goal"].points

    @cached_property
    def streak(self) -> int:
        """Longest streak in days."""
        return streaks.streak(self.ctx, self.now, self.tz).longest

    @cached_property
    def freezes_earned(self) -> int:
        """Streak freezes ever earned."""
        return len(gamification_repo.freezes(self.ctx.db))

    @cached_property
    def weekend(self) -> int:
        """1 when the latest Saturday and Sunday both met the daily goal."""
        sunday = self.day if self.day.weekday() == 6 else self.day - timedelta(days=self.day.weekday() + 1)
        met = goals.met_by_day(self.ctx, sunday - timedelta(days=1), sunday, self.tz)
        return int(all(met.values()))

    @cached_property
    def class_week(self) -> int:
        """1 when one class met every goal for this or last week."""
        monday = goals.week_of(self.day)[0]
        weeks = [monday, monday - timedelta(days=7)]  # this week once its Sunday is done, and the last one
        courses = {g.course_id for g in goals.goals(self.ctx) if g.course_id is not None}
        if self.event is not None:  # an event can only complete its own class's week
            courses &= {self.event.course_id}
        return int(any(goals.week_met(self.ctx, c, w, self.tz) for c in sorted(courses) for w in weeks))

    def _hour_in(self, hours) -> int:
        e = self.event
        return int(e is not None and e.kind in LEARNING_KINDS and goals.to_local(e.at, self.tz).hour in hours)

    @property
    def early(self) -> int:
        """1 when the event is study between 4:00 and 7:00."""
        return self._hour_in(EARLY_HOURS)

    @property
    def night(self) -> int:
        """1 when the event is study between 23:00 and 4:00."""
        return self._hour_in(NIGHT_HOURS)

    @cached_property
    def _focus(self) -> tuple[int, int, int]:
        """Focus periods: count, seconds, longest."""
        return gamification_repo.activity_totals(self.ctx.db, "focus")

    @property
    def focus_periods(self) -> int:
        """Focus periods completed."""
        return self._focus[0]

    @property
    def longest_focus_min(self) -> float:
        """Longest focus period in minutes."""
        return self._focus[2] / 60

    @cached_property
    def questions(self) -> int:
        """Questions asked of the library."""
        return gamification_repo.activity_totals(self.ctx.db, "chat")[0]

    @cached_property
    def level(self) -> int:
        """The level reached."""
        return points.level_for(points.total(self.ctx))


def check(ctx: AppContext, event=None, now: datetime | None = None, tz: goals.Tz = None,
          changed: frozenset[str] = frozenset()) -> list[Unlock]:
    """Unlock locked achievements whose condition now holds (after an event: those it or changed can move);
    the new unlocks, also sent to subscribers."""
    zone = goals.resolve_tz(ctx, tz)
    now = now or (event.at if event is not None else datetime.now(UTC))
    facts = Facts(ctx, now, zone, event)
    done = gamification_repo.unlocked(ctx.db)
    moved = (frozenset({event.kind}) | changed) if event is not None else None
    new = []
    for a in ACHIEVEMENTS:
        if a.code in done or (moved is not None and not moved & a.triggers):
            continue
        if facts.get(a.measure) < a.needed:
            continue
        if gamification_repo.unlock(ctx.db, a.code, now):
            new.append(Unlock(a.code, a.title, a.description, now))
    for unlock in new:
        # Kept in the notification centre too, so an unlock seen by nobody (CLI, window closed) is not lost.
        notifications.add(ctx, "achievement", f"Achievement unlocked: {unlock.title}", unlock.description,
                          {"code": unlock.code}, now)
        ctx.unlocks.publish(unlock)  # a failing subscriber is logged there: a celebration must not undo the unlock
    return new


def achievements(ctx: AppContext, now: datetime | None = None, tz: goals.Tz = None) -> list[AchievementStatus]:
    """Every achievement, unlocked or locked, with its progress (event-bound ones show 0 or 1)."""
    zone = goals.resolve_tz(ctx, tz)
    facts = Facts(ctx, now or datetime.now(UTC), zone)
    done = gamification_repo.unlocked(ctx.db)
    out = []
    for a in ACHIEVEMENTS:
        current = a.needed if a.code in done else facts.get(a.measure)
        out.append(AchievementStatus(a.code, a.title, a.description, current, a.needed, done.get(a.code)))
    return out

