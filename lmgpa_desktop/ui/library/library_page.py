"""Library: every source with type, class, date, size and status; filters; a viewer per type; rename,
class, tags, trash (restore, empty); add files by dialog or drag-and-drop."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QHeaderView, QInputDialog, QLabel,
    QMessageBox, QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.library import library
from lmgpa_desktop.core.formatting import clock, human_size
from lmgpa_desktop.ui.library.document_viewer import DocumentViewer

KIND_NAMES = {"pdf": "PDF", "docx": "Word", "pptx": "PowerPoint", "md": "Markdown", "txt": "Text", "html": "Web page",
              "image": "Image", "audio": "Audio", "video": "Video", "recording": "Recording"}
AUDIO_KINDS = ("audio", "video", "recording")
COLUMNS = ["Title", "Type", "Class", "Tags", "Added", "Size", "Length", "Status"]


class LibraryPage(QWidget):
    """The student's material in one place."""

    open_audio = Signal(int, object)  # source id, second: the main window shows it on the Record page

    def __init__(self, ctx, runner, parent=None):
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.setAcceptDrops(True)
        title = QLabel("Library")
        title.setObjectName("pageTitle")
        self.add_button = QPushButton("Add files…")
        self.add_button.setObjectName("primary")
        self.add_button.clicked.connect(self.choose_files)
        self.course_filter = QComboBox()
        self.kind_filter = QComboBox()
        self.kind_filter.addItem("All types", None)
        for kind, name in KIND_NAMES.items():
            self.kind_filter.addItem(name, kind)
        self.tag_filter = QComboBox()
        self.show_trash = QCheckBox("Trash")
        self.empty_button = QPushButton("Empty trash…")
        self.empty_button.clicked.connect(self.empty_trash)
        for combo in (self.course_filter, self.kind_filter, self.tag_filter):
            combo.currentIndexChanged.connect(self.refresh)
        self.show_trash.toggled.connect(self.refresh)
        bar = QHBoxLayout()
        bar.addWidget(title)
        bar.addStretch(1)
        for w in (QLabel("Class"), self.course_filter, QLabel("Type"), self.kind_filter, QLabel("Tag"),
                  self.tag_filter, self.show_trash, self.empty_button, self.add_button):
            bar.addWidget(w)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.actions_by_name: dict[str, QAction] = {}
        for name, key, slot in [("Open", "Return", self.open_selected), ("Rename…", "F2", self.rename_selected),
                                ("Class…", "Ctrl+K", self.assign_selected), ("Tags…", "Ctrl+T", self.tag_selected),
                                ("Move to trash", "Delete", self.trash_selected),
                                ("Restore", "Ctrl+R", self.restore_selected)]:
            action = QAction(name, self.table, shortcut=QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(slot)
            self.table.addAction(action)
            self.actions_by_name[name] = action
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.viewer = DocumentViewer(ctx)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.viewer)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)
        runner.finished.connect(self._job_finished)
        self._fill_filters()
        self.refresh()

    # -- listing ---------------------------------------------------------------------------------------------
    def _fill_filters(self) -> None:
        """Classes and tags in the filter menus, keeping the choice."""
        for combo, values, everything in ((self.course_filter, [(c.name, c.id) for c in library.courses(self.ctx)],
                                           "All classes"),
                                          (self.tag_filter, [(t, t) for t in library.tags(self.ctx)], "All tags")):
            chosen = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(everything, None)
            for label, data in values:
                combo.addItem(label, data)
            combo.setCurrentIndex(max(0, combo.findData(chosen)))
            combo.blockSignals(False)

    def refresh(self) -> None:
        """Reload the table with the current filters."""
        trash = self.show_trash.isChecked()
        kind = self.kind_filter.currentData()
        rows = library.items(self.ctx, trashed=trash, kinds=(kind,) if kind else None,
                             course_id=self.course_filter.currentData(), tag=self.tag_filter.currentData())
        selected = set(self.selected_ids())
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(rows))
        for r, item in enumerate(rows):
            src = item.source
            length = (f"{src.page_count} pages" if src.page_count else
                      clock(src.duration_s) if src.duration_s else "")
            values = [src.title, KIND_NAMES.get(src.kind, src.kind), item.course or "", ", ".join(item.tags),
                      src.created_at.astimezone().strftime("%Y-%m-%d %H:%M"), human_size(src.size_bytes), length,
                      src.status if not src.error else f"{src.status}: {src.error}"]
            for c, value in enumerate(values):
                cell = QTableWidgetItem(value)
                cell.setData(Qt.ItemDataRole.UserRole, src.id)
                self.table.setItem(r, c, cell)
            if src.id in selected:
                self.table.selectRow(r)
        self.table.setSortingEnabled(True)
        self.empty_button.setVisible(trash)
        self.actions_by_name["Restore"].setEnabled(trash)
        self.actions_by_name["Move to trash"].setEnabled(not trash)
        if not rows:
            self.message.setText("The trash is empty." if trash else
                                 "Your library is empty. Add PDFs, slides, documents, photos or recordings "
                                 "with “Add files…” or drop them here.")
        elif self.message.text().startswith(("Your library is empty", "The trash is empty")):
            self.message.setText("")

    def selected_ids(self) -> list[int]:
        """Ids of the selected sources, in table order."""
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in rows]

    def _selection_changed(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            src = library.get(self.ctx, ids[0])
            if src and src.kind not in AUDIO_KINDS:
                self.viewer.show_source(src.id)

    def _job_finished(self, job) -> None:
        if job.kind.startswith(("import", "index", "transcribe", "recording")):
            self._fill_filters()
            self.refresh()
            if job.state == "failed" and job.kind.startswith("import"):
                self.message.setText(f"{job.title} failed: {job.error}")

    # -- opening ---------------------------------------------------------------------------------------------
    def open_selected(self) -> None:
        """Open the selected source in its viewer."""
        ids = self.selected_ids()
        if ids:
            self.open_location(ids[0])

    def open_location(self, source_id: int, page_no: int | None = None, start_s: float | None = None,
                      region: list | None = None, highlight: str = "") -> None:
        """Show a source at a page (documents, images here) or a second (audio, on the Record page)."""
        src = library.get(self.ctx, source_id)
        if src is None:
            return
        if src.kind in AUDIO_KINDS:
            self.open_audio.emit(source_id, start_s)
            return
        self.viewer.show_source(source_id, page_no, region, highlight)

    # -- changing --------------------------------------------------------------------------------------------
    def choose_files(self) -> None:
        """Pick files to add."""
        pattern = " ".join(f"*{s}" for s in sorted(library.SUPPORTED))
        files, _ = QFileDialog.getOpenFileNames(self, "Add to your library", str(Path.home()),
                                                f"Documents, images, audio and video ({pattern});;All files (*)")
        self.add_files([Path(f) for f in files])

    def add_files(self, files: list[Path]) -> list[int]:
        """Queue an import job per file; unsupported ones are named, nothing else happens to them."""
        jobs, refused = [], []
        for f in files:
            try:
                jobs.append(library.queue_import(self.ctx, f, self.course_filter.currentData()))
            except ValueError as exc:
                refused.append(str(exc))
        if jobs:
            self.runner.announce(jobs)
        self.message.setText("; ".join(refused) if refused else
                             f"Adding {len(jobs)} file(s); they appear here when read." if jobs else "")
        return jobs

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        self.add_files([Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()])
        event.acceptProposedAction()

    def rename_selected(self) -> None:
        """Rename the selected source."""
        ids = self.selected_ids()
        if not ids:
            return
        src = library.get(self.ctx, ids[0])
        title, ok = QInputDialog.getText(self, "Rename", "Title:", text=src.title)
        if ok:
            try:
                library.rename(self.ctx, src.id, title)
            except ValueError as exc:
                QMessageBox.warning(self, "Rename", str(exc))
            self.refresh()

    def assign_selected(self) -> None:
        """Put the selected sources in a class (type a new name to create one)."""
        ids = self.selected_ids()
        if not ids:
            return
        names = ["(no class)"] + [c.name for c in library.courses(self.ctx)]
        name, ok = QInputDialog.getItem(self, "Class", "Class (type a new name to create it):", names, 0, True)
        if ok:
            for source_id in ids:
                library.assign_course(self.ctx, source_id, None if name == "(no class)" else name)
            self._fill_filters()
            self.refresh()

    def tag_selected(self) -> None:
        """Set the tags of the selected sources (comma separated)."""
        ids = self.selected_ids()
        if not ids:
            return
        current = library.items_by_id(self.ctx, ids[0]).tags
        text, ok = QInputDialog.getText(self, "Tags", "Tags, separated by commas:", text=", ".join(current))
        if ok:
            for source_id in ids:
                library.set_tags(self.ctx, source_id, text.split(","))
            self._fill_filters()
            self.refresh()

    def trash_selected(self) -> None:
        """Move the selected sources to the trash (restorable)."""
        ids = self.selected_ids()
        for source_id in ids:
            library.trash(self.ctx, source_id)
        if ids:
            self.message.setText(f"Moved {len(ids)} item(s) to the trash. Tick “Trash” to restore them.")
            self.viewer.show_source(None)
        self.refresh()

    def restore_selected(self) -> None:
        """Bring the selected sources back from the trash."""
        for source_id in self.selected_ids():
            library.restore(self.ctx, source_id)
        self.refresh()

    def empty_trash(self, confirm: bool = True) -> None:
        """Delete everything in the trash for good."""
        if confirm and QMessageBox.question(self, "Empty trash", "Delete everything in the trash for good?") \
                != QMessageBox.StandardButton.Yes:
            return
        count = library.empty_trash(self.ctx)
        self.message.setText(f"Deleted {count} item(s) for good.")
        self.refresh()
