"""The in-app notification centre and the rules for interrupting: per-type switches, quiet hours, a daily cap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from lmgpa_desktop.storage import notifications_repo
from lmgpa_desktop.storage.notifications_repo import NotificationRow

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

__all__ = [
    "KINDS",
    "NotificationRow",
    "Policy",
    "add",
    "clear",
    "clear_all",
    "day_start",
    "in_quiet_hours",
    "items",
    "local_tz",
    "mark_all_read",
    "mark_read",
    "policy",
    "quiet_ends_at",
    "set_daily_cap",
    "set_enabled",
    "set_quiet_hours",
    "student_tz",
    "subscribe",
    "unread_count",
    "unsubscribe",
]

# Kinds the student can switch off, with the label Settings shows.
KINDS = {
    "cards_due": "Cards ready to review (morning)",
    "deadline": "Assignment and exam dates",
    "goal_at_risk": "Today's goal still open (evening)",
    "streak_at_risk": "Streak needs today's goal (evening)",
    "achievement": "Achievements unlocked",
    # From the sync server (classes and groups), merged when signed in.
    "assignment": "New assignments in your classes",
    "due_soon": "Class work due soon",
    "graded": "Work graded",
    "submission": "Work handed in (teachers)",
    "message": "Group messages",
    "share": "Notes and decks shared to your groups",
    "request": "Connection requests",
    "connection": "Accepted connections",
}
QUIET_START_KEY, QUIET_END_KEY = "notifications.quiet_start", "notifications.quiet_end"
CAP_KEY = "notifications.daily_cap"
DEFAULT_QUIET = ("22:00", "08:00")
DEFAULT_CAP = 3
TZ_KEY = "progress.timezone"  # shared with core/goals.py so reminders and goals agree on the day

Listener = Callable[[NotificationRow | None], None]


@dataclass(frozen=True)
class Policy:
    """When the app may interrupt: which kinds, outside which hours, how often a day."""

    enabled: dict[str, bool]
    quiet_start: time | None
    quiet_end: time | None
    daily_cap: int

    def allows(self, kind: str) -> bool:
        """Whether this kind is switched on (unknown kinds, e.g. from the server, are on)."""
        return self.enabled.get(kind, True)


def local_tz(tz: tzinfo | None = None) -> tzinfo:
    """The given zone, or the computer's own (DST-aware)."""
    if tz is not None:
        return tz
    from tzlocal import get_localzone

    return get_localzone()


def student_tz(ctx: AppContext, tz: tzinfo | str | None = None) -> tzinfo:
    """The zone days are counted in: the argument, else the Progress time-zone setting, else the computer's."""
    chosen = tz if tz is not None else ctx.settings.get(TZ_KEY)
    if isinstance(chosen, str) and chosen:
        from zoneinfo import ZoneInfo

        return ZoneInfo(chosen)
    return local_tz(chosen or None)


def parse_time(value: object, fallback: str) -> time:
    """'HH:MM' as a time; the fallback when unreadable."""
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except (TypeError, ValueError):
        hours, minutes = fallback.split(":")
        return time(int(hours), int(minutes))


def policy(ctx: AppContext) -> Policy:
    """The current rules from the settings."""
    enabled = {kind: ctx.settings.get(f"notifications.{kind}") is not False for kind in KINDS}
    start, end = ctx.settings.get(QUIET_START_KEY), ctx.settings.get(QUIET_END_KEY)
    quiet = (None, None) if not start or not end else (parse_time(start, DEFAULT_QUIET[0]),
                                                         parse_time(end, DEFAULT_QUIET[1]))
    try:
        cap = max(0, int(ctx.settings.get(CAP_KEY)))
    except (TypeError, ValueError):
        cap = DEFAULT_CAP
    return Policy(enabled, quiet[0], quiet[1], cap)


