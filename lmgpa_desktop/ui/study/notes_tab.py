"""Study → Notes: a Markdown editor with live preview, source links, read aloud, export as audio or slides."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QPlainTextEdit,
    QPushButton, QSplitter, QTextBrowser, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.study import notes
from lmgpa_desktop.core.study import slides
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.plain_errors import plain_message
from lmgpa_desktop.ui.kit.status_line import StatusLine
from lmgpa_desktop.ui.study.common import empty_text, message_label, names_by_uuid, parse_link, resolve_link
from lmgpa_desktop.ui.kit.read_aloud import ReadAloudBar

PREVIEW_DELAY_MS = 150  # the preview follows typing after this pause
EMPTY = ("No notes yet. Generate notes from a lecture or PDF in the Generate tab (then accept them in To review), "
         "or press “New note” to write your own.")


def _read_note(ctx, note_id: int) -> tuple:
    """(note, its source references) for showing it."""
    return notes.get(ctx, note_id), notes.references(ctx, note_id)


def _first_line(body_md: str) -> str:
    """The note's first line without its heading marks (what a title defaults to)."""
    return next((line.strip() for line in body_md.splitlines() if line.strip()), "").lstrip("#").strip()


def _safe_name(title: str) -> str:
    return "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in title).strip()[:80] or "note"


