"""Weekly points reported by desktops, and opt-in leaderboards per class and among connections."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.errors import ApiError, not_found
from sync_server.models import utcnow
from sync_server.social import connections

WEEKS_BACK = 8  # a desktop that was offline for a while may still report the weeks it missed


def current_week() -> date:
    """The Monday of the current UTC week."""
    today = utcnow().date()
    return today - timedelta(days=today.weekday())


def week_of(day: date) -> date:
    """The Monday of the week holding this day."""
    return day - timedelta(days=day.weekday())


def report_points(db: Session, user_id: str, week_start: date, points: int) -> models.WeeklyPoints:
    """Store the desktop's total for a week (absolute, the last report wins)."""
    if week_start.weekday() != 0:
        raise ApiError(422, "week_start must be a Monday", "VALIDATION_ERROR")
    now_week = current_week()
    if not now_week - timedelta(weeks=WEEKS_BACK) <= week_start <= now_week:
        raise ApiError(422, f"week_start must be this week or one of the last {WEEKS_BACK} weeks",
                       "VALIDATION_ERROR")
    values = {"user_id": user_id, "week_start": week_start, "points": points, "updated_at": utcnow()}
    # An upsert, so two devices reporting the same new week at once cannot collide on the primary key.
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(models.WeeklyPoints).values(**values)
    db.execute(insert.on_conflict_do_update(index_elements=["user_id", "week_start"],
                                            set_={"points": points, "updated_at": values["updated_at"]}))
    db.expire_all()
    return db.get(models.WeeklyPoints, (user_id, week_start))


def _ranked(db: Session, user_ids: list[str], week_start: date, me: str) -> list[dict]:
    """Opted-in people among user_ids with their points (0 when not reported), ranked 1, 1, 3 on ties."""
    if not user_ids:
        return []
    rows = db.execute(select(models.User.id, models.User.display_name, models.WeeklyPoints.points).outerjoin(
        models.WeeklyPoints, (models.WeeklyPoints.user_id == models.User.id)
        & (models.WeeklyPoints.week_start == week_start)).where(
        models.User.id.in_(user_ids), models.User.leaderboard_opt_in.is_(True), models.User.is_active.is_(True)))
    people = sorted(((uid, name, pts or 0) for uid, name, pts in rows), key=lambda r: (-r[2], r[1].lower(), r[0]))
    ranked, last_points, last_rank = [], None, 0
    for position, (uid, name, pts) in enumerate(people, start=1):
        rank = last_rank if pts == last_points else position
        ranked.append({"rank": rank, "user_id": uid, "display_name": name, "points": pts, "me": uid == me})
        last_points, last_rank = pts, rank
    return ranked


def class_board(db: Session, me: models.User, class_id: str, week_start: date | None) -> dict:
    """The class's opted-in members ranked for a week; non-members get 404."""
    if db.get(models.ClassMember, (class_id, me.id)) is None or db.get(models.SchoolClass, class_id) is None:
        raise not_found("no such class")
    week = week_of(week_start) if week_start else current_week()
    ids = list(db.scalars(select(models.ClassMember.user_id).where(models.ClassMember.class_id == class_id)))
    return {"scope": "class", "class_id": class_id, "week_start": week, "opted_in": bool(me.leaderboard_opt_in),
            "rows": _ranked(db, ids, week, me.id)}


def connections_board(db: Session, me: models.User, week_start: date | None) -> dict:
    """Me and my accepted connections, the opted-in ones ranked for a week."""
    week = week_of(week_start) if week_start else current_week()
    ids = [me.id, *connections.connected_ids(db, me.id)]
    return {"scope": "connections", "class_id": None, "week_start": week, "opted_in": bool(me.leaderboard_opt_in),
            "rows": _ranked(db, ids, week, me.id)}
