"""Reminders: which are due when (pure, with an injectable clock) and the apscheduler service that triggers them."""

# Every reminder is a *slot* with a stable key (cards_due:2026-11-27, deadline:7:day_before). run_due decides
# each slot whose time has come exactly once and logs the decision (storage/notifications_repo), so a slot
# missed while the app was closed is delivered at the next start and a restart never repeats it. apscheduler
# (its job store in the profile's own database) only decides *when* run_due runs, so the logic is testable
# with any clock and a trigger that fires twice (coalesced misfire + start-up catch-up) is harmless.

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from lmgpa_desktop.core.progress import notifications
from lmgpa_desktop.core.progress.notifications import NotificationRow, Policy
from lmgpa_desktop.storage import deadlines_repo, notifications_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

log = logging.getLogger(__name__)
__all__ = ["ReminderService", "RunResult", "Slot", "due_slots", "reschedule", "run_due", "upcoming"]

MORNING_KEY, EVENING_KEY = "notifications.morning", "notifications.evening"
DEADLINE_HORIZON = timedelta(days=14)  # deadlines further out get their jobs at a later sync
SWEEP_MINUTES = 15  # safety net: picks up deadlines added by the CLI and settings changed elsewhere
MISFIRE_GRACE = 12 * 3600  # a trigger missed by less than this still runs once at start (coalesced)
# Deadlines first: when the daily cap is tight, the most useful reminders go out.
PRIORITY = {"deadline": 0, "streak_at_risk": 1, "goal_at_risk": 2, "cards_due": 3}

Deliver = Callable[[NotificationRow], None]
Message = tuple[str, str]


@dataclass(frozen=True)
class Slot:
    """One reminder moment: its key, kind, time (UTC), when it stops making sense, and what it is about."""

    key: str
    kind: str
    at: datetime
    expires: datetime
    ref: int | None = None  # the deadline id for deadline reminders
    label: str = ""


@dataclass
class RunResult:
    """What one run decided."""

    delivered: list[NotificationRow] = field(default_factory=list)
    decided: dict[str, str] = field(default_factory=dict)  # key -> outcome (delivered, off, capped, ...)
    deferred_until: datetime | None = None  # quiet hours: due slots wait until then


# -- slots ---------------------------------------------------------------------------------------------------------
def _at(day, clock: time, zone: tzinfo) -> datetime:
    """A local wall-clock time on a day, as UTC (zoneinfo picks the right offset on DST days)."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def times(ctx: AppContext) -> tuple[time, time]:
    """Morning and evening reminder times from the settings."""
    return (notifications.parse_time(ctx.settings.get(MORNING_KEY), "08:00"),
            notifications.parse_time(ctx.settings.get(EVENING_KEY), "19:00"))


def daily_slots(ctx: AppContext, day, zone: tzinfo) -> list[Slot]:
    """The day's cards, goal and streak reminders; each makes sense until that day ends."""
    morning, evening = times(ctx)
    ends = _at(day + timedelta(days=1), time(0), zone)
    return [Slot(f"cards_due:{day.isoformat()}", "cards_due", _at(day, morning, zone), ends, label="Cards to review"),
            Slot(f"goal_at_risk:{day.isoformat()}", "goal_at_risk", _at(day, evening, zone), ends,
                 label="Today's goal"),
            Slot(f"streak_at_risk:{day.isoformat()}", "streak_at_risk", _at(day, evening, zone), ends,
                 label="Streak")]


def deadline_slots(ctx: AppContext, deadline, zone: tzinfo) -> list[Slot]:
    """A deadline's reminders: a day before and the morning of, never before it was added."""
    morning, _ = times(ctx)
    what = f"{deadline.kind.capitalize()}: {deadline.title}"
    due = deadline.due_at.astimezone(zone)
    # The same wall-clock time the day before (not 24 hours: a DST change in between would shift it).
    candidates = [("day_before", _at(due.date() - timedelta(days=1), due.time(), zone)),
                  ("morning", _at(due.date(), morning, zone))]
    return [Slot(f"deadline:{deadline.id}:{which}", "deadline", at, deadline.due_at, deadline.id, what)
            for which, at in candidates if deadline.created_at <= at < deadline.due_at]


def all_slots(ctx: AppContext, now: datetime, zone: tzinfo, horizon: timedelta = timedelta(days=2)) -> list[Slot]:
    """Today's and the coming days' slots plus those of open deadlines not yet due (sorted by time)."""
    today = now.astimezone(zone).date()
    found = [s for offset in range((horizon.days or 0) + 1)
             for s in daily_slots(ctx, today + timedelta(days=offset), zone)]
    for deadline in deadlines_repo.listing(ctx.db, since=now, until=now + max(horizon, timedelta(days=1)) +
                                           timedelta(days=1), include_done=False):
        found.extend(deadline_slots(ctx, deadline, zone))
    return sorted(found, key=lambda s: (s.at, PRIORITY.get(s.kind, 9)))


