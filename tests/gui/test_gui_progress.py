"""The Progress page renders its charts from real study done through core (offscreen, with a screenshot)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.progress import analytics, sessions
from lmgpa_desktop.storage import cards_repo
from study_history import add_study_history


@pytest.fixture
def studied(ctx):
    """Three days of reviews and a recording in a class, and a practice test taken today."""
    return add_study_history(ctx)


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


def _axis_texts(box) -> list[str]:
    """Every text Qt painted in a chart (axis labels included), as the scene holds them."""
    from PySide6.QtWidgets import QGraphicsSimpleTextItem, QGraphicsTextItem

    texts = []
    for item in box.scene().items():
        if isinstance(item, QGraphicsTextItem):
            texts.append(item.toPlainText())
        elif isinstance(item, QGraphicsSimpleTextItem):
            texts.append(item.text())
    return [t for t in texts if t]


@pytest.mark.parametrize("range_name", ["week", "month", "term", "all"])
@pytest.mark.parametrize("width", [300, 520, 900])
def test_date_axes_name_the_right_days_and_never_elide(qtbot, ctx, range_name, width):
    from datetime import date, timedelta

    from lmgpa_desktop.ui.progress.charts import ChartBox

    end = date(2025, 10, 12)
    days = {"week": 7, "month": 30, "term": 120, "all": 800}[range_name]
    start = end - timedelta(days=days - 1)
    box = ChartBox("Study minutes per day")
    qtbot.addWidget(box)
    box.resize(width, 260)
    box.show()
    box.set_days({start + timedelta(days=i): float(i % 5) for i in range(days)}, unit="min")
    qtbot.waitUntil(lambda: box.chart_.plotArea().width() > 50)
    box.resize(width, 261)  # a layout pass with the real plot width
    qtbot.waitUntil(lambda: box.axis_labels() and not any("…" in t or "..." in t for t in _axis_texts(box)))
    labels = box.axis_labels()
    assert len(labels) == len(set(labels)) >= 2, labels  # never "1 Jan 1 Jan 1 Jan"
    assert labels[-1] == {"week": "Sun 12", "month": "12 Oct", "term": "12 Oct", "all": "Oct 2025"}[range_name]
    if range_name == "week":
        assert labels[0] in ("Mon 6", "Tue 7")  # the first day, or every other day when narrow
    if range_name == "all":
        assert all(label.split()[1] in ("2023", "2024", "2025") for label in labels)
    # the labels are spaced so that none overlaps: each has the room of its text
    metrics = box.fontMetrics()
    per_label = box.chart_.plotArea().width() / len(labels)
    assert max(metrics.horizontalAdvance(t) for t in labels) <= per_label


def test_an_empty_line_chart_spans_its_range_not_1970(qtbot):
    from datetime import date

    from lmgpa_desktop.ui.progress.charts import ChartBox

    box = ChartBox("Practice test scores (%)")
    qtbot.addWidget(box)
    box.resize(600, 260)
    box.show()
    box.set_line([], date(2025, 10, 6), date(2025, 10, 12), unit="%", y_max=100)
    assert box.axis_labels()[-1] == "Sun 12" and "1 Jan" not in box.axis_labels()
    assert "nothing in this range yet" in box.chart_.title()


def test_charts_follow_the_theme(qtbot, ctx):
    from datetime import date

    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from lmgpa_desktop.ui.progress.charts import ChartBox
    from lmgpa_desktop.ui.shell import theme

    app = QApplication.instance()
    before = (app.palette(), app.styleSheet())
    try:
        theme.apply(app, "light")
        box = ChartBox("Cards reviewed per day")
        qtbot.addWidget(box)
        box.set_days({date(2025, 10, d): float(d) for d in range(6, 13)}, unit="cards")
        box.show()
        assert box.chart_.backgroundBrush().color().lightness() > 200
        theme.apply(app, "dark")  # switching themes re-colours a chart already on screen
        dark = app.palette()
        qtbot.waitUntil(lambda: box.chart_.backgroundBrush().color() == dark.color(QPalette.ColorRole.Base))
        assert box.chart_.backgroundBrush().color().lightness() < 80
        assert box.chart_.titleBrush().color() == dark.color(QPalette.ColorRole.Text)
        for axis in box.chart_.axes():
            assert axis.labelsBrush().color() == dark.color(QPalette.ColorRole.Text)
            assert axis.gridLineColor().lightness() < 110  # a faint grid, not the light theme's
    finally:
        app.setPalette(before[0])
        app.setStyleSheet(before[1])


@pytest.mark.parametrize(("width", "columns"), [(1024, 1), (1440, 2)])
def test_charts_lead_the_page_and_reflow_by_width(qtbot, ctx, studied, width, columns):
    from PySide6.QtWidgets import QScrollArea

    from lmgpa_desktop.ui.progress.progress_page import ProgressPage

    page = ProgressPage(ctx)
    qtbot.addWidget(page)
    page.resize(width - 190, 700)  # the window less its navigation
    with qtbot.waitSignal(page.loaded):
        page.show()
    qtbot.waitUntil(lambda: page.ops.pending == 0 and page.chart_grid.columns() == columns)
    charts = list(page.charts.values())
    first_panel = min(p.mapTo(page, p.rect().topLeft()).y() for p in page.game)
    assert max(c.mapTo(page, c.rect().topLeft()).y() for c in charts) < first_panel  # charts above goals
    assert page.chart_grid.mapTo(page, page.chart_grid.rect().topLeft()).y() < 200  # in the first screen
    bar = page.findChild(QScrollArea).horizontalScrollBar()
    assert not (bar.isVisible() and bar.maximum() > 0)
