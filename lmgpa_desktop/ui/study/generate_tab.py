"""Study → Generate: pick library sources, choose notes, flashcards or a test and how many, queue the job."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.study.items import generate
from lmgpa_desktop.core.study.items import material
from lmgpa_desktop.core.library import library
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.ui.study.common import EMPTY_LIBRARY, message_label, section_title
from lmgpa_desktop.ui.kit.plain_errors import plain_message

WHAT_LABELS = [("Flashcards", "flashcards"), ("Practice test", "quiz"), ("Notes", "notes")]
RESULT_NAMES = {"notes": "notes", "flashcards": "flashcards", "quiz": "practice test"}


class GeneratePanel(QWidget):
    """Choose sources and what to make from them."""

    generated = Signal(object)  # the finished generation job (done or failed)

    def __init__(self, ctx, runner, parent=None):
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.jobs: list[int] = []
        self.sources = QListWidget()
        self.sources.setAccessibleName("Sources to generate from")
        self.sources.setObjectName("studySources")
        self.sources.itemChanged.connect(lambda _i: self._update_button())
        self.empty = message_label(EMPTY_LIBRARY)
        self.empty.setObjectName("muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        all_button = QPushButton("Select all")
        all_button.clicked.connect(lambda: self.set_checked([self._id(i) for i in self._items()]))
        none_button = QPushButton("Clear")
        none_button.clicked.connect(lambda: self.set_checked([]))
        self.what = QComboBox()
        for label, key in WHAT_LABELS:
            self.what.addItem(label, key)
        self.what.currentIndexChanged.connect(self._what_changed)
        self.count_label = QLabel("How many")
        self.count = QSpinBox()
        self.count.setRange(1, material.MAX_COUNT)
        self.generate_button = QPushButton("Generate")
        self.generate_button.setObjectName("primary")
        self.generate_button.clicked.connect(self.start)
        self.message = message_label()

        self.controls = QWidget()
        controls = QVBoxLayout(self.controls)
        controls.setContentsMargins(0, 0, 0, 0)
        picks = QHBoxLayout()
        picks.addWidget(all_button)
        picks.addWidget(none_button)
        picks.addStretch(1)
        options = QHBoxLayout()
        options.addWidget(QLabel("Make"))
        options.addWidget(self.what)
        options.addWidget(self.count_label)
        options.addWidget(self.count)
        options.addStretch(1)
        options.addWidget(self.generate_button)
        layout = QVBoxLayout(self)
        layout.addWidget(section_title("Sources to generate from"))
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.sources, 1)
        controls.addLayout(picks)
        controls.addLayout(options)
        layout.addWidget(self.controls)
        layout.addWidget(message_label("Generation runs in the background: its progress and Cancel are in the "
                                       "status bar and the jobs panel (Ctrl+J). What it makes waits in "
                                       "“To review” until you accept it."))
        layout.addWidget(self.message)
        runner.finished.connect(self._job_finished)
        self._what_changed()
        self.refresh()

    # -- sources -----------------------------------------------------------------------------------------------
    def _items(self) -> list[QListWidgetItem]:
        return [self.sources.item(i) for i in range(self.sources.count())]

    @staticmethod
    def _id(item: QListWidgetItem) -> int:
        return item.data(Qt.ItemDataRole.UserRole)

    def refresh(self) -> None:
        """Reload the library's sources, keeping the ticks."""
        ticked = set(self.checked_ids())
        rows = library.items(self.ctx)
        self.sources.blockSignals(True)
        self.sources.clear()
        for row in rows:
            src = row.source
            size = f"{src.page_count} pages" if src.page_count else clock(src.duration_s) if src.duration_s else ""
            extra = [x for x in (src.kind.upper() if src.kind in ("pdf", "pptx", "docx") else src.kind, size,
                                 row.course) if x]
            if src.status != "ready":
                extra.append(f"not ready yet: {src.status}")
            item = QListWidgetItem(f"{src.title}  ·  {' · '.join(extra)}")
            item.setData(Qt.ItemDataRole.UserRole, src.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if src.id in ticked else Qt.CheckState.Unchecked)
            self.sources.addItem(item)
        self.sources.blockSignals(False)
        self.empty.setVisible(not rows)
        self.sources.setVisible(bool(rows))
        self.controls.setVisible(bool(rows))
        self._update_button()

    def checked_ids(self) -> list[int]:
        """Ids of the ticked sources, in list order."""
        return [self._id(i) for i in self._items() if i.checkState() == Qt.CheckState.Checked]

    def set_checked(self, source_ids: list[int]) -> None:
        """Tick exactly these sources."""
        wanted = set(source_ids)
        for item in self._items():
            item.setCheckState(Qt.CheckState.Checked if self._id(item) in wanted else Qt.CheckState.Unchecked)
        self._update_button()

    # -- options -----------------------------------------------------------------------------------------------
    def set_what(self, what: str) -> None:
        """Choose notes, flashcards or quiz."""
        self.what.setCurrentIndex(self.what.findData(what))

    def _what_changed(self) -> None:
        what = self.what.currentData()
        notes = what == "notes"
        self.count.setVisible(not notes)
        self.count_label.setVisible(not notes)
        if not notes:
            self.count.setValue(material.DEFAULT_COUNT[what])
        self._update_button()

    def _update_button(self) -> None:
        n = len(self.checked_ids())
        self.generate_button.setEnabled(n > 0)
        what = self.what.currentData()
        self.generate_button.setText(f"Generate {RESULT_NAMES[what]}" + (f" from {n} sources" if n > 1 else ""))

    # -- running -----------------------------------------------------------------------------------------------
    def start(self) -> int | None:
        """Queue the generation job for the ticked sources; returns its id."""
        what = self.what.currentData()
        ids = self.checked_ids()
        try:
            job_id = generate.queue(self.ctx, what, ids, None if what == "notes" else self.count.value(),
                                    submit=self.runner.submit)
        except UserError as exc:
            self.message.setText(plain_message(exc))
            return None
        self.jobs.append(job_id)
        self.message.setText(f"Generating {RESULT_NAMES[what]} from {len(ids)} source(s)… "
                             "You can keep working; it appears in “To review” when ready.")
        return job_id

    def _job_finished(self, job) -> None:
        if not job.kind.startswith("generate."):
            if job.kind.startswith(("import", "index", "transcribe", "recording")):
                self.refresh()
            return
        what = job.kind.split(".", 1)[1]
        if job.state == "done":
            r = job.result or {}
            n = len(r.get("card_ids") or r.get("question_ids") or []) if what != "notes" else 1
            made = {"notes": "Notes are", "flashcards": f"{n} flashcards are",
                    "quiz": f"A practice test with {n} questions is"}[what]
            self.message.setText(f"{made} ready in “To review”." if n else
                                 f"{job.title}: nothing new was found to make (everything was already there or "
                                 "the text was too short).")
        elif job.state == "cancelled":
            self.message.setText(f"{job.title} was cancelled.")
        else:
            self.message.setText(f"{job.title} failed: {plain_message(job.error or job.state)}")
        self.generated.emit(job)
