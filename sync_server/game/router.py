"""/api/game: weekly points from the desktop, and opt-in leaderboards per class and among connections."""

from __future__ import annotations

from datetime import date

from fastapi import Request

from sync_server.auth.deps import CurrentCaller
from sync_server.deps import DB, Router
from sync_server.envelope import wrap
from sync_server.game import schemas as s
from sync_server.game import service as leaderboards
from sync_server.schemas import ERRORS, Envelope, PathId

router = Router(prefix="/api/game", tags=["game"], responses=ERRORS)


@router.post("/points", response_model=Envelope[s.PointsPublic])
def report_points(body: s.PointsIn, request: Request, db: DB, caller: CurrentCaller):
    """Report my total for a week (a Monday, this week or up to 8 weeks back); the last report wins."""
    row = leaderboards.report_points(db, caller.id, body.week_start, body.points)
    return wrap(request, s.PointsPublic(week_start=row.week_start, points=row.points, updated_at=row.updated_at)
                .model_dump(mode="json"))


@router.get("/leaderboards/class/{class_id}", response_model=Envelope[s.LeaderboardPublic])
def class_leaderboard(class_id: PathId, request: Request, db: DB, caller: CurrentCaller,
                      week_start: date | None = None):
    """Opted-in members of a class I am in, ranked by points for the week (default: this week)."""
    board = leaderboards.class_board(db, caller.in_session(db), class_id, week_start)
    return wrap(request, s.LeaderboardPublic(**board).model_dump(mode="json"))


@router.get("/leaderboards/connections", response_model=Envelope[s.LeaderboardPublic])
def connections_leaderboard(request: Request, db: DB, caller: CurrentCaller, week_start: date | None = None):
    """Me and my accepted connections who opted in, ranked by points for the week (default: this week)."""
    board = leaderboards.connections_board(db, caller.in_session(db), week_start)
    return wrap(request, s.LeaderboardPublic(**board).model_dump(mode="json"))
