"""Editing one generated item before it is accepted: its fields in a form, "Save and accept" or just "Save"."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QPlainTextEdit, QVBoxLayout

from lmgpa_desktop.core.study.items import drafts


def edit_fields(pending: drafts.Pending, kind: str, ident: int) -> tuple[str, list[tuple[str, str, bool]]]:
    """Dialog title and (label, value, multi-line) fields for a card or question (from the list on screen)."""
    if kind == "card":
        c = next(c for c in pending.cards if c.id == ident)
        hint = " (hide the answer like {{c1::answer}})" if c.kind == "cloze" else ""
        return "Edit flashcard", [("Front" + hint, c.front, True), ("Back", c.back, True)]
    q = next(q for _, qs in pending.tests for q in qs if q.id == ident)
    fields = [("Question", q.prompt, True), ("Answer", q.answer, False)]
    if q.kind == "mcq":
        fields.append(("Choices (one a line)", "\n".join(q.choices or []), True))
    fields.append(("Explanation", q.explanation or "", True))
    return "Edit question", fields


class EditDialog(QDialog):
    """A form of text fields for editing one generated item; "Save and accept" (Ctrl+Enter) or just "Save"."""

    def __init__(self, parent, title: str, fields: list[tuple[str, str, bool]]):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(560, 420)
        self.keep_waiting = False  # "Save" pressed: the item stays in the list
        form = QFormLayout()
        self.boxes = []
        for label, value, multi in fields:
            box = QPlainTextEdit(value) if multi else QLineEdit(value)
            box.setAccessibleName(label)
            if multi:
                box.setTabChangesFocus(True)  # Tab moves on, as in the other fields
            self.boxes.append(box)
            form.addRow(label, box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.accept_button = buttons.addButton("Save and accept", QDialogButtonBox.ButtonRole.AcceptRole)
        self.accept_button.setToolTip("Save the changes and accept the item (Ctrl+Enter)")
        self.accept_button.setDefault(True)
        self.save_button = buttons.addButton("Save", QDialogButtonBox.ButtonRole.ApplyRole)
        self.save_button.setToolTip("Save the changes; the item waits for review (Ctrl+S)")
        self.save_button.clicked.connect(self.save_only)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.accept)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save_only)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def save_only(self) -> None:
        """Save without accepting."""
        self.keep_waiting = True
        self.accept()

    def values(self) -> list[str]:
        """The fields' texts, in order."""
        return [b.toPlainText() if isinstance(b, QPlainTextEdit) else b.text() for b in self.boxes]