def due_slots(ctx: AppContext, now: datetime, zone: tzinfo) -> list[Slot]:
    """Slots whose time has come, still meaningful and not yet decided; one per deadline (the latest)."""
    today = now.astimezone(zone).date()
    candidates = [s for s in daily_slots(ctx, today, zone) if s.at <= now < s.expires]
    for deadline in deadlines_repo.listing(ctx.db, since=now, until=now + timedelta(days=2), include_done=False):
        candidates.extend(s for s in deadline_slots(ctx, deadline, zone) if s.at <= now)
    decided = notifications_repo.decided_keys(ctx.db, [s.key for s in candidates])
    return [s for s in candidates if s.key not in decided]


# -- what each reminder says (never guilt: what is there, and that a little is enough) ------------------------
def _cards_due(ctx: AppContext, slot: Slot, now: datetime, zone: tzinfo) -> Message | None:
    from lmgpa_desktop.core.study import review

    total = review.counts(ctx, now=now).total
    if total <= 0:
        return None
    return (f"{total} card{'s' if total != 1 else ''} ready to review",
            "A few minutes of review whenever it suits you keeps them fresh.")


def _goal_at_risk(ctx: AppContext, slot: Slot, now: datetime, zone: tzinfo) -> Message | None:
    from lmgpa_desktop.core.progress import goals

    if goals.daily_goal_met(ctx, now.astimezone(zone).date(), tz=zone):
        return None
    open_goals = [p for p in goals.progress(ctx, now=now, tz=zone) if p.goal.period == "daily" and not p.met]
    if not open_goals:
        return None
    p = min(open_goals, key=lambda g: g.target - g.done)  # the closest one is the friendliest suggestion
    left = max(0, round(p.target - p.done))
    unit = {"minutes": "minutes", "cards": "cards", "tests": "tests"}.get(p.goal.metric, "")
    if p.default or len(open_goals) == 1:  # the default goals count as met when either one is
        return ("Today's goal is within reach", f"{left} more {unit} would meet it, if this evening allows.")
    return ("Today's goals are within reach",
            f"{len(open_goals)} are still open; {left} more {unit} would meet the closest, if this evening allows.")


def _streak_at_risk(ctx: AppContext, slot: Slot, now: datetime, zone: tzinfo) -> Message | None:
    from lmgpa_desktop.core.progress import gamification

    streak_of = getattr(gamification, "streak", None)
    if streak_of is None:  # raised as ImportError so _decide treats it as a feature not built yet
        raise ImportError("core.gamification has no streak()")
    streak = streak_of(ctx, now=now, tz=zone)
    if not streak.at_risk_today or streak.days <= 0:
        return None
    body = "A short session today keeps it going."
    if streak.freezes_available:
        body += " A streak freeze would cover today otherwise."
    return (f"Your {streak.days}-day streak continues with today's goal", body)


def _deadline(ctx: AppContext, slot: Slot, now: datetime, zone: tzinfo) -> Message | None:
    deadline = deadlines_repo.get(ctx.db, slot.ref) if slot.ref is not None else None
    if deadline is None or deadline.done or deadline.due_at <= now:
        return None
    local_due = deadline.due_at.astimezone(zone)
    days = (local_due.date() - now.astimezone(zone).date()).days
    when = "today" if days <= 0 else "tomorrow" if days == 1 else local_due.strftime("%A")
    what = "Exam" if deadline.kind == "exam" else "Due"
    course = f" ({deadline.course_name})" if deadline.course_name else ""
    return (f"{what} {when}: {deadline.title}{course}", f"At {local_due.strftime('%H:%M')}, {local_due:%a %d %b}.")


CHECKS: dict[str, Callable[..., Message | None]] = {
    "cards_due": _cards_due, "goal_at_risk": _goal_at_risk, "streak_at_risk": _streak_at_risk, "deadline": _deadline,
}


# -- deciding ------------------------------------------------------------------------------------------------------
def run_due(ctx: AppContext, now: datetime | None = None, tz: tzinfo | str | None = None,
            deliver: Deliver | None = None,
            checks: dict[str, Callable[..., Message | None]] | None = None) -> RunResult:
    """Decide each slot whose time has come: deliver (store + callback), skip with a reason, or wait for quiet hours."""
    now = now or datetime.now(UTC)
    zone = notifications.student_tz(ctx, tz)
    rules: Policy = notifications.policy(ctx)
    checks = {**CHECKS, **(checks or {})}
    result = RunResult()
    slots = due_slots(ctx, now, zone)
    # A deadline whose day-before and morning reminders were both missed gets only the later one.
    latest: dict[int, Slot] = {}
    for s in slots:
        if s.kind == "deadline" and (s.ref not in latest or s.at > latest[s.ref].at):
            latest[s.ref] = s
    for s in sorted(slots, key=lambda s: (PRIORITY.get(s.kind, 9), s.at)):
        if s.kind == "deadline" and latest[s.ref] is not s:
            _resolve(ctx, s, "superseded", now, result)
        elif not rules.allows(s.kind):
            _resolve(ctx, s, "off", now, result)
        elif notifications.in_quiet_hours(rules, now, zone):
            result.deferred_until = notifications.quiet_ends_at(rules, now, zone)  # undecided: runs again then
        else:
            _decide(ctx, s, now, zone, rules, checks, deliver, result)
    return result