class NotesPanel(QWidget):
    """List of notes, editor and preview."""

    open_location = Signal(int, object, object)  # source id, page or None, second or None

    def __init__(self, ctx, runner, parent=None):
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.note_id: int | None = None
        self._wanted: int | None = None  # the note last asked for: an older read is not shown over it
        self._title_follows = False
        self._shown_title = ""
        self._loading = False
        self.dirty = False
        self.ops = Operations(self, "study-notes")
        self.export_jobs: list[int] = []

        self.list = QListWidget()
        self.list.setAccessibleName("Notes")
        self.list.currentItemChanged.connect(self._current_changed)
        self.empty = message_label(EMPTY)
        self.empty.setObjectName("muted")
        self.new_button = QPushButton("New note")
        self.new_button.clicked.connect(self.new_note)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.new_button)
        left_layout.addWidget(self.empty)
        left_layout.addWidget(self.list, 1)

        self.title = QLineEdit()
        self.title.setPlaceholderText("Title (the first heading when empty)")
        self.title.textEdited.connect(self._edited)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("Write Markdown here: # headings, - lists, **bold**, "
                                       "[links](lmgpa://source/1?page=3)…")
        self.editor.textChanged.connect(self._text_changed)
        self.preview = QTextBrowser()
        self.preview.setAccessibleName("Note preview")
        self.preview.setOpenLinks(False)
        self.preview.anchorClicked.connect(self.open_link)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.update_preview)
        self.editor.verticalScrollBar().valueChanged.connect(lambda _v: self._follow_editor())
        self.references = QListWidget()
        self.references.setMaximumHeight(110)
        self.references.itemActivated.connect(self._open_reference)
        self.references.itemDoubleClicked.connect(self._open_reference)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save, whatsThis="Save the note")  # listed by `?`
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(lambda: self.delete(confirm=True))
        self.audio_button = QPushButton("Export as audio…")
        self.audio_button.clicked.connect(self.choose_audio_export)
        self.slides_button = QPushButton("Export as slides…")
        self.slides_button.clicked.connect(self.choose_slides_export)
        self.read_aloud = ReadAloudBar(ctx, lambda: self.editor.toPlainText())
        self.message = StatusLine(name="notesMessage")  # "Saved …" clears itself; work under way and errors stay

        panes = QSplitter(Qt.Orientation.Horizontal)
        panes.addWidget(self.editor)
        panes.addWidget(self.preview)
        buttons = QHBoxLayout()
        for b in (self.save_button, self.delete_button, self.audio_button, self.slides_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.title)
        right_layout.addWidget(panes, 1)
        right_layout.addWidget(QLabel("Sources this note refers to (double-click to open):"))
        right_layout.addWidget(self.references)
        right_layout.addWidget(self.read_aloud)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.message)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 4)
        split.setSizes([240, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        runner.finished.connect(self._job_finished)
        self.refresh()

    # -- listing -----------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the list of notes (off the UI thread), keeping the open one; with none open, the first opens."""
        ctx, first = self.ctx, self._wanted is None

        def read():
            rows = notes.listing(ctx)
            opened = _read_note(ctx, rows[0].id) if first and rows else None
            return rows, (empty_text(ctx, EMPTY) if not rows else ""), opened

        self.ops.run(read, self._fill)

    def _fill(self, found) -> None:
        rows, empty, opened = found
        self.list.blockSignals(True)
        self.list.clear()
        for n in rows:
            item = QListWidgetItem(f"{n.title}\n{n.updated_at.astimezone().strftime('%Y-%m-%d %H:%M')}")
            item.setData(Qt.ItemDataRole.UserRole, n.id)
            self.list.addItem(item)
            if n.id == self.note_id:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self.empty.setVisible(not rows)
        if not rows:
            self.empty.setText(empty)
        if self.note_id is not None and self.note_id not in {n.id for n in rows}:
            self._show(None)
        elif self.note_id is None and self._wanted is None and opened is not None:
            self._opened(opened)
        self._update_buttons()

    def note_ids(self) -> list[int]:
        """Ids of the listed notes, in order."""
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def _current_changed(self, current, _previous) -> None:
        if current is not None:
            self.open_note(current.data(Qt.ItemDataRole.UserRole))

    def open_note(self, note_id: int, then=None) -> None:
        """Show a note in the editor, read off the UI thread (the one open before is saved first when changed);
        then() runs once it is shown."""
        if note_id == self.note_id:
            return
        if self.dirty and not self.save():
            return
        self._wanted, ctx = note_id, self.ctx
        self.ops.run(lambda: _read_note(ctx, note_id),
                     lambda opened: self._opened(opened, then) if self._wanted == note_id else None,
                     self._not_opened)

    def _not_opened(self, exc: BaseException) -> None:
        if not isinstance(exc, UserError):
            sys.excepthook(type(exc), exc, exc.__traceback__)  # a bug: the error dialog
            return
        self.message.show_error(plain_message(exc))

    def _opened(self, opened, then=None) -> None:
        note, refs = opened
        self._show(note, refs)
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == note.id:
                self.list.blockSignals(True)
                self.list.setCurrentRow(i)
                self.list.blockSignals(False)
        if then is not None:
            then()

    def _show(self, note, refs=()) -> None:
        self._loading = True
        self._wanted = self.note_id = note.id if note else None
        # A title that is the first heading follows the heading when it is edited.
        self._title_follows = bool(note) and note.title == (_first_line(note.body_md) or notes.UNTITLED)
        self.title.setText(note.title if note else "")
        self._shown_title = self.title.text()
        self.editor.setPlainText(note.body_md if note else "")
        self._loading = False
        self.dirty = False
        self.update_preview()
        self._show_references(refs)
        self._update_buttons()

    def _fill_references(self) -> None:
        """Read the open note's references again (off the UI thread)."""
        if self.note_id is None:
            self._show_references(())
            return
        ctx, note_id = self.ctx, self.note_id
        self.ops.run(lambda: notes.references(ctx, note_id),
                     lambda refs: self._show_references(refs) if self.note_id == note_id else None)

    def _show_references(self, refs) -> None:
        self.references.clear()
        for ref in refs:
            item = QListWidgetItem(ref.label + (f" — “{ref.quote[:80]}”" if ref.quote else ""))
            item.setData(Qt.ItemDataRole.UserRole, (ref.source_id, ref.page_no, ref.start_s))
            self.references.addItem(item)

    def _update_buttons(self) -> None:
        has = self.note_id is not None
        for w in (self.title, self.editor, self.save_button, self.delete_button, self.audio_button,
                  self.slides_button, self.read_aloud):
            w.setEnabled(has)
        self.save_button.setText("Save*" if self.dirty else "Save")

    # -- editing -----------------------------------------------------------------------------------------------
    def _edited(self) -> None:
        if not self._loading and self.note_id is not None:
            self.dirty = True
            self._update_buttons()

    def _text_changed(self) -> None:
        self._edited()
        self._preview_timer.start()

    def update_preview(self) -> None:
        """Render the editor's Markdown in the preview, scrolled to where the editor is."""
        self.preview.setMarkdown(self.editor.toPlainText())
        self._follow_editor()

    def _follow_editor(self) -> None:
        """Scroll the preview to the same share of the note as the editor."""
        source, target = self.editor.verticalScrollBar(), self.preview.verticalScrollBar()
        share = source.value() / source.maximum() if source.maximum() > 0 else 0.0
        target.setValue(round(share * target.maximum()))

    def new_note(self) -> int:
        """Start a new, empty note and put the cursor in the editor."""
        if self.dirty and not self.save():
            return self.note_id
        note = notes.create(self.ctx, "", "# New note\n\n")
        self.note_id = None
        self._wanted = note.id  # the list read next does not open another note first
        self.refresh()

        def focus_end() -> None:
            self.editor.setFocus()
            self.editor.moveCursor(self.editor.textCursor().MoveOperation.End)

        self.open_note(note.id, focus_end)
        return note.id

    def save(self) -> bool:
        """Store the title and Markdown; the references follow the links left in the text."""
        if self.note_id is None:
            return True
        try:
            title = self.title.text()
            if self._title_follows and title.strip() == self._shown_title:
                title = ""  # still the heading's: take the heading as it is now
            note = notes.edit(self.ctx, self.note_id, title, self.editor.toPlainText())
        except UserError as exc:
            self.message.show_error(f"Not saved: {plain_message(exc)}")
            return False
        self.dirty = False
        self._loading = True
        self.title.setText(note.title)
        self._shown_title = note.title
        self._title_follows = note.title == (_first_line(note.body_md) or notes.UNTITLED)
        self._loading = False
        self.refresh()
        self._fill_references()
        self._update_buttons()
        self.message.setText(f"Saved “{note.title}”.")
        return True

    def delete(self, confirm: bool = True) -> None:
        """Delete the open note."""
        if self.note_id is None:
            return
        if confirm and QMessageBox.question(self, "Delete note", f"Delete “{self.title.text()}”?") \
                != QMessageBox.StandardButton.Yes:
            return
        title = self.title.text()
        self.read_aloud.stop()
        notes.delete(self.ctx, self.note_id)
        self.dirty = False
        self._show(None)
        self.refresh()
        self.message.setText(f"Deleted “{title}”.")

    # -- references ----------------------------------------------------------------------------------------------
    def open_link(self, url: QUrl) -> None:
        """A source link opens the source at its page or second; web links open in the browser."""
        parsed = parse_link(url.toString())
        if parsed:
            self.open_location.emit(*parsed)
        elif names_by_uuid(url.toString()):  # synced from another computer: the source may not be here yet
            ctx, href = self.ctx, url.toString()
            self.ops.run(lambda: resolve_link(ctx, href), lambda found: found and self.open_location.emit(*found),
                         lambda exc: self.message.show_error(plain_message(exc)))
        elif url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)

    def _open_reference(self, item: QListWidgetItem) -> None:
        self.open_location.emit(*item.data(Qt.ItemDataRole.UserRole))

    # -- exports -------------------------------------------------------------------------------------------------
    def _default_path(self, suffix: str) -> str:
        return str(Path.home() / f"{_safe_name(self.title.text())}{suffix}")

    def choose_audio_export(self) -> None:
        """Pick where to save the note read aloud."""
        path, _ = QFileDialog.getSaveFileName(self, "Export note as audio", self._default_path(".ogg"),
                                              "Ogg Vorbis (*.ogg);;FLAC (*.flac);;WAV (*.wav)")
        if path:
            self.export_audio(Path(path))

    def export_audio(self, path: Path) -> int | None:
        """Queue a job reading the note into an audio file (progress and Cancel in the jobs panel)."""
        if self.note_id is None or (self.dirty and not self.save()):
            return None
        if path.suffix.lower() not in (".ogg", ".flac", ".wav"):
            path = path.with_suffix(".ogg")
        job = self.runner.submit("speech.export", {"note_id": self.note_id, "path": str(path)},
                                 f"Read “{self.title.text()}” aloud to {path.name}")
        self.export_jobs.append(job)
        self.message.setText(f"Reading the note into {path} (progress in the jobs panel)…")
        return job

    def choose_slides_export(self) -> None:
        """Pick where to save the note as slides."""
        path, _ = QFileDialog.getSaveFileName(self, "Export note as slides", self._default_path(".pptx"),
                                              "PowerPoint (*.pptx)")
        if path:
            self.export_slides(Path(path))

    def export_slides(self, path: Path) -> None:
        """Write the note as a .pptx deck on a worker thread."""
        if self.note_id is None or (self.dirty and not self.save()):
            return
        if path.suffix.lower() != ".pptx":
            path = path.with_suffix(".pptx")
        note_id = self.note_id
        self.slides_button.setEnabled(False)
        self.message.setText(f"Writing slides to {path}…")
        self.ops.run_either(lambda: slides.export_note_pptx(self.ctx, note_id, path), self._slides_done)

    def _slides_done(self, result) -> None:
        self.slides_button.setEnabled(self.note_id is not None)
        if isinstance(result, Exception):
            self.message.show_error(f"The slides could not be written: {plain_message(result)}")
        else:
            self.message.setText(f"Saved the slides to {result}.")

    def _job_finished(self, job) -> None:
        if job.id not in self.export_jobs:
            return
        if job.state == "done":
            r = job.result or {}
            self.message.setText(f"Saved {r.get('seconds', 0):.0f} s of audio to {r.get('path')}.")
        elif job.state == "cancelled":
            self.message.setText("The audio export was cancelled.")
        else:
            self.message.show_error(f"The audio export failed: {plain_message(job.error or job.state)}")
