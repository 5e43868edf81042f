"""QtCharts for the Progress page in the window's colours: bars and lines over days with date axes that stay readable
at any width and range, bars by name, and a year heatmap."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
    QXYSeries,
)
from PySide6.QtCore import QEvent, QMargins, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

LABEL_GAP = 28  # pixels of air between two date labels (Qt cuts a label to "…" well before they touch)
MONTH_LABEL_DAYS = 330  # a range longer than this is labelled by month ("Oct 2025"), labels at least a month apart


def mix(a: QColor, b: QColor, share_of_b: float) -> QColor:
    """A colour between a and b."""
    t = share_of_b
    return QColor(round(a.red() * (1 - t) + b.red() * t), round(a.green() * (1 - t) + b.green() * t),
                  round(a.blue() * (1 - t) + b.blue() * t))


def time_labels(days: list[date], weekly: bool = False) -> tuple[list[str], int]:
    """A label for each day (or week) of a range, and the least number of entries between two shown labels.

    A week reads "Mon 3", a month or a term "12 Oct", weeks "wk 12 Oct", anything over ~11 months "Oct 2025"
    (shown at most once a month, so no two labels read the same)."""
    if not days:
        return [], 1
    per = 7 if weekly else 1
    if (days[-1] - days[0]).days > MONTH_LABEL_DAYS:
        return [f"{d:%b %Y}" for d in days], math.ceil(31 / per)
    if weekly:
        return [f"wk {d.day} {d:%b}" for d in days], 1
    if (days[-1] - days[0]).days < 7:
        return [f"{d:%a} {d.day}" for d in days], 1
    return [f"{d.day} {d:%b}" for d in days], 1


def label_step(count: int, widest_px: float, room_px: float, min_step: int = 1) -> int:
    """Show every n-th label so that labels of this width never overlap (Qt would cut them to "…")."""
    if count <= 0 or room_px <= 0:
        return max(1, min_step)
    return max(1, min_step, math.ceil(count * (widest_px + LABEL_GAP) / room_px))


def shown_indices(count: int, step: int) -> list[int]:
    """Which entries get a label: every step-th, counted back from the last (today is always labelled)."""
    return [i for i in range(count) if (count - 1 - i) % step == 0]


def dense_days(values: dict[date, float], weekly: bool = False) -> tuple[list[date], list[float]]:
    """Every day (or week) from the first to the last, missing ones as 0, so a bar's position is its date."""
    if not values:
        return [], []
    per = timedelta(days=7 if weekly else 1)
    first, last = min(values), max(values)
    days = [first + per * i for i in range((last - first) // per + 1)]
    return days, [float(values.get(d, 0.0)) for d in days]


class ChartBox(QChartView):
    """A chart view that redraws its one chart from new data, in the colours of the window's theme."""

    def __init__(self, title: str, parent=None):
        self.title = title
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(220)
        self.setMaximumHeight(340)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.series: list = []
        self._date_axis: QCategoryAxis | None = None
        self._labels: list[str] = []
        self._min_step = 1
        self._reset()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(480, 280)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(240, 220)

    def _reset(self) -> None:
        # a fresh chart each time: axes removed from a live chart leave their labels painted behind
        self.chart_ = QChart()
        self.chart_.setTitle(self.title)
        self.chart_.legend().hide()
        self.chart_.setMargins(QMargins(4, 4, 4, 4))
        self.setChart(self.chart_)  # the view deletes the chart it showed before
        self.series = []
        self._date_axis = None
        self._labels = []

    # -- drawing ------------------------------------------------------------------------------------------------
    def set_days(self, values: dict[date, float], unit: str = "", weekly: bool = False) -> None:
        """One bar per day (or per week, keyed by its Monday), with a date axis."""
        self._reset()
        days, numbers = dense_days(values, weekly)
        bar_set = QBarSet(self.title)
        bar_set.append(numbers)
        series = QBarSeries()
        series.append(bar_set)
        series.setBarWidth(0.8)
        self.chart_.addSeries(series)
        self._add_date_axis(days, weekly, [series])
        self._add_value_axis(max([1.0, *numbers]) * 1.1, unit, [series])
        self.series = [series]
        self._style()

    def set_bars(self, labels: list[str], values: list[float], name: str = "", unit: str = "") -> None:
        """One bar per name (classes, activities), lying down so every name can be read."""
        self._reset()
        bar_set = QBarSet(name or self.title)
        bar_set.append([float(v) for v in values])
        series = QHorizontalBarSeries()
        series.append(bar_set)
        series.setBarWidth(0.7)
        self.chart_.addSeries(series)
        names = QBarCategoryAxis()
        names.append(labels)
        self.chart_.addAxis(names, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(names)
        self._add_value_axis(max([1.0, *values]) * 1.1, unit, [series], Qt.AlignmentFlag.AlignBottom)
        self.series = [series]
        if not labels:
            self.chart_.setTitle(f"{self.title} · nothing in this range yet")
        self._style()

    def set_line(self, points: list[tuple[date | datetime, float]], start: date, end: date, unit: str = "",
                 y_max: float | None = None) -> None:
        """A line over the days from start to end, with dots on the points (a single point still shows).

        A datetime sits within its day by the hour (local time); a date sits at its day's middle."""
        self._reset()
        line, dots = QLineSeries(), QScatterSeries()
        dots.setMarkerSize(7)
        for at, v in sorted(points, key=lambda p: _day_position(p[0], start)):
            x = _day_position(at, start)
            line.append(x, float(v))
            dots.append(x, float(v))
        for s in (line, dots):
            self.chart_.addSeries(s)
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        self._add_date_axis(days, False, [line, dots])
        top = y_max if y_max is not None else max([1.0, *(v for _, v in points)]) * 1.1
        self._add_value_axis(top, unit, [line, dots])
        self.series = [line, dots]
        if not points:
            self.chart_.setTitle(f"{self.title} · nothing in this range yet")
        self._style()

    def _add_date_axis(self, days: list[date], weekly: bool, series: list) -> None:
        axis = QCategoryAxis()
        axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        axis.setRange(-0.5, max(0, len(days) - 1) + 0.5)
        axis.setStartValue(-0.5)
        self.chart_.addAxis(axis, Qt.AlignmentFlag.AlignBottom)
        for s in series:
            s.attachAxis(axis)
        self._date_axis = axis
        self._labels, self._min_step = time_labels(days, weekly)
        self._fit_labels()

    def _add_value_axis(self, top: float, unit: str, series: list,
                        where: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> None:
        axis = QValueAxis()
        if top == 100:  # percentages: ticks every 20, with room above so a dot at 100% is not on the frame
            axis.setRange(0, 106)
            axis.setTickType(QValueAxis.TickType.TicksDynamic)
            axis.setTickAnchor(0)
            axis.setTickInterval(20)
        else:
            axis.setRange(0, top)
            axis.applyNiceNumbers()
        axis.setLabelFormat("%g")
        if unit:
            axis.setTitleText(unit)
        self.chart_.addAxis(axis, where)
        for s in series:
            s.attachAxis(axis)

    def _fit_labels(self) -> None:
        """Label as many days as fit the plot's width, never so many that Qt cuts them to "…"."""
        axis = self._date_axis
        if axis is None:
            return
        plot = self.chart_.plotArea().width()
        room = plot if plot > 40 else max(100, self.width() - 90)  # before the first layout, a guess
        metrics = self.fontMetrics()
        widest = max((metrics.horizontalAdvance(text) for text in self._labels), default=0)
        step = label_step(len(self._labels), widest, room, self._min_step)
        wanted = [(self._labels[i], float(i)) for i in shown_indices(len(self._labels), step)]
        if [(axis.endValue(label), label) for label in axis.categoriesLabels()] == [(v, t) for t, v in wanted]:
            return
        for label in axis.categoriesLabels():
            axis.remove(label)
        for text, at in wanted:
            axis.append(text, at)

    def axis_labels(self) -> list[str]:
        """The dates written under the chart now (for tests)."""
        return list(self._date_axis.categoriesLabels()) if self._date_axis is not None else []

    # -- theme ----------------------------------------------------------------------------------------------------
    def _style(self) -> None:
        """Background, text, axes and grid from the widget's palette (light or dark theme)."""
        pal = self.palette()
        text, base = pal.color(QPalette.ColorRole.Text), pal.color(QPalette.ColorRole.Base)
        accent = pal.color(QPalette.ColorRole.Highlight)
        chart = self.chart_
        chart.setBackgroundBrush(base)
        chart.setBackgroundPen(QPen(mix(base, text, 0.15)))
        chart.setPlotAreaBackgroundVisible(False)
        chart.setTitleBrush(text)
        title_font = self.font()
        title_font.setBold(True)
        chart.setTitleFont(title_font)
        self.setBackgroundBrush(pal.color(QPalette.ColorRole.Window))
        for axis in chart.axes():
            axis.setLabelsBrush(text)
            axis.setLabelsFont(self.font())
            axis.setTitleBrush(text)
            axis.setLinePenColor(mix(base, text, 0.45))
            axis.setGridLineColor(mix(base, text, 0.12))
            axis.setShadesVisible(False)
        for series in chart.series():
            if isinstance(series, QAbstractBarSeries):
                for bar_set in series.barSets():
                    bar_set.setColor(accent)
                    bar_set.setBorderColor(accent)
            elif isinstance(series, QXYSeries):  # the line and its dots
                series.setColor(accent)
                if isinstance(series, QScatterSeries):
                    series.setBorderColor(base)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self._style()  # the theme was switched: re-colour at once
            self._fit_labels()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_labels()

    # -- reading back -------------------------------------------------------------------------------------------
    def point_count(self) -> int:
        """How many data points the chart shows (bars or line points)."""
        total = 0
        for s in self.series:
            if isinstance(s, QAbstractBarSeries):
                total += sum(b.count() for b in s.barSets())
            elif isinstance(s, QLineSeries) and not isinstance(s, QScatterSeries):
                total += s.count()
        return total

    def values(self) -> list[float]:
        """The plotted values, in order (for tests and tooltips)."""
        for s in self.series:
            if isinstance(s, QAbstractBarSeries):
                return [b.at(i) for b in s.barSets() for i in range(b.count())]
            if isinstance(s, QLineSeries):
                return [s.at(i).y() for i in range(s.count())]
        return []


def _day_position(at: date | datetime, start: date) -> float:
    """Where on a day axis (day i spans i-0.5 .. i+0.5) a date or a local time falls."""
    if isinstance(at, datetime):
        into = (at.hour * 3600 + at.minute * 60 + at.second) / 86400
        return (at.date() - start).days + into - 0.5
    return float((at - start).days)


class HeatmapWidget(QWidget):
    """A year of study minutes as a calendar of squares (weeks across, Monday at the top), sized to its width."""

    CELL = 11
    GAP = 2
    LEFT = 30
    WEEKS = 54

    def __init__(self, parent=None):
        super().__init__(parent)
        self.minutes: dict[date, float] = {}
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(7 * (self.CELL + self.GAP) + 24)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self.WEEKS * (self.CELL + self.GAP) + self.LEFT + 10, 7 * (self.CELL + self.GAP) + 24)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self.LEFT + self.WEEKS * 4, self.minimumHeight())  # cells shrink to 3 px before it is cut

    def set_minutes(self, minutes: dict[date, float]) -> None:
        """Show these days."""
        self.minutes = dict(minutes)
        self.update()

    def _step(self) -> float:
        """Cell plus gap, so that every week fits the width (at most the full size)."""
        return max(3.0, min(self.CELL + self.GAP, (self.width() - self.LEFT - 4) / self.WEEKS))

    def _cells(self):
        if not self.minutes:
            return []
        first, last = min(self.minutes), max(self.minutes)
        origin = first - timedelta(days=first.weekday())
        step = self._step()
        cell = max(2.0, step - self.GAP * step / (self.CELL + self.GAP))
        out = []
        d = first
        while d <= last:
            col, row = (d - origin).days // 7, d.weekday()
            out.append((d, QRectF(self.LEFT + col * step, 18 + row * (self.CELL + self.GAP), cell, self.CELL)))
            d += timedelta(days=1)
        return out

    def color(self, minutes: float) -> QColor:
        """Five shades: none (a tint of the background, light or dark), under 15 min, under 30, under 60, more."""
        if minutes <= 0:
            pal = self.palette()
            return mix(pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text), 0.10)
        shades = ["#c6e48b", "#7bc96f", "#239a3b", "#196127"]
        return QColor(shades[0 if minutes < 15 else 1 if minutes < 30 else 2 if minutes < 60 else 3])

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(self.palette().color(QPalette.ColorRole.Text))
        p.drawText(0, 12, "Study minutes, last 12 months")
        for i, name in ((0, "Mon"), (2, "Wed"), (4, "Fri")):
            p.drawText(0, 18 + i * (self.CELL + self.GAP) + self.CELL, name)
        p.setPen(Qt.PenStyle.NoPen)
        for d, rect in self._cells():
            p.setBrush(self.color(self.minutes[d]))
            p.drawRoundedRect(rect, 2, 2)
        p.end()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        for d, rect in self._cells():
            if rect.contains(event.position()):
                QToolTip.showText(event.globalPosition().toPoint(),
                                  f"{d:%a %d %b %Y}: {self.minutes[d]:.0f} min", self)
                return
        QToolTip.hideText()
