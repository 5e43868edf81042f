"""`lmgpa stats`: study minutes by day and class, reviews, retention, points, level, streak, achievements."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from lmgpa_desktop.cli.common import open_ctx

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the stats command."""
    p = sub.add_parser("stats", help="study minutes by day and class, reviews, retention, points and streak")
    p.add_argument("--range", choices=("week", "month", "term", "all"), default="week")
    p.add_argument("--class", dest="course", metavar="NAME", help="only this class")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_stats)


def _course_id(ctx: AppContext, name: str | None) -> int | None:
    from lmgpa_desktop.core.errors import UserError
    from lmgpa_desktop.storage import progress_repo

    if not name:
        return None
    for cid, cname in progress_repo.course_names(ctx.db).items():
        if cname.lower() == name.lower():
            return cid
    raise UserError(f"there is no class named {name!r}")


def game_summary(ctx: AppContext) -> dict | None:
    """Points, level, streak and achievements from core.gamification (None while that module is absent)."""
    try:
        from lmgpa_desktop.core.progress import gamification
    except ImportError:
        log.warning("core.gamification is missing: stats show no points or streak")
        return None
    return gamification.summary(ctx)


def stats(ctx: AppContext, range_name: str = "week", course_id: int | None = None) -> dict:
    """Everything `lmgpa stats` prints, as data."""
    from lmgpa_desktop.core.progress import analytics

    rep = analytics.report(ctx, range_name, course_id)
    data = analytics.as_dict(rep)
    data.pop("forecast")  # the page's chart; the terminal shows what is due today (overdue included)
    data["due_today"] = next(iter(rep.forecast.values()), 0)
    data["game"] = game_summary(ctx)
    return data


def cmd_stats(args) -> int:
    """Print the study statistics of a range."""
    from lmgpa_desktop.cli import print_json

    ctx = open_ctx(args)
    data = stats(ctx, args.range, _course_id(ctx, args.course))
    if args.json:
        print_json(data)
        return 0
    print(f"{data['start']} to {data['end']}: {data['total_minutes']:.0f} min studied, {data['reviews']} cards "
          f"reviewed, {data['due_today']} due today")
    retention = data["retention"]
    print("true retention: " + ("no answers to review-state cards yet" if retention is None else
                                f"{retention:.1%} of {data['retention_base']} review-state answers"))
    print("minutes by day:")
    for day, minutes in data["minutes_by_day"].items():
        reviews = data["reviews_by_day"].get(day, 0)
        if minutes or reviews or len(data["minutes_by_day"]) <= 31:
            print(f"  {day}  {minutes:6.0f} min  {reviews:5d} reviews")
    if data["minutes_by_class"]:
        print("minutes by class:")
        for name, minutes in data["minutes_by_class"].items():
            print(f"  {minutes:6.0f}  {name}")
    if data["minutes_by_activity"]:
        print("minutes by activity: " + ", ".join(f"{k} {v:.0f}" for k, v in data["minutes_by_activity"].items()))
    if data["tests"]:
        print(f"practice tests: {len(data['tests'])}, last {data['tests'][-1]['percent']:.0f}%")
    game = data["game"]
    if game:
        print(f"points {game['points']}, level {game['level']} (next at {game['next_level_points']}), "
              f"streak {game['streak_days']} days, {game['freezes_available']} streak freezes")
        for a in game["achievements"]:
            print(f"  achievement: {a['title']} ({a['unlocked_at']})")
    return 0
