"""The pages of the first-run welcome: data folder, microphone test, models, sign-in, keys."""

# Each page fills itself off the UI thread when it is first shown (enter()) and lets go of what it holds when the
# student moves on (leave()): the microphone page is the one that matters, as an open input keeps the device busy.

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout, QHeaderView, QLineEdit, QProgressBar, QPushButton, QTableWidget, QTableWidgetItem,
    QVBoxLayout, QWidget,
)

from lmgpa_desktop.core import disk_space
from lmgpa_desktop.core.capture.mic_check import MicCheck
from lmgpa_desktop.core.formatting import human_size
from lmgpa_desktop.core.models.registry import SPECS
from lmgpa_desktop.ui.kit.plain_errors import plain_message
from lmgpa_desktop.ui.kit.text_label import label
from lmgpa_desktop.ui.shell import shortcuts_overlay
from lmgpa_desktop.ui.shell.settings_page import choose_data_dir, data_dir_note

NO_MIC = "No microphone found — you can still import recordings."
LOW_SPACE_BYTES = 2 * 1024 ** 3  # a term of lectures and their transcripts fits with room to spare


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    header = table.horizontalHeader()
    for col in range(len(headers)):
        mode = QHeaderView.ResizeMode.Stretch if col == 1 else QHeaderView.ResizeMode.ResizeToContents
        header.setSectionResizeMode(col, mode)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(value))


class Page(QWidget):
    """A page of the tour: a title, what it shows, filled when entered."""

    title = ""

    def __init__(self, window, ops, parent=None):
        super().__init__(parent)
        self.window_, self.ops = window, ops
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)

    def enter(self) -> None:
        """The page is now on screen."""

    def leave(self) -> None:
        """The student moved on or closed the welcome."""


class DataPage(Page):
    """Where the data lives, the free space on that disk, and a way to move it."""

    title = "Where your data lives"

    def __init__(self, window, ops, parent=None):
        super().__init__(window, ops, parent)
        self.home = window.ctx.home
        self.path = QLineEdit(str(self.home))
        self.path.setReadOnly(True)
        self.path.setAccessibleName("Data folder")
        self.change = QPushButton("Change…")
        self.change.clicked.connect(self.choose)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.change)
        self.free = label("Checking the free space…", "freeSpace")
        self.note = label("", "muted")
        self.layout_.addWidget(label("Your recordings, documents, transcripts, cards and backups are kept in this "
                                     "folder on this computer. Nothing leaves it unless you sign in to a school "
                                     "server and sync."))
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.free)
        self.layout_.addWidget(self.note)
        self.layout_.addStretch(1)
        self.free_bytes: int | None = None

    def enter(self) -> None:
        home = self.home
        self.ops.run(lambda: disk_space.free_bytes(home), self._show_free)

    def _show_free(self, free: int) -> None:
        self.free_bytes = free
        low = " That is little: lectures and their transcripts need room (about 30 MB an hour)." \
            if free < LOW_SPACE_BYTES else ""
        self.free.setText(f"{human_size(free)} free on this disk.{low}")

    def choose(self) -> None:
        chosen = choose_data_dir(self, self.home)
        if chosen:
            self.path.setText(chosen)
            self.note.setText(data_dir_note(self.home))


class MicPage(Page):
    """A live level meter on the default microphone, or a plain sentence when there is none."""

    title = "Test your microphone"
    level_changed = Signal(int)

    def __init__(self, window, ops, parent=None, device: int | None = None):
        super().__init__(window, ops, parent)
        self.device = device  # None: the system's default input
        self.check: MicCheck | None = None
        self.last_check: MicCheck | None = None
        self.status = label("", "micStatus")
        self.meter = QProgressBar()
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.meter.setAccessibleName("Microphone level")
        self.again = QPushButton("Test again")
        self.again.clicked.connect(lambda: (self.leave(), self.enter()))
        self.peak = 0  # the loudest the meter showed, for the sentence below it and the tests
        self.timer = QTimer(self)  # the meter reads the level 20 times a second, as the recorder's does
        self.timer.setInterval(50)
        self.timer.timeout.connect(self._tick)
        self.layout_.addWidget(label("Say something: the bar should move as you speak. Nothing is recorded."))
        self.layout_.addWidget(self.meter)
        self.layout_.addWidget(self.status)
        self.layout_.addWidget(self.again, 0, Qt.AlignmentFlag.AlignLeft)
        self.layout_.addStretch(1)

    def enter(self) -> None:
        self.leave()
        check = self.check = MicCheck(self.device)
        self.status.setText("Opening the microphone…")
        # The compute lane: PortAudio can take a while to probe the sound system, as on the Record page.
        self.ops.run(check.open, lambda name: self._opened(check, name),
                     lambda exc: self._failed(check, exc), lane="compute")

    def _opened(self, check: MicCheck, name: str) -> None:
        if check is not self.check:
            return  # left (or tested again) while it opened; close() already stopped it
        self.status.setText(f"Listening to {name}.")
        self.timer.start()

    def _failed(self, check: MicCheck, exc: BaseException) -> None:
        if check is not self.check:
            return
        self.check = None
        self.meter.setValue(0)
        self.status.setText(f"{NO_MIC}\n{plain_message(exc)}")

    def _tick(self) -> None:
        if self.check is None:
            return
        value = int(min(1.0, self.check.level) * 100)
        self.peak = max(self.peak, value)
        self.meter.setValue(value)
        self.level_changed.emit(value)

    def leave(self) -> None:
        self.timer.stop()
        self.meter.setValue(0)
        check, self.check = self.check, None
        if check is not None:
            check.close()
        self.last_check = check  # the tests wait on it to see the device let go


