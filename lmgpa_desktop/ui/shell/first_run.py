"""The first-run welcome, once per user: data folder, microphone, models, sign-in, keys; then how to start."""

# Shown once per user account (the bootstrap config remembers the version that showed it), before the per-profile
# welcome of welcome.py, which it leads into: that one offers the sample or the student's own material to a profile
# that is still empty. Every page can be skipped; Settings → "Show the first-run tour again" brings it back. It is
# modeless, so the window behind stays usable (the sign-in page opens the Account page there).

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from lmgpa_desktop import __version__, paths
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.shell.first_run_pages import DataPage, KeysPage, MicPage, ModelsPage, Page, SignInPage

DONE_KEY = "first_run_done"  # bootstrap config: the app version that showed (or skipped) it


def is_done() -> bool:
    """Whether this user has seen (or skipped) the first-run welcome (reads the small config file)."""
    return bool(paths.read_config().get(DONE_KEY))


def mark_done() -> None:
    """Remember that the welcome was shown, so the next start goes straight to the window."""
    paths.write_config({DONE_KEY: __version__})


class FirstRunDialog(QDialog):
    """Five short pages with Back, Next and Skip on each; the last button leads to the sample-or-own choice."""

    def __init__(self, window, parent: QWidget | None = None):
        super().__init__(parent or window)
        self.setObjectName("firstRun")
        self.setWindowTitle("Welcome to Little Monster GPA")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumSize(560, 420)
        self.ops = Operations(self, "first-run")
        self.skipped = False
        self.data = DataPage(window, self.ops)
        self.mic = MicPage(window, self.ops)
        self.models = ModelsPage(window, self.ops)
        self.sign_in = SignInPage(window, self.ops)
        self.keys = KeysPage(window, self.ops)
        self.pages: list[Page] = [self.data, self.mic, self.models, self.sign_in, self.keys]
        self.sign_in.not_now.connect(self.next)
        self.heading = QLabel()
        self.heading.setObjectName("pageTitle")
        self.step = QLabel()
        self.step.setObjectName("muted")
        self.stack = QStackedWidget()
        for page in self.pages:
            self.stack.addWidget(page)
        self.skip_button = QPushButton("Skip")
        self.skip_button.setToolTip("Close the welcome; Settings shows it again")
        self.skip_button.clicked.connect(self.skip)
        self.back_button = QPushButton("Back")
        self.back_button.clicked.connect(self.back)
        self.next_button = QPushButton("Next")
        self.next_button.setObjectName("primary")
        self.next_button.clicked.connect(self.next)
        footer = QHBoxLayout()
        footer.addWidget(self.skip_button)
        footer.addStretch(1)
        footer.addWidget(self.back_button)
        footer.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.step)
        layout.addWidget(self.heading)
        layout.addWidget(self.stack, 1)
        layout.addLayout(footer)
        self.finished.connect(lambda _code: self._leave())
        self._current: Page | None = None
        self._left_hidden = False
        self.parent().installEventFilter(self)
        self.go(0)

    def index(self) -> int:
        """The page on screen (0-based)."""
        return self.stack.currentIndex()

    def go(self, index: int) -> None:
        """Show a page: the one left lets go of what it holds (the microphone), the new one fills itself."""
        if self._current is not None:
            self._current.leave()
        self.stack.setCurrentIndex(index)
        page = self._current = self.pages[index]
        last = index == len(self.pages) - 1
        self.step.setText(f"Step {index + 1} of {len(self.pages)}")
        self.heading.setText(page.title)
        self.back_button.setEnabled(index > 0)
        self.next_button.setText("Get started" if last else "Next")
        self.next_button.setDefault(not isinstance(page, SignInPage))  # there "Not now" is the default
        page.enter()

    def next(self) -> None:
        """The next page; after the last, the welcome is done."""
        if self.index() < len(self.pages) - 1:
            self.go(self.index() + 1)
        else:
            self.accept()

    def back(self) -> None:
        if self.index() > 0:
            self.go(self.index() - 1)

    def skip(self) -> None:
        """Close now; it counts as seen, like finishing it."""
        self.skipped = True
        self.reject()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        # A child dialog outlives its window's close (the app quitting): close with it, letting go of the microphone.
        if watched is self.parent() and event.type() == QEvent.Type.Close and self.isVisible():
            self.close()
        return False

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt's name
        # Hidden with the window (closing the app) or minimised away: the microphone is let go of, not left open.
        if self._current is not None:
            self._current.leave()
            self._left_hidden = True
        super().hideEvent(event)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._left_hidden and self._current is not None:
            self._left_hidden = False
            self._current.enter()

    def _leave(self) -> None:
        if self._current is not None:
            self._current.leave()
            self._current = None
        self.ops.close()


def offer_first_run(window) -> None:
    """At start: the first-run welcome if this user has not seen it, else straight to the per-profile welcome."""
    from lmgpa_desktop.ui.shell.welcome import offer_welcome

    window.ops.run(is_done, lambda done: offer_welcome(window) if done else show_first_run(window, first=True))


def show_first_run(window, first: bool = False) -> FirstRunDialog:
    """Show the welcome over the window (the one already open, if any); first: the start-up one, not Settings'."""
    dialog = getattr(window, "first_run", None)
    if dialog is None:
        dialog = FirstRunDialog(window)
        dialog.finished.connect(lambda code: _finished(window, dialog, first, code == QDialog.DialogCode.Accepted))
        dialog.destroyed.connect(lambda _obj=None: setattr(window, "first_run", None))
        window.first_run = dialog
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def _finished(window, dialog: FirstRunDialog, first: bool, accepted: bool) -> None:
    """Remember it was seen; "Get started" leads on to the sample-or-own choice (Skip leaves it for later)."""
    from lmgpa_desktop.ui.shell.welcome import offer_welcome, show_welcome

    window.ops.run(mark_done)
    if accepted:
        if first:
            offer_welcome(window)  # once per profile, and only to an empty one
        else:
            show_welcome(window)  # asked for from Settings: the choice, whatever the profile holds