def _decide(ctx: AppContext, s: Slot, now, zone, rules: Policy, checks, deliver: Deliver | None,
            result: RunResult) -> None:
    """Check the condition at delivery time (a goal met since the slot's time is not nagged about), then the cap."""
    try:
        message = checks[s.kind](ctx, s, now, zone)
    except ImportError:  # a feature not built in this version: nothing to remind about
        log.warning("no check for %s reminders in this version", s.kind)
        message = None
    if message is None:
        _resolve(ctx, s, "not_needed", now, result)
        return
    if notifications_repo.delivered_since(ctx.db, notifications.day_start(now, zone)) >= rules.daily_cap:
        _resolve(ctx, s, "capped", now, result)
        return
    title, body = message
    row = notifications_repo.deliver_once(ctx.db, s.key, s.kind, s.at, title, body,
                                          {"key": s.key, "ref": s.ref}, now)
    if row is None:  # another process decided it a moment ago
        return
    result.delivered.append(row)
    result.decided[s.key] = "delivered"
    log.info("reminder %s delivered", s.key)
    notifications.emit(ctx, row)
    if deliver is not None:
        try:
            deliver(row)
        except Exception:  # noqa: BLE001 - the row is stored; a failed popup must not lose it
            log.exception("reminder delivery callback failed")


def _resolve(ctx: AppContext, s: Slot, outcome: str, now: datetime, result: RunResult) -> None:
    if notifications_repo.resolve(ctx.db, s.key, s.kind, s.at, outcome, now):
        result.decided[s.key] = outcome


@dataclass(frozen=True)
class Upcoming:
    """A reminder still to come, and when it would actually be shown."""

    key: str
    kind: str
    label: str
    at: datetime
    shows_at: datetime  # after quiet hours
    enabled: bool
    waiting: bool = False  # its time has passed and it waits for the next run (quiet hours, app closed)


def upcoming(ctx: AppContext, now: datetime | None = None, tz: tzinfo | str | None = None,
             horizon: timedelta = timedelta(days=2)) -> list[Upcoming]:
    """Reminder slots still to decide from now to the horizon (whether they fire depends on the day)."""
    now = now or datetime.now(UTC)
    zone = notifications.student_tz(ctx, tz)
    rules = notifications.policy(ctx)
    waiting = {s.key for s in due_slots(ctx, now, zone)}  # due but undecided, e.g. held by quiet hours
    slots = [s for s in all_slots(ctx, now, zone, horizon)
             if (s.at > now or s.key in waiting) and s.at <= now + horizon]
    decided = notifications_repo.decided_keys(ctx.db, [s.key for s in slots])
    return [Upcoming(s.key, s.kind, s.label, s.at, notifications.quiet_ends_at(rules, max(s.at, now), zone)
                     or max(s.at, now), rules.allows(s.kind), s.key in waiting)
            for s in slots if s.key not in decided]


# -- the scheduler ---------------------------------------------------------------------------------------------------
_SERVICES: dict[str, ReminderService] = {}
_SERVICES_LOCK = threading.Lock()


def tick(profile: str) -> None:
    """What every stored apscheduler job calls: run the due reminders of the open profile."""
    # Jobs are pickled into the database, so they name the profile, not the (unpicklable) context.
    with _SERVICES_LOCK:
        service = _SERVICES.get(profile)
    if service is not None:
        service.run_now()
        service.sync_jobs()


def reschedule(ctx: AppContext) -> None:
    """Settings or deadlines changed: move this profile's jobs (when its scheduler runs in this process)."""
    with _SERVICES_LOCK:
        service = _SERVICES.get(str(ctx.db.path))
    if service is not None:
        threading.Thread(target=service.sync_jobs, name="reminders-sync", daemon=True).start()


def preload() -> None:
    """Import apscheduler here, on the calling thread, before a worker thread starts the service."""
    # Importing apscheduler (which imports multiprocessing) on a worker while the UI thread imports Qt modules
    # deadlocked on Python's import locks; importing it up front leaves the worker nothing to import.
    import apscheduler.executors.pool  # noqa: F401
    import apscheduler.jobstores.base  # noqa: F401
    import apscheduler.schedulers.background  # noqa: F401
    import apscheduler.triggers.cron  # noqa: F401
    import apscheduler.triggers.date  # noqa: F401
    import apscheduler.triggers.interval  # noqa: F401

    from lmgpa_desktop.storage import scheduler_store

    scheduler_store.preload()


