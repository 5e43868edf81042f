"""Handing in work on the Classes page: text, a file, one of my notes or one of my decks."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QPlainTextEdit, QPushButton, QWidget,
)

from lmgpa_desktop.core.online.exports import export_deck, export_note, exports_folder, my_notes_and_decks
from lmgpa_desktop.ui.online.online_status import field, label

KINDS = [("Text", "text"), ("A file", "file"), ("One of my notes", "note"), ("One of my decks", "deck")]


class HandIn:
    """Mixin for the Classes page: the hand-in form and what it sends (queued like every change)."""

    def _hand_in_box(self) -> QGroupBox:
        box = QGroupBox("Hand in")
        self.kind = QComboBox()
        for title, key in KINDS:
            self.kind.addItem(title, key)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.hand_text = QPlainTextEdit()
        self.hand_text.setPlaceholderText("Your answer")
        self.hand_text.setMaximumHeight(90)
        self.hand_file = label("No file chosen.", "muted")
        self.choose_file = QPushButton("Choose file…")
        self.choose_file.clicked.connect(self._choose_hand_in)
        self.pick = QComboBox()
        self.pick.setObjectName("handInPick")
        self.submit_button = QPushButton("Hand in")
        self.submit_button.setObjectName("primary")
        self.submit_button.clicked.connect(self.hand_in)
        file_row = QHBoxLayout()
        file_row.addWidget(self.hand_file, 1)
        file_row.addWidget(self.choose_file)
        self.file_row = QWidget()
        self.file_row.setLayout(file_row)
        form = QFormLayout(box)
        form.addRow("What", self.kind)
        form.addRow(self.hand_text)
        form.addRow(self.file_row)
        form.addRow(self.pick)
        form.addRow(self.submit_button)
        self._kind_changed()
        return box

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.hand_text.setVisible(kind == "text")
        self.file_row.setVisible(kind == "file")
        self.pick.setVisible(kind in ("note", "deck"))
        if kind in ("note", "deck"):
            try:
                mine = my_notes_and_decks(self.ctx)[0 if kind == "note" else 1]
            except Exception as exc:  # noqa: BLE001
                mine = []
                self.message.setText(f"Could not list your {kind}s: {exc}")
            self.pick.clear()
            for item_id, title in mine:
                self.pick.addItem(title, item_id)
            if not mine:
                self.pick.addItem(f"You have no {kind}s yet", None)

    def _choose_hand_in(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the file to hand in")
        if path:
            self.set_hand_in_file(path)

    def set_hand_in_file(self, path: str) -> None:
        """The file to hand in."""
        self.hand_in_path = path
        self.hand_file.setText(Path(path).name)

    def hand_in(self) -> None:
        """Hand in the text, file, note or deck for the selected assignment."""
        a = self.current_assignment()
        if a is None:
            self.message.setText("Choose an assignment first.")
            return
        aid, kind = field(a, "id"), self.kind.currentData()
        if kind == "text":
            text = self.hand_text.toPlainText().strip()
            if not text:
                self.message.setText("Write your answer first.")
                return
            fn = lambda: self.service.submit(aid, "text", text=text)
            self.hand_text.clear()
        elif kind == "file":
            path = self.hand_in_path
            if not path:
                self.message.setText("Choose a file to hand in.")
                return
            fn = lambda: self.service.submit(aid, "file", path=path)
        else:
            item_id = self.pick.currentData()
            if item_id is None:
                self.message.setText(f"You have no {kind}s to hand in yet.")
                return
            export = export_note if kind == "note" else export_deck

            def fn():
                return self.service.submit(aid, kind, path=export(self.ctx, item_id, exports_folder(self.ctx)))
        self._queue(fn, f"Handed in for “{field(a, 'title', '')}”.")
