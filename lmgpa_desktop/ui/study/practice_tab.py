"""Study → Practice tests: take a test (timed or not), graded by matching at once or by the model as a job."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QButtonGroup, QCheckBox, QFrame, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QMessageBox, QPushButton, QRadioButton, QScrollArea, QSpinBox, QSplitter, QStackedWidget, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.study import practice
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.study.common import empty_text, message_label, percent, section_title
from lmgpa_desktop.ui.study.practice_result import PracticeResult
from lmgpa_desktop.ui.kit.plain_errors import plain_message

EMPTY = ("No practice tests yet. Generate a practice test from a lecture or PDF in the Generate tab, then accept "
         "its questions in To review.")
TEST_COLUMNS = ["Test", "Questions", "Time limit", "Last score", "Attempts"]
HISTORY_COLUMNS = ["Taken", "Score", "Time"]
ROLE = Qt.ItemDataRole.UserRole


def _now_like(moment: datetime) -> datetime:
    """Now, aware or naive like the stored time it is compared with."""
    now = datetime.now(UTC)
    return now if moment.tzinfo is not None else now.replace(tzinfo=None)


class QuestionBox(QGroupBox):
    """One question of a sitting: a typed answer, or choices for multiple choice and true/false."""

    def __init__(self, number: int, question, parent=None):
        super().__init__(f"Question {number}", parent)
        self.question = question
        layout = QVBoxLayout(self)
        prompt = QLabel(question.prompt)
        prompt.setWordWrap(True)
        prompt.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(prompt)
        self.line: QLineEdit | None = None
        self.group: QButtonGroup | None = None
        self.buttons: list[QRadioButton] = []
        if question.kind in ("mcq", "tf") and question.choices:
            self.group = QButtonGroup(self)
            for i, choice in enumerate(question.choices):
                label = f"{chr(ord('A') + i)}. {choice}" if question.kind == "mcq" else choice
                button = QRadioButton(label)
                button.setProperty("choice", choice)
                self.group.addButton(button, i)
                self.buttons.append(button)
                layout.addWidget(button)
        else:
            self.line = QLineEdit()
            self.line.setPlaceholderText("Type your answer")
            layout.addWidget(self.line)

    def response(self) -> str:
        """What the student answered ("" when nothing)."""
        if self.line is not None:
            return self.line.text()
        checked = self.group.checkedButton() if self.group else None
        return checked.property("choice") if checked else ""

    def set_response(self, text: str) -> None:
        """Type an answer or pick the choice with this text."""
        if self.line is not None:
            self.line.setText(text)
            return
        for b in self.buttons:
            if b.property("choice") == text:
                b.setChecked(True)

    def focus(self) -> None:
        """Put the keyboard on this question."""
        (self.line or (self.buttons[0] if self.buttons else self)).setFocus()


def read_tests(ctx) -> tuple[list[tuple], str]:
    """The ready tests, each with its finished attempts (newest first), and the empty state's text."""
    listing = [(t, [a for a in practice.attempts(ctx, t.id) if a.finished_at is not None])
               for t in practice.tests(ctx)]
    return listing, "" if listing else empty_text(ctx, EMPTY)


