"""Derived state caught up after an apply, besides FSRS (core/sync/replay.py): points/streak/achievements, the index."""

# Points are awarded at action time by the activity listener (core/progress/gamification.py), which never sees
# events that arrive by sync. So after activity arrives, the point events from the local day of the earliest
# arrival on are deleted and judged again, in time order, from the merged activity (the same rules, the same
# daily caps); the streak is settled again from the first day (its state and freezes are derived too); then the
# achievements are checked once against the merged totals (an unlock stays unlocked; new ones are stamped now).
# Study sessions sync as rows (each device detected its own), so they are not rebuilt here.
# Activity refs (ref_id, details.deck_id) are the recording device's local ids: "the same card pays once a day"
# may then tell two devices' cards apart by a number that means another card here.

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.library import indexing
from lmgpa_desktop.core.progress import achievements, gamification, goals, points, streaks
from lmgpa_desktop.storage import sources_repo
from lmgpa_desktop.storage.sync import replay_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def rebuild_progress(ctx: AppContext, since: datetime | None = None, now: datetime | None = None) -> int:
    """Judge points again from since's local day (None: from the start), settle the streak again, check the
    achievements; returns how many activity events were judged."""
    now = now or datetime.now(UTC)
    gamification.drain(ctx)  # events of this device still queued are judged first, then all again
    with ctx.gamification.lock:
        zone = goals.resolve_tz(ctx)
        start = goals.day_start(goals.local_day(since, zone), zone) if since is not None else EPOCH
        replay_repo.clear_points_since(ctx.db, start)
        events = activity.events(ctx, start, None)
        for event in events:
            points.on_event(ctx, event, zone)
            points.daily_goal(ctx, event.at, zone)
        ctx.settings.set(streaks.STATE_KEY, {})
        ctx.settings.set(gamification.BESTS_KEY, {})
        replay_repo.clear_freezes(ctx.db)
        streaks.settle(ctx, goals.today(now, zone), zone)
        ctx.gamification.memo.pop(gamification.FIRST_OF_DAY, None)
        achievements.check(ctx, None, now, zone)
        return len(events)


def queue_indexing(ctx: AppContext, source_ids) -> int:
    """Queue the existing index job for each live source whose text arrived or changed; how many were queued."""
    queued = 0
    for source_id in sorted(source_ids):
        source = sources_repo.get(ctx.db, source_id)
        if source is None or getattr(source, "deleted_at", None) is not None:
            continue
        indexing.queue_index(ctx, source.id, source.title or "")
        queued += 1
    return queued
