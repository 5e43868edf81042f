"""The first-start welcome: what the app does, a bundled sample to try in one click, or the student's own material.

Also where the window follows a "next step" an empty state offers (add files, record, generate cards)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

ABOUT = ("Record a lecture or add your PDFs, slides and photos, and Little Monster GPA turns them into a transcript "
         "you can click through, a library you can search and ask questions of, and notes, flashcards and practice "
         "tests. Everything runs offline on this laptop, and it schedules your reviews so you remember what you "
         "studied.")
SAMPLE = ("Adds a two-minute biology lecture on photosynthesis and two chapters of a programming textbook (PDF) to "
          "your library. The lecture is transcribed on this laptop while you look around; remove both from the "
          "Library whenever you like.")
OWN = ("Record a lecture as it happens, or add the slides, PDFs, documents, photos of the board and recordings you "
       "already have.")


def _text(text: str, name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    if name:
        label.setObjectName(name)
    return label


class WelcomeDialog(QDialog):
    """Two sentences about the app, then two ways to start; modeless, so the window stays usable behind it."""

    try_sample = Signal()
    next_step = Signal(str)  # "record" or "add_files"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Welcome to Little Monster GPA")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(520)
        heading = QLabel("Welcome to Little Monster GPA")
        heading.setObjectName("pageTitle")
        self.sample_button = QPushButton("Try the sample lecture")
        self.sample_button.setObjectName("primary")
        self.sample_button.setDefault(True)
        self.sample_button.clicked.connect(lambda: self.try_sample.emit())
        self.status = _text("", "muted")
        sample_box = QGroupBox("Try it first")
        sample_layout = QVBoxLayout(sample_box)
        sample_layout.addWidget(_text(SAMPLE))
        sample_layout.addWidget(self.sample_button, 0, Qt.AlignmentFlag.AlignLeft)
        sample_layout.addWidget(self.status)
        self.record_button = QPushButton("Record a lecture")
        self.record_button.clicked.connect(lambda: self.next_step.emit("record"))
        self.add_button = QPushButton("Add files…")
        self.add_button.clicked.connect(lambda: self.next_step.emit("add_files"))
        own_box = QGroupBox("Start with my own material")
        own_layout = QVBoxLayout(own_box)
        own_layout.addWidget(_text(OWN))
        own_row = QHBoxLayout()
        own_row.addWidget(self.record_button)
        own_row.addWidget(self.add_button)
        own_row.addStretch(1)
        own_layout.addLayout(own_row)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        footer = QHBoxLayout()
        footer.addWidget(_text("Settings → Getting started shows this again.", "muted"), 1)
        footer.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(_text(ABOUT))
        layout.addWidget(sample_box)
        layout.addWidget(own_box)
        layout.addLayout(footer)
        self.sample_button.setFocus()

    def adding(self) -> None:
        """The sample is being queued: one click is enough."""
        self.sample_button.setEnabled(False)
        self.status.setText("Adding the sample lecture and PDF…")

    def failed(self, message: str) -> None:
        """Queueing the sample failed: say so and let the student try again."""
        self.sample_button.setEnabled(True)
        self.status.setText(f"The sample could not be added: {message}")


def offer_welcome(window) -> None:
    """On a new profile, once per profile: the welcome (whether it is new is read off the UI thread)."""
    from lmgpa_desktop.core.study import first_start

    ctx = window.ctx
    window.ops.run(lambda: first_start.claim_welcome(ctx), lambda new: show_welcome(window) if new else None)


def show_welcome(window) -> WelcomeDialog:
    """Show the welcome over the window (the one already open, if any)."""
    dialog = getattr(window, "welcome", None)
    if dialog is None:
        dialog = WelcomeDialog(window)
        dialog.try_sample.connect(lambda: try_sample(window, dialog))
        dialog.next_step.connect(lambda step: (dialog.accept(), follow(window, step)))
        dialog.destroyed.connect(lambda _obj=None: setattr(window, "welcome", None))
        window.welcome = dialog
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def try_sample(window, dialog: WelcomeDialog) -> None:
    """Queue the sample lecture and PDF as import jobs (off the UI thread); the Library shows them arrive."""
    from lmgpa_desktop.core.study import first_start

    ctx = window.ctx
    dialog.adding()
    window.ops.run(lambda: first_start.queue_samples(ctx), lambda jobs: _sample_queued(window, dialog, jobs),
                   lambda exc: dialog.failed(str(exc)) if _is_open(window, dialog) else None)


def _is_open(window, dialog: WelcomeDialog) -> bool:
    """The student may close the welcome while its work runs (closing deletes it)."""
    return getattr(window, "welcome", None) is dialog


def _sample_queued(window, dialog: WelcomeDialog, jobs: list[int]) -> None:
    window.runner.announce(jobs)
    if _is_open(window, dialog):
        dialog.accept()
    window.show_area("library")
    if window.jobs_panel is not None:
        window.jobs_panel.show()  # the lecture's transcription takes a minute or two: its progress is in view
    window.statusBar().showMessage("Adding the sample: the PDF appears in a moment, the lecture once it is "
                                   "transcribed (progress below).", 20_000)


def follow(window, step: str) -> None:
    """Take a next step an empty state or the welcome offers: "add_files", "generate", or an area's key."""
    if step == "add_files":
        window.show_area("library")
        window.pages["library"].choose_files()
    elif step == "generate":
        window.show_area("study")
        window.pages["study"].show_tab("generate")
    else:
        window.show_area(step)
