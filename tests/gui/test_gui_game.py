"""Goals and gamification panels render real data (offscreen, with screenshots); goals are added, edited and
removed through the dialog; the unlock toast shows over the window without taking focus and hides itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.progress import gamification
from lmgpa_desktop.core.progress import goals
from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.progress.points import RULES
from lmgpa_desktop.storage import cards_repo, library_repo
from lmgpa_desktop.ui.progress import celebration
from lmgpa_desktop.ui.progress.game import GamificationPanel, GoalsPanel

ZONES = ("Pacific/Kiritimati", "Asia/Tokyo", "Asia/Kolkata", "Europe/Berlin", "UTC", "America/New_York",
         "America/Los_Angeles", "Pacific/Honolulu")  # never more than 5 hours apart


def daytime_zone() -> str:
    """A zone where it is daytime now, so "today" in the panels cannot roll over while a test runs."""
    now = datetime.now(UTC)
    return next(z for z in ZONES if 8 <= now.astimezone(ZoneInfo(z)).hour < 20)


@pytest.fixture
def studied(ctx):
    """A student who answered 25 cards and recorded a lecture today (their day, in a zone where it is daytime)."""
    ctx.settings.set(goals.TZ_KEY, daytime_zone())
    deck = cards_repo.create_deck(ctx.db, "Biology")
    now = datetime.now(UTC) - timedelta(minutes=30)
    for i in range(25):
        card = cards_repo.create_card(ctx.db, deck.id, f"Q{i}", "A")
        review.answer(ctx, card.id, 3, now=now + timedelta(seconds=10 * i))
    activity.record(ctx, "recording", amount=1200, at=now + timedelta(minutes=10))
    gamification.drain(ctx)
    return ctx


def _window(qtbot, panel_cls, ctx):
    window = QWidget()
    layout = QVBoxLayout(window)
    panel = panel_cls(ctx, window)
    layout.addWidget(panel)
    qtbot.addWidget(window)
    window.resize(1000, 900)
    return window, panel


def test_gamification_panel_shows_level_streak_achievements_and_rules(qtbot, studied, tmp_path):
    window, panel = _window(qtbot, GamificationPanel, studied)
    with qtbot.waitSignal(panel.loaded):
        window.show()
    total = gamification.total_points(studied)
    assert total > 0 and panel.level.text() == f"Level {gamification.level_for(total)}"
    assert f"{total} points" in panel.points.text()
    assert panel.level_bar.value() == total - gamification.level_floor(gamification.level_for(total))
    assert "1-day streak" in panel.streak.text() and "Today's goal is met" in panel.streak.text()
    assert "Most cards in a day: 25" in panel.bests.text()
    assert len(panel.tiles) == len(gamification.ACHIEVEMENTS) >= 20
    assert panel.tiles["first_card"].property("unlocked") and panel.tiles["first_card"].state.text().startswith(
        "Unlocked")
    assert not panel.tiles["cards_100"].property("unlocked") and panel.tiles["cards_100"].state.text() == "Locked · 25 / 100"
    assert panel.rules.rowCount() == len(RULES)
    assert [panel.rules.item(r, 1).text() for r in range(len(RULES))] == [f"+{r.points}" for r in RULES]
    shot = tmp_path / "gamification.png"  # LMGPA_SHOTS keeps a copy to look at
    assert window.grab().save(str(shot)) and shot.stat().st_size > 10_000
    panel.ops.close()


def test_goals_panel_adds_edits_and_removes_goals(qtbot, studied, tmp_path):
    bio = library_repo.course_named(studied.db, "Biology 101")
    window, panel = _window(qtbot, GoalsPanel, studied)
    with qtbot.waitSignal(panel.loaded):
        window.show()
    assert [p.default for p in panel.progress] == [True, True] and "No daily goal" in panel.note.text()
    dialog = panel.edit_goal(None)  # what "Add goal…" opens, without blocking
    assert dialog.isVisible()
    dialog.metric.setCurrentIndex(dialog.metric.findData("cards"))
    dialog.target.setValue(40)
    dialog.course.setCurrentIndex(dialog.course.findData(bio.id))
    with qtbot.waitSignal(panel.loaded):
        dialog.accept()
    [row] = panel.progress
    assert (row.goal.metric, row.target, row.goal.course_id, row.default) == ("cards", 40, bio.id, False)
    assert "Biology 101" in panel.rows.itemAtPosition(0, 0).widget().text()
    dialog = panel.edit_goal(row.goal)
    dialog.course.setCurrentIndex(0)  # all classes: today's 25 cards count
    with qtbot.waitSignal(panel.loaded):
        dialog.accept()
    bar = panel.rows.itemAtPosition(0, 1).widget()
    assert bar.format() == "25 / 40" and bar.value() == 625
    shot = tmp_path / "goals.png"
    assert window.grab().save(str(shot)) and shot.stat().st_size > 5_000
    with qtbot.waitSignal(panel.loaded):
        panel.rows.itemAtPosition(0, 3).widget().click()  # Remove
    assert goals.goals(studied) == [] and [p.default for p in panel.progress] == [True, True]
    panel.ops.close()


def test_toast_shows_without_taking_focus_and_hides(qtbot, tmp_path):
    window = QWidget()
    field = QLineEdit(window)
    qtbot.addWidget(window)
    window.resize(600, 400)
    window.show()
    window.activateWindow()
    field.setFocus()
    toast = celebration.celebrate(window, "Century", "Answer 100 flashcards.", show_ms=300)
    assert toast.isVisible() and not toast.isActiveWindow()
    assert QApplication.focusWidget() in (field, None) and QApplication.focusWidget() is not toast
    field.setText("still typing")  # work goes on while it shows
    inside = window.geometry()
    inside.moveTopLeft(window.mapToGlobal(window.rect().topLeft()))
    assert inside.contains(toast.geometry())  # over the window's bottom-right corner
    assert toast.grab().save(str(tmp_path / "toast.png"))
    qtbot.waitUntil(lambda: toast not in celebration._open)
    assert field.text() == "still typing"


def test_unlocks_from_the_worker_thread_are_celebrated(qtbot, ctx):
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    celebration.install_unlock_toasts(window, ctx)
    before = len(celebration._open)
    deck = cards_repo.create_deck(ctx.db, "D")
    card = cards_repo.create_card(ctx.db, deck.id, "Q", "A")
    review.answer(ctx, card.id, 3)
    qtbot.waitUntil(lambda: any(t.title.text().endswith("First card") for t in celebration._open))
    assert len(celebration._open) > before