class ModelsPage(Page):
    """Each model slot: the model found and its size on disk, or plainly what is missing and what to do."""

    title = "The models on this computer"

    def __init__(self, window, ops, parent=None):
        super().__init__(window, ops, parent)
        self.table = _table(["Does", "Model", "Size"])
        self.table.setAccessibleName("Models")
        self.summary = label("Looking for the models…", "modelsSummary")
        self.layout_.addWidget(label("Everything runs on this computer: these models transcribe, read aloud, write "
                                     "your study items and search. None of them needs the internet."))
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(self.summary)
        self.infos = []

    def enter(self) -> None:
        models = self.window_.ctx.models
        # info() can join the language model's parts on a first start: seconds of disk work, never on the UI thread
        self.ops.run(lambda: [models.info(key) for key in SPECS], self._show, lane="compute")

    def _show(self, infos) -> None:
        self.infos = infos
        rows, missing = [], []
        for info in infos:
            if info.error:
                missing.append(f"{info.job.capitalize()}: {plain_message(info.error)}")
                rows.append((info.job.capitalize(), f"{info.name} — missing", "—"))
            else:
                rows.append((info.job.capitalize(), info.name, human_size(info.size_bytes or 0)))
        _fill(self.table, rows)
        if missing:
            self.summary.setText("Missing: " + " ".join(missing) + " Settings → Models lets you choose a model "
                                 "file of your own; the rest of the app works without it.")
        else:
            total = sum(info.size_bytes or 0 for info in infos)
            self.summary.setText(f"All {len(infos)} models are here ({human_size(total)} in all).")


class SignInPage(Page):
    """Optional: a school's sync server for classes, study groups and leaderboards; "Not now" is the default."""

    title = "Sign in to a school server (optional)"
    not_now = Signal()

    def __init__(self, window, ops, parent=None):
        super().__init__(window, ops, parent)
        self.state = label("", "signInState")
        self.sign_in = QPushButton("Sign in…")
        self.sign_in.setToolTip("Opens the Account page behind this welcome")
        self.sign_in.clicked.connect(self.open_account)
        self.not_now_button = QPushButton("Not now")
        self.not_now_button.setObjectName("primary")
        self.not_now_button.clicked.connect(lambda: self.not_now.emit())
        row = QHBoxLayout()
        row.addWidget(self.not_now_button)
        row.addWidget(self.sign_in)
        row.addStretch(1)
        self.layout_.addWidget(label("If your school or a friend runs a Little Monster GPA server, signing in adds "
                                     "classes, study groups and leaderboards. Your study data stays on this "
                                     "computer; you can sign in any time from the Account page."))
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.state)
        self.layout_.addStretch(1)

    def enter(self) -> None:
        from lmgpa_desktop.ui.online.online_status import state_sentence

        online = getattr(self.window_, "online", None)
        state = getattr(online, "state", None)
        self.state.setText(state_sentence(state) if state is not None else "")
        self.not_now_button.setDefault(True)
        self.not_now_button.setFocus()

    def open_account(self) -> None:
        """The Account page's sign-in form (the one the app always uses), in the window behind."""
        self.window_.show_area("account")
        self.window_.raise_()
        self.window_.activateWindow()


class KeysPage(Page):
    """The keys that work everywhere, read from the same list the `?` overlay shows."""

    title = "Keyboard shortcuts"

    def __init__(self, window, ops, parent=None):
        super().__init__(window, ops, parent)
        self.table = _table(["Keys", "What it does"])
        self.table.setAccessibleName("Keyboard shortcuts")
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(label(f"Press {' or '.join(shortcuts_overlay.KEYS)} on any page for these and that "
                                     "page's own keys.", "muted"))
        self.shortcuts: list[shortcuts_overlay.Shortcut] = []

    def enter(self) -> None:
        window = self.window_
        page = window.stack.currentWidget() if hasattr(window, "stack") else None
        found = shortcuts_overlay.collect(window, page, "This page")
        self.shortcuts = [s for s in found if s.where == "Everywhere"]
        _fill(self.table, [(s.keys, s.does) for s in self.shortcuts])
