"""The Progress page renders its charts from real study done through core (offscreen, with a screenshot)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.progress import analytics, sessions
from lmgpa_desktop.core.study import practice
from lmgpa_desktop.core.study import review
from lmgpa_desktop.storage import cards_repo, library_repo
from lmgpa_desktop.storage import practice_repo
from lmgpa_desktop.storage.practice_repo import QuestionDraft


@pytest.fixture
def studied(ctx):
    """Three days of reviews and a recording in a class, and a practice test taken today."""
    bio = library_repo.course_named(ctx.db, "Biology").id
    deck = cards_repo.create_deck(ctx.db, "Cells", course_id=bio)
    cards = [cards_repo.create_card(ctx.db, deck.id, f"q{i}", "a").id for i in range(8)]
    now = datetime.now(UTC)
    today = now.astimezone(sessions.local_tz()).date()
    # halfway between local midnight and now, so "today" holds the reviews even just after midnight
    into_day = (now - sessions.day_bounds(today)[0]) / 2
    for day in (2, 1, 0):
        t = sessions.day_bounds(today - timedelta(days=day))[0] + into_day
        for i, card in enumerate(cards):
            review.answer(ctx, card, 4 if i % 3 else 1, duration_ms=8000, now=t + into_day * i / 40)
    activity.record(ctx, "recording", course_id=bio, amount=1200, at=now - timedelta(days=1, hours=3),
                    details={"started_at": (now - timedelta(days=1, hours=3, minutes=20)).isoformat()})
    tid, _ = practice_repo.create_test(ctx.db, "Cells quiz", [], [QuestionDraft("tf", "Cells have nuclei?", "true")],
                                    status="ready", question_status="active")
    attempt = practice.start(ctx, tid)
    practice.record(ctx, attempt.id, practice.questions(ctx, tid)[0].id, "true")
    practice.finish(ctx, attempt.id, use_llm=False)
    return bio


def test_progress_page_draws_every_chart_with_data(qtbot, ctx, studied, tmp_path):
    from lmgpa_desktop.ui.progress.progress_page import ProgressPage

    page = ProgressPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 1800)
    with qtbot.waitSignal(page.loaded):
        page.show()
    qtbot.waitUntil(lambda: page.ops.pending == 0)
    rep = page.report
    expected = analytics.report(ctx, "week")
    assert rep.total_minutes == pytest.approx(expected.total_minutes) and rep.total_minutes > 20
    charts = page.charts
    assert charts["minutes_day"].point_count() == 7
    assert sum(charts["minutes_day"].values()) == pytest.approx(rep.total_minutes, rel=1e-4)
    assert charts["reviews_day"].values()[-3:] == [8, 8, 8]
    assert charts["minutes_class"].values() == pytest.approx(list(rep.minutes_by_class.values()), rel=1e-4)
    assert "Biology" in rep.minutes_by_class
    assert set(rep.minutes_by_kind) >= {"review", "recording"} and charts["minutes_kind"].point_count() >= 2
    assert charts["retention"].point_count() >= 2  # days 2 and 3 answer cards already in review
    last = max(rep.forecast)
    horizon = sessions.day_bounds(last)[1]
    due_soon = [c for c in cards_repo.cards_of_deck(ctx.db, cards_repo.decks(ctx.db)[0].id) if c.due < horizon]
    assert charts["forecast"].point_count() == 30 and sum(charts["forecast"].values()) == len(due_soon) > 0
    assert charts["tests"].values() == [100.0]
    assert charts["minutes_week"].point_count() >= 1
    assert sum(page.heatmap.minutes.values()) == pytest.approx(rep.total_minutes, rel=1e-4)
    assert "cards reviewed" in page.summary.text()
    from lmgpa_desktop.ui.progress.game import GamificationPanel, GoalsPanel

    assert [type(p) for p in page.game] == [GoalsPanel, GamificationPanel]
    # axes are laid out on the next pass of the event loop: the plot area then leaves room for their labels
    qtbot.waitUntil(lambda: all(box.chart_.plotArea().left() > 20 for box in charts.values()))
    shot = tmp_path / "progress.png"
    assert page.grab().save(str(shot)) and shot.stat().st_size > 10_000

    # the class filter reloads with only that class
    page.course.setCurrentIndex(page.course.findData(studied))
    qtbot.waitUntil(lambda: page.report.course_id == studied and page.ops.pending == 0)
    assert list(page.report.minutes_by_class) == ["Biology"]


def test_focus_timer_on_the_page_and_its_mini_window(qtbot, ctx):
    from lmgpa_desktop.ui.progress.progress_page import ProgressPage

    page = ProgressPage(ctx)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.report is not None)
    widget = page.focus
    qtbot.mouseClick(widget.start_button, Qt.MouseButton.LeftButton)
    assert widget.timer.phase == "work" and widget.ticker.isActive() and widget.time.text() == "25:00"
    widget.show_mini()
    mini = widget.mini
    qtbot.addWidget(mini)
    assert mini.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert "25:00" in mini.label.text() or "24:59" in mini.label.text()
    qtbot.mouseClick(mini.pause_button, Qt.MouseButton.LeftButton)
    assert widget.timer.paused and mini.pause_button.text() == "Resume"
    qtbot.mouseClick(mini.stop_button, Qt.MouseButton.LeftButton)
    assert widget.timer.phase == "idle" and not widget.ticker.isActive()
    assert activity.events(ctx, kinds=["focus"]) == []  # seconds of focus are not study time


def test_the_main_window_builds_the_progress_area(qtbot, ctx):
    from lmgpa_desktop.ui.shell.main_window import MainWindow
    from lmgpa_desktop.ui.progress.progress_page import ProgressPage

    # the window alone, not build_window: only the navigation to this area is under test here
    win = MainWindow()
    qtbot.addWidget(win)
    win.ctx = ctx
    win.show()
    win.show_area("progress")
    page = win.pages["progress"]
    assert isinstance(page, ProgressPage) and win.current_area() == "progress"
    qtbot.waitUntil(lambda: page.report is not None and page.ops.pending == 0)
    win.ctx = None  # no job runner was attached, so closing has nothing to stop


def _wheel_down(widget) -> None:
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    event = QWheelEvent(QPointF(5, 5), QPointF(widget.mapToGlobal(QPoint(5, 5))), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_past_the_range_selector_unless_it_was_clicked(qtbot, ctx):
    from lmgpa_desktop.ui.shell.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.ctx = ctx
    win.resize(1024, 700)
    win.show()
    win.show_area("progress")
    page = win.pages["progress"]
    qtbot.waitUntil(lambda: page.report is not None and page.ops.pending == 0)
    chosen = page.range.currentIndex()
    win.setFocus()
    _wheel_down(page.range)  # scrolling the page over the drop-down leaves the range alone
    assert page.range.currentIndex() == chosen and not page.range.hasFocus()
    page.range.setFocus()
    qtbot.waitUntil(page.range.hasFocus)
    _wheel_down(page.range)  # once the student chose the control, the wheel changes it
    assert page.range.currentIndex() == chosen + 1
    qtbot.waitUntil(lambda: page.ops.pending == 0)
    win.ctx = None  # no job runner was attached, so closing has nothing to stop
