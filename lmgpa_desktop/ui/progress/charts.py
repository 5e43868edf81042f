"""Small QtCharts builders for the Progress page: bar charts, line charts, and a year heatmap."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import QDateTime, QMargins, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

MAX_CATEGORY_LABELS = 16  # more day labels than this overlap; the axis then shows every n-th


class ChartBox(QChartView):
    """A chart view that redraws its one chart from new data."""

    def __init__(self, title: str, parent=None):
        self.title = title
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(220)
        self.setMaximumHeight(340)
        self.series: list = []
        self._reset()

    def _reset(self) -> None:
        # a fresh chart each time: axes removed from a live chart leave their labels painted behind
        self.chart_ = QChart()
        self.chart_.setTitle(self.title)
        self.chart_.legend().hide()
        self.chart_.setMargins(QMargins(4, 4, 4, 4))
        self.setChart(self.chart_)  # the view deletes the chart it showed before
        self.series = []

    def set_bars(self, labels: list[str], values: list[float], name: str = "", unit: str = "") -> None:
        """One bar per label."""
        self._reset()
        bar_set = QBarSet(name or self.title)
        bar_set.append([float(v) for v in values])
        series = QBarSeries()
        series.append(bar_set)
        series.setBarWidth(0.9)
        self.chart_.addSeries(series)
        step = max(1, -(-len(labels) // MAX_CATEGORY_LABELS))
        x = QBarCategoryAxis()
        # categories must be unique, so thinned labels keep an invisible distinct suffix
        x.append([lab if i % step == 0 else "\u200b" * (i + 1) for i, lab in enumerate(labels)])
        x.setLabelsAngle(-60 if len(labels) > 8 else 0)
        y = QValueAxis()
        y.setRange(0, max([1.0, *values]) * 1.1)
        y.applyNiceNumbers()
        y.setLabelFormat("%g")
        if unit:
            y.setTitleText(unit)
        self.chart_.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        self.chart_.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)
        self.series = [series]

    def set_line(self, points: list[tuple[datetime, float]], unit: str = "", y_max: float | None = None) -> None:
        """A line over time, with dots on the points (a single point still shows)."""
        self._reset()
        line, dots = QLineSeries(), QScatterSeries()
        dots.setMarkerSize(7)
        for at, v in points:
            ms = QDateTime(at).toMSecsSinceEpoch() if isinstance(at, datetime) else \
                QDateTime(datetime(at.year, at.month, at.day)).toMSecsSinceEpoch()
            line.append(ms, float(v))
            dots.append(ms, float(v))
        for s in (line, dots):
            self.chart_.addSeries(s)
        x = QDateTimeAxis()
        x.setFormat("d MMM")
        if points:
            first, last = line.at(0).x(), line.at(line.count() - 1).x()
            pad = max(3_600_000.0, (last - first) * 0.03)
            x.setRange(QDateTime.fromMSecsSinceEpoch(int(first - pad)), QDateTime.fromMSecsSinceEpoch(int(last + pad)))
        y = QValueAxis()
        y.setRange(0, y_max if y_max is not None else max([1.0, *(v for _, v in points)]) * 1.1)
        y.applyNiceNumbers()
        y.setLabelFormat("%g")
        if unit:
            y.setTitleText(unit)
        self.chart_.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        self.chart_.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        for s in (line, dots):
            s.attachAxis(x)
            s.attachAxis(y)
        self.series = [line, dots]

    def point_count(self) -> int:
        """How many data points the chart shows (bars or line points)."""
        total = 0
        for s in self.series:
            if isinstance(s, QBarSeries):
                total += sum(b.count() for b in s.barSets())
            elif isinstance(s, QLineSeries) and not isinstance(s, QScatterSeries):
                total += s.count()
        return total

    def values(self) -> list[float]:
        """The plotted values, in order (for tests and tooltips)."""
        for s in self.series:
            if isinstance(s, QBarSeries):
                return [b.at(i) for b in s.barSets() for i in range(b.count())]
            if isinstance(s, QLineSeries):
                return [s.at(i).y() for i in range(s.count())]
        return []


class HeatmapWidget(QWidget):
    """A year of study minutes as a calendar of squares (weeks across, Monday at the top)."""

    CELL = 11
    GAP = 2

    def __init__(self, parent=None):
        super().__init__(parent)
        self.minutes: dict[date, float] = {}
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(7 * (self.CELL + self.GAP) + 24)

    def sizeHint(self) -> QSize:
        return QSize(54 * (self.CELL + self.GAP) + 40, 7 * (self.CELL + self.GAP) + 24)

    def set_minutes(self, minutes: dict[date, float]) -> None:
        """Show these days."""
        self.minutes = dict(minutes)
        self.update()

    def _cells(self):
        if not self.minutes:
            return []
        first, last = min(self.minutes), max(self.minutes)
        origin = first - timedelta(days=first.weekday())
        step = self.CELL + self.GAP
        out = []
        d = first
        while d <= last:
            col, row = (d - origin).days // 7, d.weekday()
            out.append((d, QRectF(30 + col * step, 18 + row * step, self.CELL, self.CELL)))
            d += timedelta(days=1)
        return out

    def color(self, minutes: float) -> QColor:
        """Five shades: none, under 15 min, under 30, under 60, an hour or more."""
        shades = ["#ebedf0", "#c6e48b", "#7bc96f", "#239a3b", "#196127"]
        level = 0 if minutes <= 0 else 1 if minutes < 15 else 2 if minutes < 30 else 3 if minutes < 60 else 4
        return QColor(shades[level])

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(self.palette().text().color())
        p.drawText(0, 12, "Study minutes, last 12 months")
        for i, name in ((0, "Mon"), (2, "Wed"), (4, "Fri")):
            p.drawText(0, 18 + i * (self.CELL + self.GAP) + self.CELL, name)
        p.setPen(Qt.PenStyle.NoPen)
        for d, rect in self._cells():
            p.setBrush(self.color(self.minutes[d]))
            p.drawRoundedRect(rect, 2, 2)
        p.end()

    def mouseMoveEvent(self, event) -> None:
        for d, rect in self._cells():
            if rect.contains(event.position()):
                QToolTip.showText(event.globalPosition().toPoint(),
                                  f"{d:%a %d %b %Y}: {self.minutes[d]:.0f} min", self)
                return
        QToolTip.hideText()
