"""Reading time: counted only while the student is active in the viewer, recorded when they move on."""

from __future__ import annotations

from PySide6.QtWidgets import QTextBrowser

from lmgpa_desktop.core import activity
from lmgpa_desktop.ui.kit import reading_clock
from lmgpa_desktop.ui.kit.reading_clock import ReadingClock


class FakeTime:
    """A controllable monotonic clock (the test drives time; nothing about the app is faked)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_active_reading_is_recorded_and_idle_time_is_not(qtbot, ctx, monkeypatch):
    viewer = QTextBrowser()
    qtbot.addWidget(viewer)
    viewer.show()
    viewer.activateWindow()
    qtbot.waitUntil(viewer.isActiveWindow)
    t = FakeTime()
    clock = ReadingClock(ctx, viewer, clock=t)
    clock.timer.stop()  # the test ticks by hand
    clock.switch(7, course_id=None)
    for _ in range(12):  # one minute of reading, touching the page every 5 seconds
        t.now += 5
        clock.touched()
        clock.tick()
    for _ in range(60):  # then five idle minutes: only the first IDLE_S seconds still count
        t.now += 5
        clock.tick()
    clock.switch(None)
    events = activity.events(ctx, kinds=["reading"])
    assert [(e.ref_id, e.amount) for e in events] == [(7, 60 + round(reading_clock.IDLE_S))]
    clock.switch(8)
    t.now += 5
    clock.tick()
    clock.switch(9)  # a glance of 5 s is not reading
    assert len(activity.events(ctx, kinds=["reading"])) == 1
