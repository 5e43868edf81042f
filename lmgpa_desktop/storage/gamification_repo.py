"""Points, achievement unlocks, streak freezes, and the totals achievements are judged on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import (
    AchievementUnlock,
    ActivityEvent,
    PointEvent,
    ReviewLog,
    StreakFreeze,
    StudySession,
    TestAttempt,
)


@dataclass(frozen=True)
class FreezeRecord:
    """A streak freeze: when it was earned and the day it covered (None while held)."""

    id: int
    earned_at: datetime
    used_on: date | None


# -- points ------------------------------------------------------------------------------------------------------
def add_points(db: Database, rule: str, points: int, at: datetime, ref_id: int | None = None) -> None:
    """Append a point event (negative points take an award back)."""
    with db.write() as s:
        s.add(PointEvent(rule=rule, points=points, at=at, ref_id=ref_id))


def total_points(db: Database) -> int:
    """All points earned, net of take-backs."""
    with db.read() as s:
        return int(s.scalar(select(func.coalesce(func.sum(PointEvent.points), 0))))


def rule_points(db: Database, rule: str, start: datetime | None = None, end: datetime | None = None,
                ref_id: int | None = None) -> int:
    """Net points of one rule in [start, end), optionally for one ref only."""
    q = select(func.coalesce(func.sum(PointEvent.points), 0)).where(PointEvent.rule == rule)
    if start is not None:
        q = q.where(PointEvent.at >= start)
    if end is not None:
        q = q.where(PointEvent.at < end)
    if ref_id is not None:
        q = q.where(PointEvent.ref_id == ref_id)
    with db.read() as s:
        return int(s.scalar(q))


def points_by_rule(db: Database, start: datetime | None = None, end: datetime | None = None) -> dict[str, int]:
    """Net points per rule in [start, end)."""
    q = select(PointEvent.rule, func.sum(PointEvent.points)).group_by(PointEvent.rule)
    if start is not None:
        q = q.where(PointEvent.at >= start)
    if end is not None:
        q = q.where(PointEvent.at < end)
    with db.read() as s:
        return {rule: int(n) for rule, n in s.execute(q)}


# -- achievements ------------------------------------------------------------------------------------------------
def unlocked(db: Database) -> dict[str, datetime]:
    """Unlocked achievement codes with their unlock time."""
    with db.read() as s:
        return {u.code: u.unlocked_at for u in s.scalars(select(AchievementUnlock))}


def unlock(db: Database, code: str, at: datetime) -> bool:
    """Record an unlock; False when it was already unlocked (the unique code keeps it to once)."""
    try:
        with db.write() as s:
            if s.scalar(select(AchievementUnlock.id).where(AchievementUnlock.code == code)) is not None:
                return False
            s.add(AchievementUnlock(code=code, unlocked_at=at))
        return True
    except IntegrityError:
        return False


# -- streak freezes ----------------------------------------------------------------------------------------------
def freezes(db: Database) -> list[FreezeRecord]:
    """Every freeze, oldest first."""
    with db.read() as s:
        return [FreezeRecord(f.id, f.earned_at, f.used_on)
                for f in s.scalars(select(StreakFreeze).order_by(StreakFreeze.earned_at, StreakFreeze.id))]


def add_freeze(db: Database, earned_at: datetime) -> None:
    """Store a newly earned freeze."""
    with db.write() as s:
        s.add(StreakFreeze(earned_at=earned_at))


def spend_freeze(db: Database, day: date) -> bool:
    """Spend the oldest held freeze on a missed day; False when none is held."""
    with db.write() as s:
        f = s.scalars(select(StreakFreeze).where(StreakFreeze.used_on.is_(None))
                      .order_by(StreakFreeze.earned_at, StreakFreeze.id)).first()
        if f is None:
            return False
        f.used_on = day
        return True


# -- totals achievements and personal bests are judged on -------------------------------------------------------
def review_totals(db: Database) -> tuple[int, int]:
    """Card answers and new cards learned, both net of undos (an undo row repeats the restored state)."""
    answers = func.sum(case((ReviewLog.rating > 0, 1), else_=-1))
    learned = func.sum(case((ReviewLog.state_before != 0, 0), (ReviewLog.rating > 0, 1), else_=-1))
    with db.read() as s:
        a, n = s.execute(select(answers, learned)).one()
    return max(0, int(a or 0)), max(0, int(n or 0))


def retention_counts(db: Database, start: datetime, end: datetime) -> tuple[int, int]:
    """Answers to cards in review (state 2) in [start, end), and how many were recalled (not Again)."""
    q = select(func.count(), func.coalesce(func.sum(case((ReviewLog.rating > 1, 1), else_=0)), 0)).where(
        ReviewLog.reviewed_at >= start, ReviewLog.reviewed_at < end, ReviewLog.rating > 0,
        ReviewLog.state_before == 2)
    with db.read() as s:
        n, recalled = s.execute(q).one()
    return int(n), int(recalled)


def card_answers_since(db: Database, card_id: int, since: datetime) -> int:
    """A card's answers since an instant that still stand (each undo row cancels one)."""
    q = select(func.coalesce(func.sum(case((ReviewLog.rating > 0, 1), else_=-1)), 0)).where(
        ReviewLog.card_id == card_id, ReviewLog.reviewed_at >= since)
    with db.read() as s:
        return int(s.scalar(q))


def test_totals(db: Database) -> tuple[int, float | None]:
    """Finished practice-test attempts and the best score in percent."""
    pct = 100.0 * TestAttempt.score / TestAttempt.max_score
    q = select(func.count(), func.max(case((TestAttempt.max_score > 0, pct), else_=None))).where(
        TestAttempt.finished_at.is_not(None), TestAttempt.deleted_at.is_(None))
    with db.read() as s:
        n, best = s.execute(q).one()
    return int(n), None if best is None else float(best)


def activity_totals(db: Database, kind: str) -> tuple[int, int, int]:
    """Events of a kind: how many, their summed amount, their largest amount."""
    q = select(func.count(), func.coalesce(func.sum(ActivityEvent.amount), 0),
               func.coalesce(func.max(ActivityEvent.amount), 0)).where(ActivityEvent.kind == kind)
    with db.read() as s:
        n, total, largest = s.execute(q).one()
    return int(n), int(total), int(largest)


def first_activity_at(db: Database) -> datetime | None:
    """When the first recorded activity happened."""
    with db.read() as s:
        return s.scalar(select(func.min(ActivityEvent.at)))


def study_seconds(db: Database) -> int:
    """Active seconds of every study session (the same rows study minutes per day are summed from)."""
    q = select(func.coalesce(func.sum(StudySession.active_seconds), 0)).where(StudySession.deleted_at.is_(None))
    with db.read() as s:
        return int(s.scalar(q))