def set_enabled(ctx: AppContext, kind: str, on: bool) -> None:
    """Switch one kind of notification on or off."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r} (kinds: {', '.join(KINDS)})")
    ctx.settings.set(f"notifications.{kind}", None if on else False)


def set_quiet_hours(ctx: AppContext, start: str | None, end: str | None) -> None:
    """Quiet hours as 'HH:MM' local times (may span midnight); None or equal times turn them off."""
    if start and end:
        start, end = parse_time(start, "x:x").strftime("%H:%M"), parse_time(end, "x:x").strftime("%H:%M")
    # An empty string (not None) so "off" is remembered instead of falling back to the default.
    ctx.settings.set(QUIET_START_KEY, start or "")
    ctx.settings.set(QUIET_END_KEY, end or "")


def set_daily_cap(ctx: AppContext, cap: int) -> None:
    """At most this many reminders a day (0 means none)."""
    ctx.settings.set(CAP_KEY, max(0, int(cap)))


# -- time rules --------------------------------------------------------------------------------------------------
def in_quiet_hours(rules: Policy, now: datetime, tz: tzinfo | None = None) -> bool:
    """Whether now falls inside quiet hours in the student's zone."""
    start, end = rules.quiet_start, rules.quiet_end
    if start is None or end is None or start == end:
        return False
    t = now.astimezone(local_tz(tz)).time()
    return start <= t < end if start < end else (t >= start or t < end)


def quiet_ends_at(rules: Policy, now: datetime, tz: tzinfo | None = None) -> datetime | None:
    """When the quiet hours around now end (UTC); None when now is not quiet."""
    if not in_quiet_hours(rules, now, tz):
        return None
    zone = local_tz(tz)
    local = now.astimezone(zone)
    end = datetime.combine(local.date(), rules.quiet_end, tzinfo=zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), rules.quiet_end, tzinfo=zone)
    return end.astimezone(UTC)


def day_start(now: datetime, tz: tzinfo | None = None) -> datetime:
    """Local midnight of now's day, in UTC (the daily cap counts from here)."""
    zone = local_tz(tz)
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone).astimezone(UTC)


# -- the centre --------------------------------------------------------------------------------------------------
def add(ctx: AppContext, kind: str, title: str, body: str = "", payload: dict | None = None,
        now: datetime | None = None) -> NotificationRow | None:
    """Put a notification in the centre (None when its kind is switched off)."""
    # Quiet hours and the cap are for reminders the app starts on its own (core/reminders.py); this is for
    # things the student just caused, such as an achievement, so only the switch applies.
    if not policy(ctx).allows(kind):
        return None
    row = notifications_repo.add(ctx.db, kind, title, body, payload, now or datetime.now(UTC))
    emit(ctx, row)
    return row


def items(ctx: AppContext, limit: int = 200) -> list[NotificationRow]:
    """The centre's notifications: unread first, then newest first."""
    return notifications_repo.items(ctx.db, limit)


def mark_read(ctx: AppContext, notification_id: int, read: bool = True, now: datetime | None = None) -> None:
    """Mark one notification read (or unread again)."""
    notifications_repo.set_read(ctx.db, [notification_id], (now or datetime.now(UTC)) if read else None)
    emit(ctx, None)


def mark_all_read(ctx: AppContext, now: datetime | None = None) -> int:
    """Mark everything in the centre read."""
    changed = notifications_repo.set_read(ctx.db, None, now or datetime.now(UTC))
    emit(ctx, None)
    return changed


def clear(ctx: AppContext, notification_id: int, now: datetime | None = None) -> None:
    """Remove one notification from the centre."""
    notifications_repo.clear(ctx.db, [notification_id], now or datetime.now(UTC))
    emit(ctx, None)


def clear_all(ctx: AppContext, now: datetime | None = None) -> int:
    """Empty the centre."""
    cleared = notifications_repo.clear(ctx.db, None, now or datetime.now(UTC))
    emit(ctx, None)
    return cleared


def unread_count(ctx: AppContext) -> int:
    """Unread notifications in the centre."""
    return notifications_repo.unread_count(ctx.db)


# -- change listeners (the GUI's page and badge) -----------------------------------------------------------------
def subscribe(ctx: AppContext, listener: Listener) -> None:
    """Call listener(row) when a notification arrives, listener(None) when the centre changes otherwise."""
    # Called from whichever thread made the change (the scheduler's, a job's): listeners must hand over.
    ctx.notification_listeners.subscribe(listener)


def unsubscribe(ctx: AppContext, listener: Listener) -> None:
    """Stop calling listener."""
    ctx.notification_listeners.unsubscribe(listener)


def emit(ctx: AppContext, row: NotificationRow | None) -> None:
    """Tell this profile's listeners that the centre changed (a broken listener is logged, the rest still hear)."""
    ctx.notification_listeners.publish(row)
