"""Notification centre page (offscreen): unread styling, mark read/unread, clear, clear all, empty state; the
window runs the reminder service, counts unread on the navigation badge; Settings edits the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lmgpa_desktop.core.progress import notifications
from lmgpa_desktop.storage import cards_repo
from lmgpa_desktop.ui.progress.notifications_page import EMPTY_TEXT, NotificationsPage


@pytest.fixture
def page(qtbot, ctx):
    p = NotificationsPage(ctx)
    qtbot.addWidget(p)
    p.resize(800, 600)
    p.show()
    yield p
    p.ops.close()


def _settled(qtbot, page, count: int) -> None:
    qtbot.waitUntil(lambda: page.ops.pending == 0 and page.list.count() == count)


def _item(page, title: str):
    for i in range(page.list.count()):
        if title in page.list.item(i).text():
            return page.list.item(i)
    raise AssertionError(f"{title!r} not listed")


def test_empty_state_then_unread_first_with_bold_unread_rows(qtbot, ctx, page, tmp_path):
    qtbot.waitUntil(lambda: page.views.currentWidget() is page.empty)
    assert page.empty.text() == EMPTY_TEXT
    assert not page.clear_all_button.isEnabled()

    t0 = datetime(2031, 3, 10, 9, tzinfo=UTC)
    old = notifications.add(ctx, "deadline", "Due tomorrow: History essay", "At 17:00, Wed 12 Mar.", now=t0)
    notifications.add(ctx, "cards_due", "12 cards ready to review", now=t0 + timedelta(hours=1))
    notifications.mark_read(ctx, old.id)
    qtbot.waitUntil(lambda: page.summary.text() == "1 unread of 2")  # the centre's listener refreshed the page
    assert page.views.currentWidget() is page.list
    first, second = page.list.item(0), page.list.item(1)
    assert "12 cards ready to review" in first.text() and first.font().bold()
    assert "History essay" in second.text() and not second.font().bold()
    assert second.foreground().color() != first.foreground().color()  # read rows are muted
    page.grab().save(str(tmp_path / "notifications.png"))


def test_mark_read_and_unread_clear_and_clear_all(qtbot, ctx, page):
    for title in ("Exam tomorrow: Midterm", "3 cards ready to review", "Today's goal is within reach"):
        notifications.add(ctx, "deadline", title)
    _settled(qtbot, page, 3)
    counts = []
    page.unread_changed.connect(counts.append)

    _item(page, "Midterm").setSelected(True)
    assert page.read_button.text() == "Mark read"
    page.read_button.click()
    qtbot.waitUntil(lambda: not _item(page, "Midterm").font().bold())
    assert notifications.unread_count(ctx) == 2
    assert page.list.item(2).text() == _item(page, "Midterm").text()  # read rows sink to the bottom
    _item(page, "Midterm").setSelected(True)
    assert page.read_button.text() == "Mark unread"
    page.read_button.click()
    qtbot.waitUntil(lambda: _item(page, "Midterm").font().bold())
    assert notifications.unread_count(ctx) == 3

    page.list.clearSelection()
    _item(page, "3 cards").setSelected(True)
    page.clear_button.click()
    _settled(qtbot, page, 2)
    assert all("3 cards" not in page.list.item(i).text() for i in range(2))

    page.all_read_button.click()
    qtbot.waitUntil(lambda: page.ops.pending == 0 and not page.list.item(0).font().bold())
    assert notifications.unread_count(ctx) == 0 and counts[-1] == 0

    page.clear_all_button.click()
    _settled(qtbot, page, 0)
    assert page.views.currentWidget() is page.empty and notifications.items(ctx) == []


def test_window_runs_reminders_into_the_centre_and_badges_the_unread_count(qtbot, ctx):
    from lmgpa_desktop.app import build_window

    notifications.set_quiet_hours(ctx, None, None)
    for kind in ("deadline", "goal_at_risk", "streak_at_risk"):  # the start runs at the real time of day
        notifications.set_enabled(ctx, kind, False)
    window = build_window(ctx)
    qtbot.addWidget(window)
    try:
        window.notifier.wait_started()  # the scheduler started off the UI thread
        service = window.notifier.service
        assert service.scheduler is not None and service.scheduler.running
        assert service.last.delivered == []  # no cards yet, so nothing to say at start
        deck = cards_repo.create_deck(ctx.db, "Biology")
        cards_repo.create_card(ctx.db, deck.id, "What does the mitochondrion make?", "ATP")
        service.clock = lambda: datetime(2031, 3, 10, 12, tzinfo=UTC)  # past that day's morning time
        delivered = service.run_now().delivered
        assert [n.kind for n in delivered] == ["cards_due"]
        qtbot.waitUntil(lambda: window.notifier.shown == delivered)  # handed to the tray (silent offscreen)
        badge = window.nav.item(window.nav.count() - 3)
        assert badge.text() == "Notifications"
        qtbot.waitUntil(lambda: badge.toolTip() == "1 unread")  # the entry always has its icon; the badge joins it
        assert not badge.icon().isNull()

        window.show_area("notifications")
        page = window.pages["notifications"]
        qtbot.waitUntil(lambda: page.list.count() == 1)
        assert "1 card ready to review" in page.list.item(0).text()
        page.all_read_button.click()
        qtbot.waitUntil(lambda: badge.toolTip() == "")  # the badge goes; the entry keeps its plain icon
        assert not badge.icon().isNull()
    finally:
        window.close()
    assert window.notifier.service.scheduler is None  # stopped with the window; its jobs stay stored


def test_settings_section_edits_switches_quiet_hours_and_cap(qtbot, ctx):
    from lmgpa_desktop.ui.kit.job_runner import JobRunner
    from lmgpa_desktop.ui.shell.settings_page import SettingsPage

    settings = SettingsPage(ctx, JobRunner(ctx))
    qtbot.addWidget(settings)
    assert all(box.isChecked() for box in settings.notify_kinds.values())
    settings.notify_kinds["achievement"].setChecked(False)
    assert notifications.policy(ctx).allows("achievement") is False
    assert settings.quiet_on.isChecked() and settings.quiet_start.time().toString("HH:mm") == "22:00"
    settings.quiet_start.setTime(settings.quiet_start.time().fromString("21:30", "HH:mm"))
    assert notifications.policy(ctx).quiet_start.strftime("%H:%M") == "21:30"
    settings.quiet_on.setChecked(False)
    assert notifications.policy(ctx).quiet_start is None and not settings.quiet_end.isEnabled()
    settings.daily_cap.setValue(5)
    assert notifications.policy(ctx).daily_cap == 5
    settings.remind_times["notifications.morning"].setTime(
        settings.quiet_start.time().fromString("07:45", "HH:mm"))
    assert ctx.settings.get("notifications.morning") == "07:45"
