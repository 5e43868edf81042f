"""Classes from the offline cache: create or join, roster and assignments, post, hand in and grade."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QCheckBox, QDateTimeEdit, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton, QScrollArea, QSpinBox, QSplitter, QStackedWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.status_line import StatusLine
from lmgpa_desktop.ui.online.class_files import ClassFiles, saved_files
from lmgpa_desktop.ui.online.hand_in import HandIn
from lmgpa_desktop.ui.online.online_status import OnlineStatus, field, label, selected_row, table, when
from lmgpa_desktop.ui.online.queued_actions import QueuedActions

STATUS_TITLES = {"none": "not handed in", "submitted": "handed in", "late": "handed in late", "graded": "graded"}
WAITING = "  (waiting to send)"


class ClassesPage(QWidget, QueuedActions, HandIn, ClassFiles):
    """Classes from the cache; every change goes to the outbox and is sent by the background sync."""

    def __init__(self, ctx, status: OnlineStatus, parent=None):
        super().__init__(parent)
        self.ctx, self.status = ctx, status
        self.service = status.service
        self.ops = Operations(self, "classes")
        self.rows: list[dict] = []
        self.detail: dict = {}
        self.assignments: list[dict] = []
        self.subs: list[dict] = []
        self.attachments: list[str] = []
        self.hand_in_path: str | None = None
        title = QLabel("Classes")
        title.setObjectName("pageTitle")
        self.state = label("", "classesState")
        self.message = StatusLine("", "classesMessage")  # done messages clear themselves; errors stay

        self.list = QListWidget()
        self.list.setObjectName("classList")
        self.list.currentRowChanged.connect(lambda _r: self.show_class())
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("New class name")
        self.create_button = QPushButton("Create class")
        self.create_button.clicked.connect(self.create_class)
        self.code = QLineEdit()
        self.code.setPlaceholderText("Join code from your teacher")
        self.code.returnPressed.connect(self.join_class)
        self.join_button = QPushButton("Join")
        self.join_button.clicked.connect(self.join_class)
        self.create_row = QWidget()
        crow = QHBoxLayout(self.create_row)
        crow.setContentsMargins(0, 0, 0, 0)
        crow.addWidget(self.new_name, 1)
        crow.addWidget(self.create_button)
        jrow = QHBoxLayout()
        jrow.addWidget(self.code, 1)
        jrow.addWidget(self.join_button)
        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(0, 0, 0, 0)
        lcol.addWidget(self.list, 1)
        lcol.addWidget(self.create_row)
        lcol.addLayout(jrow)

        self.detail_view = self._detail_view()
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.detail_view)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.state)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        status.synced.connect(lambda _r: self.refresh())
        status.state_changed.connect(lambda _s: self.refresh())
        self.refresh()

    # -- building ----------------------------------------------------------------------------------------------
    def _detail_view(self) -> QWidget:
        body = QWidget()
        col = QVBoxLayout(body)
        self.class_title = QLabel("")
        self.class_title.setObjectName("sectionTitle")
        self.join_code = label("", "joinCode")
        self.roster = QListWidget()
        self.roster.setObjectName("roster")
        self.roster.setMaximumHeight(100)
        self.assignment_table = table(["Assignment", "Due", "Points", "Status"], "assignmentTable")
        self.assignment_table.itemSelectionChanged.connect(self.show_assignment)
        self.assignment_table.setMaximumHeight(170)  # the hand-in or grading form stays in view below
        self.assignment_text = label("", "assignmentText")
        self.save_file_button = QPushButton("Save file…")
        self.save_file_button.setObjectName("saveAssignmentFile")
        self.save_file_button.clicked.connect(self._choose_save_assignment_file)
        text_row = QHBoxLayout()
        text_row.addWidget(self.assignment_text, 1)
        text_row.addWidget(self.save_file_button, 0, Qt.AlignmentFlag.AlignTop)
        self.sub_table = table(["Student", "Version", "Kind", "Handed in", "Late", "Points", "Feedback"],
                               "submissionTable")
        self.sub_table.itemSelectionChanged.connect(self._show_submission)
        self.sub_table.setMaximumHeight(150)
        self.sub_text = QPlainTextEdit()
        self.sub_text.setAccessibleName("Handed-in text")
        self.sub_text.setReadOnly(True)
        self.sub_text.setMaximumHeight(90)
        self.save_sub_button = QPushButton("Save file…")
        self.save_sub_button.setObjectName("saveSubmissionFile")
        self.save_sub_button.clicked.connect(self._choose_save_submission_file)
        sub_row = QHBoxLayout()
        sub_row.addWidget(self.sub_text, 1)
        sub_row.addWidget(self.save_sub_button, 0, Qt.AlignmentFlag.AlignTop)
        self.my_grade = label("", "myGrade")
        col.addWidget(self.class_title)
        col.addWidget(self.join_code)
        col.addWidget(QLabel("People"))
        col.addWidget(self.roster)
        col.addWidget(QLabel("Assignments"))
        col.addWidget(self.assignment_table)
        col.addLayout(text_row)
        col.addWidget(self.my_grade)
        col.addWidget(QLabel("Handed in"))
        col.addWidget(self.sub_table)
        col.addLayout(sub_row)
        self.grade_box = self._grade_box()
        self.hand_in_box = self._hand_in_box()
        self.new_assignment_box = self._new_assignment_box()
        for box in (self.grade_box, self.hand_in_box, self.new_assignment_box):
            col.addWidget(box)
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.empty_detail = label("Choose a class, or join one with the code your teacher gave you.", "muted")
        stack = QStackedWidget()
        stack.addWidget(self.empty_detail)
        stack.addWidget(scroll)
        self.detail_stack = stack
        return stack

    def _new_assignment_box(self) -> QGroupBox:
        box = QGroupBox("New assignment")
        self.a_title = QLineEdit()
        self.a_description = QPlainTextEdit()
        self.a_description.setMaximumHeight(70)
        self.a_has_due = QCheckBox("Due")
        self.a_has_due.setChecked(True)
        self.a_due = QDateTimeEdit(QDateTime.currentDateTime().addDays(7))
        self.a_due.setCalendarPopup(True)
        self.a_due.setDisplayFormat("ddd d MMM yyyy HH:mm")
        self.a_has_due.toggled.connect(self.a_due.setEnabled)
        self.a_points = QSpinBox()
        self.a_points.setRange(1, 100000)
        self.a_points.setValue(100)
        self.a_files = label("No files attached.", "muted")
        attach = QPushButton("Attach files…")
        attach.clicked.connect(self._choose_attachments)
        self.post_button = QPushButton("Post assignment")
        self.post_button.setObjectName("primary")
        self.post_button.clicked.connect(self.post_assignment)
        due = QHBoxLayout()
        due.addWidget(self.a_has_due)
        due.addWidget(self.a_due, 1)
        files = QHBoxLayout()
        files.addWidget(self.a_files, 1)
        files.addWidget(attach)
        form = QFormLayout(box)
        form.addRow("Title", self.a_title)
        form.addRow("Description", self.a_description)
        form.addRow("Due date", due)
        form.addRow("Points", self.a_points)
        form.addRow("Files", files)
        form.addRow(self.post_button)
        return box

    def _grade_box(self) -> QGroupBox:
        box = QGroupBox("Grade the selected hand-in")
        self.g_points = QDoubleSpinBox()
        self.g_points.setDecimals(1)
        self.g_points.setRange(0, 10000)
        self.g_feedback = QLineEdit()
        self.g_feedback.setPlaceholderText("Feedback for the student")
        self.grade_button = QPushButton("Save grade")
        self.grade_button.clicked.connect(self.save_grade)
        row = QHBoxLayout(box)
        row.addWidget(QLabel("Points"))
        row.addWidget(self.g_points)
        row.addWidget(self.g_feedback, 1)
        row.addWidget(self.grade_button)
        return box

    # -- reading the cache ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read my classes from the cache (local) and the selected class."""
        status = self.status.status
        signed_in = status != "signed_out"
        if not signed_in:
            self.state.setText("Sign in on the Account page to see your classes.")
        elif status == "offline":
            self.state.setText("Working offline: what you see is from the last sync; changes wait in the outbox.")
        elif status == "expired":
            self.state.setText("Your session has expired: sign in again on the Account page to send your changes.")
        else:
            self.state.setText("")
        self.state.setVisible(bool(self.state.text()))
        self.create_row.setVisible(signed_in and self.status.role() in ("teacher", "admin"))
        self.join_button.setEnabled(signed_in)
        current = self.current_class_id()
        try:
            self.rows = self.service.classes() if signed_in else []
        except Exception as exc:  # noqa: BLE001 - a broken cache is shown, not raised
            self.rows = []
            self.message.setText(f"Could not read your classes: {exc}")
        self.list.blockSignals(True)
        self.list.clear()
        for row in self.rows:
            role = field(row, "my_role", "")
            text = field(row, "name", "") + (f"  · {role}" if role else "") + (WAITING if field(row, "pending") else "")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, field(row, "id"))
            self.list.addItem(item)
        ids = [field(r, "id") for r in self.rows]
        self.list.setCurrentRow(ids.index(current) if current in ids else (0 if ids else -1))
        self.list.blockSignals(False)
        self.show_class()

    def current_class_id(self) -> str | None:
        """Id of the selected class."""
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def current_class(self) -> dict | None:
        """The selected class row."""
        cid = self.current_class_id()
        return next((r for r in self.rows if field(r, "id") == cid), None)

    def is_teacher(self) -> bool:
        """Whether I teach the selected class."""
        return field(self.current_class(), "my_role") == "teacher"

    def select_class(self, class_id: str) -> None:
        """Select a class by id."""
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == class_id:
                self.list.setCurrentRow(i)

    def show_class(self) -> None:
        """Show the selected class: code, roster, assignments (from the cache)."""
        row = self.current_class()
        if row is None:
            self.detail_stack.setCurrentIndex(0)
            self.detail, self.assignments = {}, []
            return
        self.detail_stack.setCurrentIndex(1)
        cid = field(row, "id")
        try:
            self.detail = self.service.class_detail(cid) or {}
        except Exception as exc:  # noqa: BLE001
            self.detail = {}
            self.message.setText(f"Could not read this class: {exc}")
        klass = self.detail.get("class") or row
        teacher = self.is_teacher()
        pending = bool(field(row, "pending"))
        self.class_title.setText(field(klass, "name", "") + (WAITING if pending else ""))
        code = field(klass, "join_code") or field(row, "join_code")
        if teacher:
            self.join_code.setText(f"Join code: <b>{code}</b> — give it to your students." if code else
                                   "The join code arrives after the class is sent to the server.")
        self.join_code.setVisible(teacher)
        self.roster.clear()
        for person in self.detail.get("roster") or []:
            email = field(person, "email")
            self.roster.addItem(f"{field(person, 'display_name', '')} · {field(person, 'role', '')}"
                                + (f" · {email}" if email else ""))
        chosen = self.current_assignment_id()
        self.assignments = list(self.detail.get("assignments") or [])
        self.assignment_table.blockSignals(True)
        self.assignment_table.setRowCount(len(self.assignments))
        for r, a in enumerate(self.assignments):
            if teacher:
                status = (f"{field(a, 'submitted_count', 0) or 0} handed in, "
                          f"{field(a, 'graded_count', 0) or 0} graded")
            else:
                status = STATUS_TITLES.get(field(a, "my_status") or "none", field(a, "my_status") or "")
                if field(a, "my_points") is not None:
                    status += f" ({field(a, 'my_points'):g})"
            if field(a, "pending"):
                status = "waiting to send"
            points = field(a, "points_possible")
            cells = [field(a, "title", ""), when(field(a, "due_at")) or "no due date",
                     "" if points is None else f"{points:g}", status]
            for c, text in enumerate(cells):
                self.assignment_table.setItem(r, c, QTableWidgetItem(text))
        ids = [field(a, "id") for a in self.assignments]
        if chosen in ids:
            self.assignment_table.selectRow(ids.index(chosen))
        elif ids:
            self.assignment_table.selectRow(0)
        self.assignment_table.blockSignals(False)
        self.new_assignment_box.setVisible(teacher)
        self.grade_box.setVisible(teacher)
        self.hand_in_box.setVisible(not teacher)
        self.show_assignment()

    def current_assignment(self) -> dict | None:
        """The selected assignment row."""
        row = selected_row(self.assignment_table)
        return self.assignments[row] if row is not None and row < len(self.assignments) else None

    def current_assignment_id(self) -> str | None:
        """Id of the selected assignment."""
        return field(self.current_assignment(), "id")

    def select_assignment(self, title: str) -> None:
        """Select an assignment by title."""
        for r, a in enumerate(self.assignments):
            if field(a, "title") == title:
                self.assignment_table.selectRow(r)

    def show_assignment(self) -> None:
        """The selected assignment's text and the hand-ins I may see."""
        a = self.current_assignment()
        self.subs = []
        if a is None:
            self.assignment_text.setText("")
            self.my_grade.setText("")
            self.sub_table.setRowCount(0)
            self.submit_button.setEnabled(False)
            self.save_file_button.setEnabled(False)
            self.save_sub_button.setEnabled(False)
            return
        files = [field(f, "file_name", "") for f in field(a, "attachments") or []]
        description = field(a, "description", "") or ""
        self.assignment_text.setText(description + (f"\nFiles: {', '.join(files)}" if files else ""))
        self.save_file_button.setEnabled(bool(saved_files(a)))
        if not field(a, "pending"):
            try:
                self.subs = list(self.service.submissions(field(a, "id")) or [])
            except Exception as exc:  # noqa: BLE001
                self.message.setText(f"Could not read the hand-ins: {exc}")
        names = {field(p, "id"): field(p, "display_name") for p in self.detail.get("roster") or []}
        self.sub_table.blockSignals(True)
        self.sub_table.setRowCount(len(self.subs))
        for r, s in enumerate(self.subs):
            points = field(s, "points")
            student = field(s, "student") or {}
            who = field(student, "display_name") or names.get(field(s, "student_id")) or "me"
            cells = [who, str(field(s, "version", "") or ""), field(s, "kind", ""),
                     "waiting to send" if field(s, "pending") else when(field(s, "created_at")),
                     "late" if field(s, "late") else "", "" if points is None else f"{points:g}",
                     field(s, "feedback", "") or ""]
            for c, text in enumerate(cells):
                self.sub_table.setItem(r, c, QTableWidgetItem(text))
        self.sub_table.blockSignals(False)
        if self.subs:
            self.sub_table.selectRow(len(self.subs) - 1)
        self.my_grade.setText("" if self.is_teacher() else self._my_grade_text())
        self.my_grade.setVisible(bool(self.my_grade.text()))
        self.g_points.setMaximum(float(field(a, "points_possible") or 10000))
        self.submit_button.setEnabled(True)  # on an assignment still waiting to send, the hand-in queues behind it
        self._show_submission()

    def _my_grade_text(self) -> str:
        graded = [s for s in self.subs if field(s, "points") is not None]
        if not graded:
            return "Not graded yet." if self.subs else ""
        s = graded[-1]
        possible = field(self.current_assignment(), "points_possible")
        out_of = f" / {possible:g}" if possible is not None else ""
        feedback = field(s, "feedback") or ""
        return f"Your grade: {field(s, 'points'):g}{out_of}" + (f". Feedback: {feedback}" if feedback else "")

    def current_submission(self) -> dict | None:
        """The selected hand-in."""
        row = selected_row(self.sub_table)
        return self.subs[row] if row is not None and row < len(self.subs) else None

    def _show_submission(self) -> None:
        s = self.current_submission()
        self.sub_text.setPlainText(field(s, "text", "") or "" if s else "")
        self.grade_button.setEnabled(s is not None and not field(s, "pending"))
        self.save_sub_button.setEnabled(bool(saved_files(s)))
        if s is not None and field(s, "points") is not None:
            self.g_points.setValue(float(field(s, "points")))
            self.g_feedback.setText(field(s, "feedback", "") or "")

    # -- actions (queued) ------------------------------------------------------------------------------------
    def create_class(self) -> None:
        """Create a class with the typed name (teachers)."""
        self._queue_typed(self.new_name, "Type a name for the new class.", self.service.create_class,
                          lambda name: f"Class “{name}” created.")

    def join_class(self) -> None:
        """Join the class with the typed code."""
        self._queue_typed(self.code, "Type the join code your teacher gave you.", self.service.join_class,
                          lambda code: f"Joining the class with code {code}.")

    def _choose_attachments(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Attach files to the assignment")
        if paths:
            self.set_attachments(paths)

    def set_attachments(self, paths: list[str]) -> None:
        """Files to attach to the next assignment posted."""
        self.attachments = list(paths)
        self.a_files.setText(", ".join(Path(p).name for p in paths) if paths else "No files attached.")

    def post_assignment(self) -> None:
        """Post the assignment in the form to the selected class."""
        cid = self.current_class_id()
        title = self.a_title.text().strip()
        if cid is None or not title:
            self.message.setText("Give the assignment a title.")
            return
        description = self.a_description.toPlainText().strip()
        due = datetime.fromtimestamp(self.a_due.dateTime().toSecsSinceEpoch(), UTC) if self.a_has_due.isChecked() \
            else None
        points = self.a_points.value()
        files = list(self.attachments)
        self.a_title.clear()
        self.a_description.clear()
        self.set_attachments([])
        self._queue(lambda: self.service.create_assignment(cid, title, description, due, points, files),
                    f"Assignment “{title}” posted.")

    def save_grade(self) -> None:
        """Grade the selected hand-in (teachers)."""
        s = self.current_submission()
        if s is None:
            self.message.setText("Choose a hand-in to grade.")
            return
        sid, points, feedback = field(s, "id"), self.g_points.value(), self.g_feedback.text().strip()
        self._queue(lambda: self.service.grade(sid, points, feedback), f"Grade saved: {points:g}.")

    def showEvent(self, event) -> None:
        """Coming back shows what the last sync brought."""
        super().showEvent(event)
        self.refresh()

    def closeEvent(self, event) -> None:
        """Stop taking work."""
        self.ops.close()
        super().closeEvent(event)