class PracticePanel(PracticeResult, QWidget):
    """Tests list and history, the sitting, and the result."""

    open_location = Signal(int, object, object)  # source id, page or None, second or None

    def __init__(self, ctx, runner, parent=None):
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.ops = Operations(self, "study-practice")
        self.listed: dict[int, tuple] = {}  # test id -> (test, its finished attempts, newest first), as listed
        self._asked: int | None = None  # a test chosen with select_test: still chosen when the list is read again
        self.attempt = None
        self.test = None
        self.boxes: list[QuestionBox] = []
        self.current = 0
        self.grading_job: int | None = None
        self.result = None
        self.one_at_a_time_mode = False
        self.stack = QStackedWidget()
        self.stack.addWidget(self._list_view())
        self.stack.addWidget(self._sitting_view())
        self.stack.addWidget(self._result_view())
        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self._tick)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        runner.finished.connect(self._job_finished)
        self.refresh()

    # -- the list of tests -------------------------------------------------------------------------------------
    def _list_view(self) -> QWidget:
        self.empty = message_label(EMPTY)
        self.empty.setObjectName("muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.tests_table = QTableWidget(0, len(TEST_COLUMNS))
        self.tests_table.setAccessibleName("Practice tests")
        self.tests_table.setHorizontalHeaderLabels(TEST_COLUMNS)
        self.tests_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tests_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tests_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tests_table.verticalHeader().setVisible(False)
        self.tests_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tests_table.itemSelectionChanged.connect(self._test_selected)
        self.tests_table.doubleClicked.connect(lambda _i: self.take_selected())
        take = QAction("Take the selected test", self.tests_table)  # Enter, as on the deck list; `?` lists it
        take.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])
        take.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        take.triggered.connect(self.take_selected)
        self.tests_table.addAction(take)
        self.timed = QCheckBox("Timed:")
        self.minutes = QSpinBox()
        self.minutes.setAccessibleName("Time limit in minutes")
        self.minutes.setRange(1, 300)
        self.minutes.setSuffix(" min")
        self.minutes.setValue(10)
        self.one_at_a_time = QCheckBox("One question at a time")
        self.take_button = QPushButton("Take test")
        self.take_button.setObjectName("primary")
        self.take_button.clicked.connect(self.take_selected)
        self.delete_button = QPushButton("Delete test…")
        self.delete_button.clicked.connect(lambda: self.delete_selected(confirm=True))
        self.history = QTableWidget(0, len(HISTORY_COLUMNS))
        self.history.setAccessibleName("Your attempts")
        self.history.setHorizontalHeaderLabels(HISTORY_COLUMNS)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.verticalHeader().setVisible(False)
        self.history.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.history.doubleClicked.connect(lambda index: self.show_result(
            self.history.item(index.row(), 0).data(ROLE)))
        self.list_message = message_label()
        self.controls = QWidget()
        bar = QHBoxLayout(self.controls)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.timed)
        bar.addWidget(self.minutes)
        bar.addWidget(self.one_at_a_time)
        bar.addStretch(1)
        bar.addWidget(self.delete_button)
        bar.addWidget(self.take_button)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(section_title("Practice tests"))
        top_layout.addWidget(self.empty, 1)
        top_layout.addWidget(self.tests_table, 1)
        top_layout.addWidget(self.controls)
        self.history_box = bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(section_title("Your attempts at this test (double-click to see one)"))
        bottom_layout.addWidget(self.history, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.addWidget(split, 1)
        layout.addWidget(self.list_message)
        return view

    def refresh(self) -> None:
        """Reload the ready tests with their last score (read off the UI thread)."""
        ctx = self.ctx
        self.ops.run(lambda: read_tests(ctx), self._fill)

    def _fill(self, found: tuple[list, str]) -> None:
        listing, empty = found
        chosen = self._asked if self._asked is not None else self.selected_test_id()
        self._asked = None
        rows = [t for t, _ in listing]
        self.listed = {t.id: (t, done) for t, done in listing}
        self.tests_table.blockSignals(True)
        self.tests_table.setRowCount(len(rows))
        for r, (t, done) in enumerate(listing):
            last = percent(done[0].score, done[0].max_score) if done else "not taken yet"
            values = [t.title, str(t.active), clock(t.time_limit_s) if t.time_limit_s else "untimed", last,
                      str(len(done))]
            for c, value in enumerate(values):
                cell = QTableWidgetItem(value)
                cell.setData(ROLE, t.id)
                self.tests_table.setItem(r, c, cell)
        self.tests_table.blockSignals(False)
        self.empty.setVisible(not rows)
        if not rows:
            self.empty.setText(empty)
        for w in (self.tests_table, self.controls, self.history_box):
            w.setVisible(bool(rows))
        ids = [t.id for t in rows]
        if rows:
            self._select(chosen if chosen in ids else ids[0])
        else:
            self._test_selected()

    def test_ids(self) -> list[int]:
        """Ids of the listed tests, in order."""
        return [self.tests_table.item(r, 0).data(ROLE) for r in range(self.tests_table.rowCount())]

    def selected_test_id(self) -> int | None:
        """The selected test."""
        rows = {i.row() for i in self.tests_table.selectedIndexes()}
        return self.tests_table.item(min(rows), 0).data(ROLE) if rows else None

    def select_test(self, test_id: int) -> None:
        """Select a test in the list (and again once a reload in progress has listed it)."""
        if self.ops.pending:
            self._asked = test_id
        self._select(test_id)

    def _select(self, test_id: int) -> None:
        for r in range(self.tests_table.rowCount()):
            if self.tests_table.item(r, 0).data(ROLE) == test_id:
                self.tests_table.selectRow(r)
        self._test_selected()

    def _test_selected(self) -> None:
        test_id = self.selected_test_id()
        for w in (self.take_button, self.delete_button, self.timed, self.minutes):
            w.setEnabled(test_id is not None)
        self.history.setRowCount(0)
        if test_id is None:
            return
        test, done = self.listed[test_id]
        self.timed.setChecked(bool(test.time_limit_s))
        if test.time_limit_s:
            self.minutes.setValue(max(1, round(test.time_limit_s / 60)))
        self.history.setRowCount(len(done))
        for r, a in enumerate(done):
            took = clock((a.finished_at - a.started_at).total_seconds())
            for c, value in enumerate([a.started_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                                       percent(a.score, a.max_score), took]):
                cell = QTableWidgetItem(value)
                cell.setData(ROLE, a.id)
                self.history.setItem(r, c, cell)

    def delete_selected(self, confirm: bool = True) -> None:
        """Delete the selected test (its attempts stay in the history)."""
        test_id = self.selected_test_id()
        if test_id is None:
            return
        if confirm and QMessageBox.question(self, "Delete test", "Delete this practice test?") \
                != QMessageBox.StandardButton.Yes:
            return
        ctx = self.ctx
        self.ops.run(lambda: practice.delete_test(ctx, test_id), lambda _none: self.refresh())

    # -- taking a test -----------------------------------------------------------------------------------------
    def _sitting_view(self) -> QWidget:
        self.sitting_title = section_title("")
        self.countdown = QLabel("")
        self.countdown.setObjectName("elapsed")
        self.form = QWidget()
        self.form_layout = QVBoxLayout(self.form)
        self.form_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(self.form)
        self.prev_button = QPushButton("← Previous")
        self.prev_button.clicked.connect(lambda: self.show_question(self.current - 1))
        self.next_button = QPushButton("Next →")
        self.next_button.clicked.connect(lambda: self.show_question(self.current + 1))
        self.position = QLabel("")
        self.abandon_button = QPushButton("Leave without grading")
        self.abandon_button.clicked.connect(self.abandon)
        self.submit_button = QPushButton("Submit answers")
        self.submit_button.setObjectName("primary")
        self.submit_button.clicked.connect(self.submit)
        head = QHBoxLayout()
        head.addWidget(self.sitting_title, 1)
        head.addWidget(self.countdown)
        bar = QHBoxLayout()
        bar.addWidget(self.prev_button)
        bar.addWidget(self.position)
        bar.addWidget(self.next_button)
        bar.addStretch(1)
        bar.addWidget(self.abandon_button)
        bar.addWidget(self.submit_button)
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.addLayout(head)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(bar)
        return view

    def take_selected(self) -> None:
        """Start the selected test with the timing chosen."""
        test_id = self.selected_test_id()
        if test_id is not None:
            self.take(test_id, self.minutes.value() * 60 if self.timed.isChecked() else None,
                      self.one_at_a_time.isChecked())

    def take(self, test_id: int, time_limit_s: int | None = None, one_at_a_time: bool = False) -> None:
        """Begin a sitting: the questions in a form (or one at a time), a countdown when timed."""
        try:
            practice.set_time_limit(self.ctx, test_id, time_limit_s)
            self.attempt = practice.start(self.ctx, test_id)
            self.test = practice.get_test(self.ctx, test_id)
            questions = practice.questions(self.ctx, test_id)
        except UserError as exc:
            self.list_message.setText(str(exc))
            return
        for box in self.boxes:
            box.deleteLater()
        self.boxes = [QuestionBox(n, q) for n, q in enumerate(questions, 1)]
        for box in self.boxes:
            self.form_layout.insertWidget(self.form_layout.count() - 1, box)
            if box.line is not None:
                box.line.returnPressed.connect(lambda b=box: self._next_after(b))
            else:  # Enter on a choice goes on too, as it does after a typed answer
                go_on = QAction("Next question", box)
                go_on.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])
                go_on.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                go_on.triggered.connect(lambda _=False, b=box: self._next_after(b))
                box.addAction(go_on)
        # The questions are made after the buttons, so Tab went from the last answer out of the page, never to
        # Submit: answers first, then the buttons, in the order they are seen.
        chain = [w for box in self.boxes for w in ([box.line] if box.line is not None else box.buttons)]
        chain += [self.prev_button, self.next_button, self.abandon_button, self.submit_button]
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)
        self.one_at_a_time_mode = one_at_a_time
        self.sitting_title.setText(self.test.title)
        self.submit_button.setEnabled(True)
        self.stack.setCurrentIndex(1)
        self.show_question(0)
        self._tick()
        if self.test.time_limit_s:
            self.clock.start()

    def show_question(self, index: int) -> None:
        """One at a time: show question index; in the form: scroll to it."""
        if not self.boxes:
            return
        self.current = max(0, min(len(self.boxes) - 1, index))
        single = self.one_at_a_time_mode
        for i, box in enumerate(self.boxes):
            box.setVisible(not single or i == self.current)
        for w in (self.prev_button, self.next_button, self.position):
            w.setVisible(single)
        self.prev_button.setEnabled(self.current > 0)
        self.next_button.setEnabled(self.current < len(self.boxes) - 1)
        self.position.setText(f"{self.current + 1} of {len(self.boxes)}")
        if not single:
            self.scroll.ensureWidgetVisible(self.boxes[self.current])
        self.boxes[self.current].focus()

    def _next_after(self, box: QuestionBox) -> None:
        i = self.boxes.index(box)
        if i < len(self.boxes) - 1:
            self.show_question(i + 1)
        else:
            self.submit_button.setFocus()

    def time_left(self) -> float | None:
        """Seconds left in this sitting (None: untimed)."""
        if self.attempt is None or self.test is None:
            return None
        return practice.time_left(self.test, self.attempt, _now_like(self.attempt.started_at))

    def _tick(self) -> None:
        left = self.time_left()
        if left is None:
            self.countdown.setText("Untimed")
            return
        self.countdown.setText(f"Time left {clock(left)}")
        if left <= 0 and self.stack.currentIndex() == 1:
            self.clock.stop()
            self.submit(time_up=True)

    def abandon(self) -> None:
        """Leave the sitting without grading it (it stays unfinished and out of the history)."""
        self.clock.stop()
        self.attempt = None
        self.stack.setCurrentIndex(0)
        self.list_message.setText("You left the test; nothing was graded.")
        self.refresh()

    def submit(self, time_up: bool = False) -> None:
        """Keep every answer, grade what matching can tell now, and the rest with the model in the background."""
        if self.attempt is None or self.stack.currentIndex() != 1:
            return
        self.clock.stop()
        self.submit_button.setEnabled(False)
        attempt_id = self.attempt.id
        undecided = 0
        try:
            for box in self.boxes:
                saved = practice.record(self.ctx, attempt_id, box.question.id, box.response())
                undecided += saved.correct is None
        except UserError as exc:
            self.list_message.setText(str(exc))
            self.stack.setCurrentIndex(0)
            return
        note = "Time is up. " if time_up else ""
        if undecided:
            self.grading_job = self.runner.submit("practice.grade", {"attempt_id": attempt_id},
                                                  f"Grade {self.test.title}")
            self._show_result(practice.result(self.ctx, attempt_id),
                              f"{note}Checking {undecided} answer{'s' if undecided != 1 else ''} in your own words "
                              "by meaning, and with the model when unsure… (progress in the jobs panel; the "
                              "score updates when it is done)")
        else:
            self._show_result(practice.finish(self.ctx, attempt_id, use_llm=False), note)
            self.refresh()
        # Submit is gone with the sitting: the keyboard goes on to read the result (arrows scroll it, Tab reaches its
        # buttons), not back to the navigation, where the next arrow key would switch pages.
        self.stack.currentWidget().findChild(QScrollArea).setFocus()

    def _job_finished(self, job) -> None:
        if job.kind != "practice.grade":
            return
        attempt_id = (job.payload or {}).get("attempt_id")
        showing = self.stack.currentIndex() == 2 and self.result is not None and \
            self.result.attempt.id == attempt_id
        if job.id == self.grading_job:
            self.grading_job = None
        if showing:
            if job.state == "done":
                self._show_result(practice.result(self.ctx, attempt_id), "")
            else:
                self.status.setText(f"The model could not finish grading: {plain_message(job.error or job.state)} "
                                    "Answers it did not check count as not yet graded. Open the attempt again later "
                                    "from the history.")
        self.refresh()

    def back_to_list(self) -> None:
        """Back to the tests and their history."""
        self.stack.setCurrentIndex(0)
        self.refresh()
