"""Library: every source with filters and a viewer; rename, class, tags, trash; add files by dialog or drop."""

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
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.library.document_viewer import DocumentViewer
from lmgpa_desktop.ui.kit.plain_errors import plain_message

KIND_NAMES = {"pdf": "PDF", "docx": "Word", "pptx": "PowerPoint", "md": "Markdown", "txt": "Text", "html": "Web page",
              "image": "Image", "audio": "Audio", "video": "Video", "recording": "Recording"}
AUDIO_KINDS = ("audio", "video", "recording")
COLUMNS = ["Title", "Type", "Class", "Tags", "Added", "Size", "Length", "Status"]


class LibraryPage(QWidget):
    """The student's material in one place."""

    open_audio = Signal(int, object)  # source id, second: the main window shows it on the Record page
    next_step = Signal(str)  # what an empty state offers elsewhere: "record"

    def __init__(self, ctx, runner, parent=None):
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.ops = Operations(self, "library")
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
        self.empty_button.clicked.connect(lambda: self.empty_trash())  # not connect(self.empty_trash): Qt would pass checked=False as confirm
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
        self.table.setAccessibleName("Library")
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
        """Classes and tags in the filter menus, keeping the choice (read off the UI thread)."""
        ctx = self.ctx
        self.ops.run(lambda: ([(c.name, c.id) for c in library.courses(ctx)], [(t, t) for t in library.tags(ctx)]),
                     self._set_filters)

    def _set_filters(self, found) -> None:
        courses, tags = found
        changed = False
        for combo, values, everything in ((self.course_filter, courses, "All classes"),
                                          (self.tag_filter, tags, "All tags")):
            chosen = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(everything, None)
            for label, data in values:
                combo.addItem(label, data)
            combo.setCurrentIndex(max(0, combo.findData(chosen)))
            combo.blockSignals(False)
            changed = changed or combo.currentData() != chosen
        if changed:  # the chosen class or tag is gone: the table was read with it, so read it again
            self.refresh()

    def refresh(self) -> None:
        """Reload the table with the current filters (read off the UI thread, shown when it arrives)."""
        ctx, trash, kind = self.ctx, self.show_trash.isChecked(), self.kind_filter.currentData()
        course_id, tag = self.course_filter.currentData(), self.tag_filter.currentData()
        self.ops.run(lambda: library.items(ctx, trashed=trash, kinds=(kind,) if kind else None, course_id=course_id,
                                           tag=tag),
                     lambda rows: self._show_rows(rows, trash))

    def _show_rows(self, rows, trash: bool) -> None:
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
        self._advise(len(rows), trash)

    def _advise(self, rows: int, trash: bool) -> None:
        """What the viewer says while nothing is open: what to add, or what to pick from the list."""
        filtered = any(combo.currentData() is not None
                       for combo in (self.course_filter, self.kind_filter, self.tag_filter))
        if rows:
            self.viewer.empty.set(
                "Nothing open",
                "Select a document, slide deck or photo in the list to read it here; recordings open on the "
                "Record page with their transcript.",
                [("Open the first item", self._open_first)])
        elif trash:
            self.viewer.empty.set("The trash is empty", "Items you move to the trash wait here until you empty it.",
                                  [("Back to the library", lambda: self.show_trash.setChecked(False))])
        elif filtered:
            self.viewer.empty.set("Nothing matches these filters", "Show every class, type and tag again.",
                                  [("Clear the filters", self._clear_filters)])
        else:
            self.viewer.empty.set(
                "Your library is empty",
                "Add lecture slides, PDFs, Word files, photos of the board or recordings with “Add files…”, or "
                "drop them here. Each is read on this laptop; then you can search it, ask about it and make "
                "flashcards from it.",
                [("Add files…", self.choose_files), ("Record a lecture", lambda: self.next_step.emit("record"))])

    def _open_first(self) -> None:
        self.table.setFocus()
        self.table.selectRow(0)
        self.open_selected()

    def _clear_filters(self) -> None:
        for combo in (self.course_filter, self.kind_filter, self.tag_filter):
            combo.setCurrentIndex(0)  # each change reads the listing again; the last read wins

    def first_focus(self):
        """Where the keyboard goes when the page is opened by keyboard: the list of sources."""
        return self.table

    def selected_ids(self) -> list[int]:
        """Ids of the selected sources, in table order."""
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in rows]

    def _selection_changed(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            ctx = self.ctx
            self.ops.run(lambda: library.get(ctx, ids[0]), self._preview)

    def _preview(self, src) -> None:
        if src and src.kind not in AUDIO_KINDS:
            self.viewer.show_source(src.id)

    def _job_finished(self, job) -> None:
        if job.kind.startswith(("import", "index", "transcribe", "recording")):
            self._fill_filters()
            self.refresh()
            if job.state == "failed" and job.kind.startswith("import"):
                self.message.setText(f"{job.title} failed: {plain_message(job.error or job.state)}")

    # -- opening ---------------------------------------------------------------------------------------------
    def open_selected(self) -> None:
        """Open the selected source in its viewer."""
        ids = self.selected_ids()
        if ids:
            self.open_location(ids[0])

    def open_location(self, source_id: int, page_no: int | None = None, start_s: float | None = None,
                      region: list | None = None, highlight: str = "") -> None:
        """Show a source at a page (documents, images here) or a second (audio, on the Record page)."""
        ctx = self.ctx
        self.ops.run(lambda: library.get(ctx, source_id),
                     lambda src: self._open(src, page_no, start_s, region, highlight))

    def _open(self, src, page_no, start_s, region, highlight) -> None:
        if src is None:
            return
        if src.kind in AUDIO_KINDS:
            self.open_audio.emit(src.id, start_s)
            return
        self.show_document(src.id, page_no, region, highlight)

    def show_document(self, source_id: int, page_no: int | None = None, region: list | None = None,
                      highlight: str = "") -> None:
        """Show a document or image (the caller has read that it is one) at a page in the viewer."""
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
        # Queueing stays on the UI thread, like JobRunner.submit: the job ids are the answer (the jobs panel and the
        # caller use them at once), and it is one short insert per file.
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

    def _change(self, work, done=None, filters: bool = False) -> None:
        """A change on the database lane, then the listing again (the lane keeps order: the read sees the change)."""
        self.ops.run(work, done)
        if filters:
            self._fill_filters()
        self.refresh()

    def rename_selected(self) -> None:
        """Rename the selected source."""
        ids = self.selected_ids()
        if ids:
            ctx = self.ctx
            self.ops.run(lambda: library.get(ctx, ids[0]), self._ask_title)

    def _ask_title(self, src) -> None:
        if src is None:
            return
        title, ok = QInputDialog.getText(self, "Rename", "Title:", text=src.title)
        if ok:
            ctx = self.ctx

            def rename() -> str:
                try:
                    library.rename(ctx, src.id, title)
                except ValueError as exc:  # a title the library refuses: said in a box, nothing changes
                    return str(exc)
                return ""

            self._change(rename, lambda refused: QMessageBox.warning(self, "Rename", refused) if refused else None)

    def assign_selected(self) -> None:
        """Put the selected sources in a class (type a new name to create one)."""
        ids = self.selected_ids()
        if ids:
            ctx = self.ctx
            self.ops.run(lambda: [c.name for c in library.courses(ctx)], lambda names: self._ask_class(ids, names))

    def _ask_class(self, ids: list[int], courses: list[str]) -> None:
        names = ["(no class)"] + courses
        name, ok = QInputDialog.getItem(self, "Class", "Class (type a new name to create it):", names, 0, True)
        if ok:
            ctx, course = self.ctx, None if name == "(no class)" else name

            def assign() -> None:
                for source_id in ids:
                    library.assign_course(ctx, source_id, course)

            self._change(assign, filters=True)

    def tag_selected(self) -> None:
        """Set the tags of the selected sources (comma separated)."""
        ids = self.selected_ids()
        if ids:
            ctx = self.ctx
            self.ops.run(lambda: library.items_by_id(ctx, ids[0]).tags, lambda current: self._ask_tags(ids, current))

    def _ask_tags(self, ids: list[int], current: list[str]) -> None:
        text, ok = QInputDialog.getText(self, "Tags", "Tags, separated by commas:", text=", ".join(current))
        if ok:
            ctx = self.ctx

            def tag() -> None:
                for source_id in ids:
                    library.set_tags(ctx, source_id, text.split(","))

            self._change(tag, filters=True)

    def trash_selected(self) -> None:
        """Move the selected sources to the trash (restorable)."""
        ids, ctx = self.selected_ids(), self.ctx

        def trash() -> None:
            for source_id in ids:
                library.trash(ctx, source_id)

        self._change(trash, lambda _none: self._trashed(len(ids)))

    def _trashed(self, count: int) -> None:
        if count:
            self.message.setText(f"Moved {count} item(s) to the trash. Tick “Trash” to restore them.")
            self.viewer.show_source(None)

    def restore_selected(self) -> None:
        """Bring the selected sources back from the trash."""
        ids, ctx = self.selected_ids(), self.ctx

        def restore() -> None:
            for source_id in ids:
                library.restore(ctx, source_id)

        self._change(restore)

    def empty_trash(self, confirm: bool = True) -> None:
        """Delete everything in the trash for good."""
        if confirm and QMessageBox.question(self, "Empty trash", "Delete everything in the trash for good?") \
                != QMessageBox.StandardButton.Yes:
            return
        ctx = self.ctx
        self._change(lambda: library.empty_trash(ctx),
                     lambda count: self.message.setText(f"Deleted {count} item(s) for good."))
