"""Goals rows, and the per-15-minute counts that goal progress and streaks are built from."""

# Counts come back per 15-minute UTC bucket rather than per day: every real time zone's offset is a
# multiple of 15 minutes, so a bucket never straddles a local midnight, and core can place each bucket in
# the student's local day (DST included) without fetching a million rows.

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Integer, case, cast, func, select

from lmgpa_desktop.storage.base import utcnow
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import (
    Card,
    Deck,
    Goal,
    PracticeTest,
    ReviewLog,
    TestAttempt,
)

BUCKET_S = 900


@dataclass(frozen=True)
class GoalRecord:
    """One goal as plain data."""

    id: int | None
    metric: str
    period: str
    target: int
    course_id: int | None
    active: bool = True


def _goal(g: Goal) -> GoalRecord:
    return GoalRecord(g.id, g.metric, g.period, g.target, g.course_id, g.active)


def add(db: Database, metric: str, period: str, target: int, course_id: int | None = None) -> GoalRecord:
    """Insert a goal."""
    with db.write() as s:
        g = Goal(metric=metric, period=period, target=target, course_id=course_id, active=True)
        s.add(g)
        s.flush()
        return _goal(g)


def get(db: Database, goal_id: int) -> GoalRecord | None:
    """One live goal, or None."""
    with db.read() as s:
        g = s.get(Goal, goal_id)
        return _goal(g) if g is not None and g.deleted_at is None else None


def all_goals(db: Database, active_only: bool = True) -> list[GoalRecord]:
    """Live goals, daily first, then by id."""
    q = select(Goal).where(Goal.deleted_at.is_(None)).order_by(Goal.period, Goal.id)
    if active_only:
        q = q.where(Goal.active.is_(True))
    with db.read() as s:
        return [_goal(g) for g in s.scalars(q)]


def update(db: Database, goal_id: int, **fields) -> GoalRecord:
    """Change a goal's metric, period, target, class or active flag."""
    with db.write() as s:
        g = s.get(Goal, goal_id)
        if g is None or g.deleted_at is not None:
            raise KeyError(goal_id)
        for key, value in fields.items():
            setattr(g, key, value)
        s.flush()
        return _goal(g)


def remove(db: Database, goal_id: int) -> None:
    """Tombstone a goal (rows are synced, so they are marked rather than deleted)."""
    with db.write() as s:
        g = s.get(Goal, goal_id)
        if g is not None:
            g.deleted_at = utcnow()


def _bucket(column):
    return cast(cast(func.strftime("%s", column), Integer) / BUCKET_S, Integer)


def _buckets(rows) -> dict[datetime, int]:
    return {datetime.fromtimestamp(b * BUCKET_S, UTC): int(n) for b, n in rows if n}


def review_buckets(db: Database, start: datetime | None, end: datetime | None,
                   course_id: int | None = None) -> dict[datetime, int]:
    """Card answers per 15-minute bucket in [start, end); an undo row (rating 0) counts -1."""
    b = _bucket(ReviewLog.reviewed_at)
    q = select(b, func.sum(case((ReviewLog.rating > 0, 1), else_=-1))).group_by(b)
    if start is not None:
        q = q.where(ReviewLog.reviewed_at >= start)
    if end is not None:
        q = q.where(ReviewLog.reviewed_at < end)
    if course_id is not None:
        q = q.join(Card, Card.id == ReviewLog.card_id).join(Deck, Deck.id == Card.deck_id).where(
            Deck.course_id == course_id)
    with db.read() as s:
        return _buckets(s.execute(q))


def test_buckets(db: Database, start: datetime | None, end: datetime | None,
                 course_id: int | None = None) -> dict[datetime, int]:
    """Finished practice-test attempts per 15-minute bucket in [start, end)."""
    b = _bucket(TestAttempt.finished_at)
    q = select(b, func.count()).where(TestAttempt.finished_at.is_not(None),
                                      TestAttempt.deleted_at.is_(None)).group_by(b)
    if start is not None:
        q = q.where(TestAttempt.finished_at >= start)
    if end is not None:
        q = q.where(TestAttempt.finished_at < end)
    if course_id is not None:
        q = q.join(PracticeTest, PracticeTest.id == TestAttempt.test_id).where(PracticeTest.course_id == course_id)
    with db.read() as s:
        return _buckets(s.execute(q))
