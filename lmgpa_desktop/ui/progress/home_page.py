"""Home: today at a glance (due cards, goals, streak, deadlines, recent recordings, continue where you left off)."""

from __future__ import annotations

import html

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDateTimeEdit, QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
    QLineEdit, QProgressBar, QPushButton, QScrollArea, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.progress import deadlines
from lmgpa_desktop.core.progress import reminders
from lmgpa_desktop.core.progress import today as today_core
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.formatting import amount, clock
from lmgpa_desktop.ui.kit.elide import ElidedButton
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.reflow import ReflowGrid

BOX_MIN_WIDTH = 320  # two columns of boxes from a page ~650 px wide


def _clear(layout) -> None:
    """Remove every widget from a layout."""
    while layout.count():
        item = layout.takeAt(0)
        if item.widget() is not None:
            item.widget().deleteLater()


def _muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("muted")
    label.setWordWrap(True)
    return label


class DeadlineDialog(QDialog):
    """Title, assignment or exam, due date and time, class."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Add a deadline")
        self.title = QLineEdit()
        self.title.setPlaceholderText("Essay on photosynthesis")
        self.kind = QComboBox()
        self.kind.addItems(list(deadlines.KINDS))
        self.due = QDateTimeEdit(QDateTime.currentDateTime().addDays(7))
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("ddd d MMM yyyy HH:mm")
        self.course = QLineEdit()
        self.course.setPlaceholderText("optional")
        form = QFormLayout(self)
        form.addRow("Title", self.title)
        form.addRow("Kind", self.kind)
        form.addRow("Due", self.due)
        form.addRow("Class", self.course)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def due_at(self) -> datetime:
        """The chosen local date and time, in UTC."""
        return datetime.fromtimestamp(self.due.dateTime().toSecsSinceEpoch(), UTC)


class HomePage(QWidget):
    """The first page: what is due and what is next, each a click away."""

    navigate = Signal(str)  # area key
    open_location = Signal(int, object, object)  # source id, page or None, second or None
    open_item = Signal(str, int)  # "deck" | "note" | "test" | "chat", id

    def __init__(self, ctx, runner=None, parent=None):
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.ops = Operations(self, "home-page")
        self.data: today_core.Today | None = None
        title = QLabel("Today")
        title.setObjectName("pageTitle")
        self.date_label = _muted("")
        self.review_box, self.review_layout = self._box("Flashcards")
        self.goals_box, self.goals_layout = self._box("Goals")
        self.streak_box, self.streak_layout = self._box("Streak")
        self.deadlines_box, self.deadlines_layout = self._box("Coming up")
        self.recordings_box, self.recordings_layout = self._box("Recent recordings")
        self.resume_box, self.resume_layout = self._box("Continue where you left off")
        grid = ReflowGrid(BOX_MIN_WIDTH, 2, align_top=False)  # two columns, one in a narrow window
        grid.extend([self.review_box, self.streak_box, self.goals_box, self.deadlines_box, self.resume_box,
                     self.recordings_box])
        body = QWidget()
        inner = QVBoxLayout(body)
        inner.addWidget(title)
        inner.addWidget(self.date_label)
        inner.addWidget(grid)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.refresh()

    def _box(self, title: str) -> tuple[QGroupBox, QVBoxLayout]:
        box = QGroupBox(title)
        layout = QVBoxLayout(box)
        layout.addWidget(_muted("Loading…"))
        return box, layout

    def refresh(self) -> None:
        """Read today's figures off the UI thread, then show them."""
        self.ops.run_either(lambda: today_core.today(self.ctx), self._show)

    def showEvent(self, event) -> None:
        """Coming back home shows what changed elsewhere."""
        super().showEvent(event)
        if self.data is not None:
            self.refresh()

    def _show(self, data) -> None:
        if isinstance(data, Exception):
            for layout in (self.review_layout, self.goals_layout, self.streak_layout, self.deadlines_layout,
                           self.recordings_layout, self.resume_layout):
                _clear(layout)
            self.review_layout.addWidget(_muted(f"Could not read today's figures: {data}"))
            return
        self.data = data
        self.date_label.setText(data.now.astimezone().strftime("%A %d %B").replace(" 0", " "))
        self._show_review(data)
        self._show_goals(data)
        self._show_streak(data)
        self._show_deadlines(data)
        self._show_recordings(data)
        self._show_resume(data)

    def _show_review(self, data) -> None:
        _clear(self.review_layout)
        due = data.due
        if due.total:
            self.review_layout.addWidget(QLabel(
                f"<b>{due.review + due.learning}</b> due · <b>{due.new}</b> new today"))
            start = QPushButton("Start review")
            start.setObjectName("primary")
            start.clicked.connect(lambda: self.navigate.emit("review"))
            self.review_layout.addWidget(start)
        else:
            self.review_layout.addWidget(_muted("Nothing due today. Make cards from a lecture on the Study page."))

    def _show_goals(self, data) -> None:
        _clear(self.goals_layout)
        for g in data.goals:
            bar = QProgressBar()
            bar.setRange(0, max(1, g.target))
            bar.setValue(min(g.target, round(g.done)))
            bar.setFormat(f"{g.label}: {amount(g.done)} / {g.target}" + (" ✓" if g.met else ""))
            self.goals_layout.addWidget(bar)
        if data.goals and data.goals[0].default:
            self.goals_layout.addWidget(_muted("These are the starting goals; set your own on the Progress page."))
        if not data.goals:
            self.goals_layout.addWidget(_muted("No goals yet: set them on the Progress page."))

    def _show_streak(self, data) -> None:
        _clear(self.streak_layout)
        s = data.streak
        days = "day" if s.days == 1 else "days"
        # A size keyword, not points: twice the label's font, so the number follows the system's font size.
        self.streak_layout.addWidget(QLabel(f"<b style='font-size:xx-large'>{s.days}</b> {days}"))
        freezes = f"{s.freezes_available} streak freeze{'s' if s.freezes_available != 1 else ''} saved"
        if s.met_today:
            note = "Today's goal is met. " + freezes
        elif s.at_risk_today:
            note = "Meet today's goal to keep it going. " + freezes
        else:
            note = freezes
        self.streak_layout.addWidget(_muted(note))

    def _show_deadlines(self, data) -> None:
        _clear(self.deadlines_layout)
        for d in data.deadlines[:6]:
            left = d.due_at - data.now
            when = d.due_at.astimezone().strftime("%a %d %b %H:%M")
            soon = " — <b>today</b>" if left < timedelta(hours=24) else ""
            course = f" · {html.escape(d.course_name)}" if d.course_name else ""
            label = QLabel(f"<b>{html.escape(d.title)}</b> ({d.kind}){course}<br>{when}{soon}")
            label.setWordWrap(True)
            done = QPushButton("Done")
            done.setToolTip("Mark it done (its reminders stop)")
            done.clicked.connect(lambda _=False, i=d.id: self.mark_done(i))
            row = QHBoxLayout()
            row.addWidget(label, 1)
            row.addWidget(done)
            holder = QWidget()
            holder.setLayout(row)
            self.deadlines_layout.addWidget(holder)
        if not data.deadlines:
            self.deadlines_layout.addWidget(_muted(f"No deadlines in the next {today_core.DEADLINE_DAYS} days."))
        add = QPushButton("Add a deadline…")
        add.clicked.connect(self.choose_deadline)
        self.deadlines_layout.addWidget(add)

    def choose_deadline(self) -> None:
        """Ask for an assignment or exam date and keep it."""
        dialog = DeadlineDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add_deadline(dialog.title.text(), dialog.due_at(), dialog.kind.currentText(), dialog.course.text())

    def add_deadline(self, title: str, due_at: datetime, kind: str, course: str = "") -> int | None:
        """Keep a deadline (reminders follow it); a bad one is explained instead."""
        try:
            row = deadlines.add(self.ctx, title, due_at, kind, course or None)
        except UserError as exc:
            self.deadlines_box.setToolTip(str(exc))
            self.deadlines_layout.insertWidget(0, _muted(str(exc)))
            return None
        reminders.reschedule(self.ctx)
        self.refresh()
        return row.id

    def mark_done(self, deadline_id: int) -> None:
        """A handed-in assignment or a sat exam leaves the list."""
        try:
            deadlines.set_done(self.ctx, deadline_id)
        except UserError:
            pass  # already gone: the refresh shows the truth
        reminders.reschedule(self.ctx)
        self.refresh()

    def _show_recordings(self, data) -> None:
        _clear(self.recordings_layout)
        for src in data.recordings:
            length = f" ({clock(src.duration_s)})" if src.duration_s else ""
            b = ElidedButton(f"{src.title}{length}")
            b.setFlat(True)
            b.setStyleSheet("text-align: left")
            b.clicked.connect(lambda _=False, sid=src.id: self.open_location.emit(sid, None, 0.0))
            self.recordings_layout.addWidget(b)
        if not data.recordings:
            self.recordings_layout.addWidget(_muted("No recordings yet: record a lecture on the Record page."))

    def _show_resume(self, data) -> None:
        _clear(self.resume_layout)
        for item in data.resume:
            b = ElidedButton(item.title)
            b.setFlat(True)
            b.setStyleSheet("text-align: left")
            b.clicked.connect(lambda _=False, r=item: self.go(r))
            row = QHBoxLayout()
            row.addWidget(b, 1)
            row.addWidget(_muted(item.at.astimezone().strftime("%a %H:%M")), 0, Qt.AlignmentFlag.AlignRight)
            holder = QWidget()
            holder.setLayout(row)
            self.resume_layout.addWidget(holder)
        if not data.resume:
            self.resume_layout.addWidget(_muted("Your recent notes, decks, tests and sources will show here."))

    def go(self, item: today_core.Resume) -> None:
        """Open a place to continue."""
        if item.kind == "source":
            self.open_location.emit(item.ref_id, None, None)
        else:
            self.open_item.emit(item.kind, item.ref_id)

    def closeEvent(self, event) -> None:
        self.ops.close()
        super().closeEvent(event)