class ReminderService:
    """apscheduler's BackgroundScheduler with its jobs in the profile's database; each job runs run_due."""

    def __init__(self, ctx: AppContext, deliver: Deliver | None = None, clock: Callable[[], datetime] | None = None,
                 tz: tzinfo | str | None = None):
        self.ctx, self.deliver = ctx, deliver
        self.clock = clock or (lambda: datetime.now(UTC))
        self.zone = notifications.student_tz(ctx, tz)
        self.profile = str(ctx.db.path)
        self.scheduler = None
        self._run_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self.last: RunResult | None = None

    def start(self) -> RunResult:
        """Open the job store, start triggering, add missing jobs, deliver what was missed (off the UI thread)."""
        from apscheduler.schedulers.background import BackgroundScheduler

        from lmgpa_desktop.storage import scheduler_store

        # apscheduler logs every run at INFO; the sweep alone would add ~200 lines a day to the app's log.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        self.scheduler = BackgroundScheduler(
            jobstores={"default": scheduler_store.job_store(self.ctx.db)},
            executors={"default": {"type": "threadpool", "max_workers": 1}},
            job_defaults={"coalesce": True, "misfire_grace_time": MISFIRE_GRACE, "max_instances": 1},
            timezone=self.zone)
        with _SERVICES_LOCK:
            _SERVICES[self.profile] = self
        self.scheduler.start()  # stored jobs whose time passed while closed fire once now (coalesced)
        self.sync_jobs()
        return self.run_now()  # and the slot log makes sure each missed reminder is delivered exactly once

    def stop(self) -> None:
        """Stop triggering (the jobs stay in the database for the next start)."""
        with _SERVICES_LOCK:
            if _SERVICES.get(self.profile) is self:
                del _SERVICES[self.profile]
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.scheduler = None

    def run_now(self) -> RunResult:
        """Decide the due slots at the clock's time."""
        with self._run_lock:
            self.last = run_due(self.ctx, self.clock(), self.zone, self.deliver)
            return self.last

    def wanted_jobs(self) -> dict[str, object]:
        """The triggers this profile needs now: morning, evening, quiet-hours end, a sweep, each deadline slot."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.date import DateTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        morning, evening = times(self.ctx)
        wanted: dict[str, object] = {
            "reminders:morning": CronTrigger(hour=morning.hour, minute=morning.minute, timezone=self.zone),
            "reminders:evening": CronTrigger(hour=evening.hour, minute=evening.minute, timezone=self.zone),
            "reminders:sweep": IntervalTrigger(minutes=SWEEP_MINUTES, timezone=self.zone),
        }
        rules = notifications.policy(self.ctx)
        if rules.quiet_end is not None and rules.quiet_start != rules.quiet_end:
            wanted["reminders:quiet_end"] = CronTrigger(hour=rules.quiet_end.hour, minute=rules.quiet_end.minute,
                                                        timezone=self.zone)
        now = self.clock()
        for deadline in deadlines_repo.listing(self.ctx.db, since=now, until=now + DEADLINE_HORIZON,
                                               include_done=False):
            for s in deadline_slots(self.ctx, deadline, self.zone):
                if s.at > now:
                    wanted[s.key] = DateTrigger(run_date=s.at, timezone=self.zone)
        return wanted

    def sync_jobs(self) -> None:
        """Make the stored jobs match wanted_jobs(), leaving unchanged ones alone so their missed runs still fire."""
        from apscheduler.jobstores.base import JobLookupError

        with self._sync_lock:
            scheduler = self.scheduler
            if scheduler is None or not scheduler.running:
                return
            wanted = self.wanted_jobs()
            current = {job.id: job for job in scheduler.get_jobs(jobstore="default")}
            for job_id in current.keys() - wanted.keys():
                try:
                    scheduler.remove_job(job_id, jobstore="default")
                except JobLookupError:
                    pass  # a one-off deadline job the scheduler just removed after running it
            for job_id, trigger in wanted.items():
                old = current.get(job_id)
                if old is not None and str(old.trigger) == str(trigger):
                    continue
                scheduler.add_job(tick, trigger, args=[self.profile], id=job_id, jobstore="default",
                                  replace_existing=True, name=job_id)

    def next_times(self, now: datetime | None = None) -> dict[str, datetime | None]:
        """Each stored job's next fire time after now (from its trigger, so tests can ask with any clock)."""
        now = now or self.clock()
        return {job.id: job.trigger.get_next_fire_time(None, now.astimezone(self.zone))
                for job in self.scheduler.get_jobs(jobstore="default")}
