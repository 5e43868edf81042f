"""Progress: charts of study time, reviews, retention, due cards and tests first; the focus timer, goals and points."""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from lmgpa_desktop.core.progress import analytics, sessions
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.reflow import ReflowGrid
from lmgpa_desktop.ui.progress.charts import ChartBox, HeatmapWidget
from lmgpa_desktop.ui.progress.focus_timer import FocusTimerWidget
from lmgpa_desktop.ui.progress.game import GamificationPanel, GoalsPanel

log = logging.getLogger(__name__)
RANGE_TITLES = {"week": "Last 7 days", "month": "Last 30 days", "term": "This term (4 months)", "all": "All time"}
CHART_MIN_WIDTH = 430  # two columns of charts from a page ~870 px wide (a window of ~1100 px), one below
PANEL_MIN_WIDTH = 470  # goals beside points from the same width
KIND_TITLES = {"review": "Reviewing", "recording": "Recording", "test": "Practice tests", "reading": "Reading & notes",
               "chat": "Chat", "focus": "Focus timer"}


class ProgressPage(QWidget):
    """Charts from SQL aggregates, loaded off the UI thread; range and class filters.

    The leaderboard (an online panel with refresh()) is handed in by the window: progress sits below online."""

    loaded = Signal()  # a report is on screen (tests wait for it)

    def __init__(self, ctx, runner=None, parent=None, leaderboard: QWidget | None = None):
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.ops = Operations(self, "progress")
        self.report: analytics.Report | None = None
        self._want_reload = False
        self._loading = False
        self.focus = FocusTimerWidget(ctx, self)
        self.focus.timer.on_change = self._focus_changed
        self.range = QComboBox()
        for key, title in RANGE_TITLES.items():
            self.range.addItem(title, key)
        self.course = QComboBox()
        self.course.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.course.setMinimumContentsLength(14)  # a long class name does not widen the page
        self.course.addItem("All classes", None)
        self.refresh_button = QPushButton("Refresh")
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("progressSummary")
        self.summary.setWordWrap(True)
        self.heatmap = HeatmapWidget()
        self.charts = {
            "minutes_day": ChartBox("Study minutes per day"),
            "minutes_week": ChartBox("Study minutes per week"),
            "minutes_class": ChartBox("Study minutes per class"),
            "minutes_kind": ChartBox("Time by activity (minutes)"),
            "reviews_day": ChartBox("Cards reviewed per day"),
            "retention": ChartBox("True retention (% of review cards not forgotten)"),
            "forecast": ChartBox("Cards due, next 30 days"),
            "tests": ChartBox("Practice test scores (%)"),
        }
        self.game = [GoalsPanel(ctx, self), GamificationPanel(ctx, self)]
        self.leaderboard = leaderboard
        self._layout()
        self.range.currentIndexChanged.connect(lambda _i: self.reload())
        self.course.currentIndexChanged.connect(lambda _i: self.reload())
        self.refresh_button.clicked.connect(self.reload)

    def _layout(self) -> None:
        """Charts first, in as many columns as fit; the focus timer, goals and points below them."""
        title = QLabel("Progress")
        title.setObjectName("pageTitle")
        filters = QHBoxLayout()
        for widget in (QLabel("Range:"), self.range, QLabel("Class:"), self.course, self.refresh_button):
            filters.addWidget(widget)
        filters.addStretch(1)
        self.chart_grid = ReflowGrid(CHART_MIN_WIDTH, 2, align_top=False)
        self.chart_grid.extend(list(self.charts.values()))
        self.panel_grid = ReflowGrid(PANEL_MIN_WIDTH, 2)
        self.panel_grid.extend(self.game)
        body = QWidget()
        col = QVBoxLayout(body)
        col.addWidget(title)
        col.addLayout(filters)
        col.addWidget(self.summary)
        col.addWidget(self.chart_grid)
        col.addWidget(self.heatmap)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        col.addWidget(line)
        col.addWidget(self.focus)
        col.addWidget(self.panel_grid)
        if self.leaderboard is not None:
            col.addWidget(self.leaderboard)
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    # -- loading ------------------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.reload()

    def reload(self) -> None:
        """Load the report for the chosen range and class off the UI thread."""
        if self._loading:
            self._want_reload = True  # one more load after the running one, with the newest filters
            return
        self._loading = True
        range_name, course_id = self.range.currentData(), self.course.currentData()

        def work():
            return analytics.course_names(self.ctx), analytics.report(self.ctx, range_name, course_id)

        self.ops.run_either(work, self._show)

    def _show(self, result) -> None:
        self._loading = False
        if self._want_reload:
            self._want_reload = False
            self.reload()
        if isinstance(result, Exception):
            log.error("progress report failed: %s", result, exc_info=result)
            self.summary.setText(f"Could not load your progress: {result}")
            return
        courses, rep = result
        self._set_courses(courses)
        self.report = rep
        self._draw(rep)
        for panel in self.game:
            panel.refresh()
        if self.leaderboard is not None:
            self.leaderboard.refresh()
        self.loaded.emit()

    def _set_courses(self, courses: dict[int, str]) -> None:
        self.focus.set_courses(courses)
        have = {self.course.itemData(i) for i in range(self.course.count())}
        if have == {None, *courses}:
            return
        current = self.course.currentData()
        self.course.blockSignals(True)
        self.course.clear()
        self.course.addItem("All classes", None)
        for cid, name in sorted(courses.items(), key=lambda kv: kv[1].lower()):
            self.course.addItem(name, cid)
        self.course.setCurrentIndex(max(0, self.course.findData(current)))
        self.course.blockSignals(False)

    def _draw(self, rep: analytics.Report) -> None:
        retention = "no review-state answers yet" if rep.retention is None else \
            f"{rep.retention:.0%} of {rep.review_answers} review answers"
        self.summary.setText(f"{RANGE_TITLES[rep.range]}: {rep.total_minutes:.0f} min studied, "
                             f"{rep.total_reviews} cards reviewed, true retention {retention}, "
                             f"{len(rep.tests)} practice test{'' if len(rep.tests) == 1 else 's'} finished.")
        self.heatmap.set_minutes(rep.heatmap)
        c = self.charts
        c["minutes_day"].set_days(rep.minutes_by_day, unit="min")
        c["minutes_week"].set_days(rep.minutes_by_week, unit="min", weekly=True)
        c["minutes_class"].set_bars(list(rep.minutes_by_class), list(rep.minutes_by_class.values()), unit="min")
        c["minutes_kind"].set_bars([KIND_TITLES.get(k, k) for k in rep.minutes_by_kind],
                                   list(rep.minutes_by_kind.values()), unit="min")
        c["reviews_day"].set_days(rep.reviews_by_day, unit="cards")
        c["retention"].set_line([(d, 100 * v) for d, v in rep.retention_by_day.items() if v is not None],
                                rep.start, rep.end, unit="%", y_max=100)
        c["forecast"].set_days(rep.forecast, unit="cards")
        tz = sessions.local_tz()  # the zone the report's days are counted in
        c["tests"].set_line([(at.astimezone(tz), pct) for at, _t, pct in rep.tests], rep.start, rep.end, unit="%",
                            y_max=100)

    def _focus_changed(self, timer) -> None:
        self.focus._refresh()
        if timer.phase != "work":
            self.reload()  # a finished or stopped work period is new study time

    def closeEvent(self, event) -> None:
        self.ops.close()
        super().closeEvent(event)
