"""A Pomodoro-style focus timer: work and break periods, pause, skip, stop; focused time becomes activity."""

# The timer holds no thread: whoever shows it calls tick() (the UI once a second, tests with a fake
# clock) and reads remaining(). Only time actually spent working counts: pauses are left out, and a work
# period cut short by Stop or Skip still records what was done if it reached MIN_RECORDED.

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lmgpa_desktop.core import activity

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

DEFAULTS = {"focus.work_minutes": 25, "focus.break_minutes": 5, "focus.long_break_minutes": 15,
            "focus.cycles_before_long_break": 4}
MIN_RECORDED = timedelta(minutes=1)  # a few seconds of "focus" is a misclick, not study

IDLE, WORK, BREAK = "idle", "work", "break"


def setting(ctx: AppContext | None, key: str) -> int:
    """A focus setting from the profile, or its default."""
    value = ctx.settings.get(key) if ctx is not None else None
    return int(value) if value else DEFAULTS[key]


class FocusTimer:
    """Work/break state machine with an injectable clock; records each work period as a "focus" event."""

    def __init__(self, ctx: AppContext | None, clock: Callable[[], datetime] | None = None,
                 on_change: Callable[[FocusTimer], None] | None = None):
        self.ctx = ctx
        self.clock = clock or (lambda: datetime.now(UTC))
        self.on_change = on_change
        self.phase = IDLE
        self.paused = False
        self.course_id: int | None = None
        self.completed_work = 0  # work periods finished since start (for the long break)
        self._length = timedelta(0)
        self._phase_started: datetime | None = None
        self._spent = timedelta(0)  # time in this phase before the current run (pauses excluded)
        self._run_started: datetime | None = None

    # -- reading ----------------------------------------------------------------------------------------------
    def lengths(self) -> tuple[timedelta, timedelta, timedelta]:
        """Work, short break and long break lengths from the settings."""
        return (timedelta(minutes=setting(self.ctx, "focus.work_minutes")),
                timedelta(minutes=setting(self.ctx, "focus.break_minutes")),
                timedelta(minutes=setting(self.ctx, "focus.long_break_minutes")))

    def spent(self) -> timedelta:
        """Time run in the current phase, pauses excluded."""
        running = self.clock() - self._run_started if self._run_started and not self.paused else timedelta(0)
        return self._spent + running

    def remaining(self) -> timedelta:
        """Time left in the current phase (0 when idle)."""
        return max(timedelta(0), self._length - self.spent()) if self.phase != IDLE else timedelta(0)

    # -- actions ----------------------------------------------------------------------------------------------
    def start(self, course_id: int | None = None) -> None:
        """Begin a work period (from idle, or restart after stop)."""
        self.course_id = course_id
        self._enter(WORK)

    def pause(self) -> None:
        """Stop the clock without ending the period."""
        if self.phase != IDLE and not self.paused:
            self._spent = self.spent()
            self.paused, self._run_started = True, None
            self._changed()

    def resume(self) -> None:
        """Continue after a pause."""
        if self.phase != IDLE and self.paused:
            self.paused, self._run_started = False, self.clock()
            self._changed()

    def skip(self) -> None:
        """End the current period now and go to the next (work done so far still counts)."""
        if self.phase == WORK:
            self._finish_work(completed=False)
            self._enter(BREAK)
        elif self.phase == BREAK:
            self._enter(WORK)

    def stop(self) -> None:
        """Back to idle; a work period's time so far is recorded."""
        if self.phase == WORK:
            self._finish_work(completed=False)
        self.phase, self.paused, self._run_started, self._spent = IDLE, False, None, timedelta(0)
        self._changed()

    def tick(self) -> None:
        """Advance when the current period has run out (call about once a second)."""
        if self.phase == IDLE or self.paused or self.remaining() > timedelta(0):
            return
        # a late tick must not stretch the next period: it began when this one ran out
        began = self.clock() - (self.spent() - self._length)
        if self.phase == WORK:
            self._finish_work(completed=True)
            self._enter(BREAK, began)
        else:
            self._enter(WORK, began)

    # -- inside -----------------------------------------------------------------------------------------------
    def _enter(self, phase: str, began: datetime | None = None) -> None:
        work, short, long = self.lengths()
        every = setting(self.ctx, "focus.cycles_before_long_break")
        self.phase, self.paused = phase, False
        if phase == WORK:
            self._length = work
        else:
            self._length = long if self.completed_work and self.completed_work % every == 0 else short
        self._spent, self._phase_started = timedelta(0), began or self.clock()
        self._run_started = self._phase_started
        self._changed()

    def _finish_work(self, completed: bool) -> None:
        done = min(self.spent(), self._length)
        if completed:
            self.completed_work += 1
        if self.ctx is not None and (completed or done >= MIN_RECORDED):
            # the event ends now; if the period ran out between ticks, it ended when its time was up
            at = self.clock() - (self.spent() - done)
            activity.record(self.ctx, "focus", course_id=self.course_id, amount=round(done.total_seconds()),
                            at=at, details={"completed": completed})

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)
