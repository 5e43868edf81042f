"""Conflicts: the text kept here and the other computer's text side by side, with Keep this / other / both."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication, QFrame, QGridLayout, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.sync import service as sync
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.plain_errors import plain_message
from lmgpa_desktop.ui.sync.words import ago, conflict_heading

EMPTY = "No conflicts: when the same text is changed on two computers before they sync, both versions show here."
KEEP = (("current", "Keep this", "Keep the text on this computer; the other version is dropped"),
        ("other", "Keep the other", "Use the other computer's text here and everywhere"),
        ("both", "Keep both", "Keep this text followed by the other computer's text"))


def _text_box(text: str, name: str) -> QPlainTextEdit:
    box = QPlainTextEdit(text)
    box.setReadOnly(True)
    box.setTabChangesFocus(True)  # Tab moves on to the buttons instead of being typed
    box.setAccessibleName(name)
    box.setMaximumHeight(130)
    return box


class ConflictRow(QFrame):
    """One conflict: what it is in, both texts, and the three choices."""

    chosen = Signal(object, str)  # the conflict's id, "current" | "other" | "both"

    def __init__(self, conflict: dict, parent=None):
        super().__init__(parent)
        self.setObjectName("conflictRow")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.conflict = conflict
        heading = QLabel(f"<b>{html.escape(conflict_heading(conflict))}</b>")
        heading.setTextFormat(Qt.TextFormat.RichText)
        heading.setObjectName("conflictHeading")
        heading.setWordWrap(True)
        self.current = _text_box(str(conflict.get("kept_value") or ""), "Text on this computer")
        self.other = _text_box(str(conflict.get("lost_value") or ""), "Text from the other computer")
        other_when = ago(conflict.get("created_at"))
        grid = QGridLayout()
        grid.addWidget(QLabel("On this computer now"), 0, 0)
        grid.addWidget(QLabel("From your other computer" + (f" (arrived {other_when})" if other_when else "")), 0, 1)
        grid.addWidget(self.current, 1, 0)
        grid.addWidget(self.other, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        row.addStretch(1)
        for keep, text, tip in KEEP:
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setAccessibleName(f"{text}: {conflict_heading(conflict)}")
            button.clicked.connect(lambda _=False, k=keep: self.chosen.emit(conflict["id"], k))
            self.buttons[keep] = button
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(grid)
        layout.addLayout(row)

    def set_busy(self, busy: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(not busy)


class ConflictsList(QWidget):
    """Every unresolved conflict, read off the UI thread; a resolved one disappears."""

    resolved = Signal()  # a conflict was resolved (the status bar counts one fewer)

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.ops = Operations(self, "conflicts")
        self.rows: dict[object, ConflictRow] = {}
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setObjectName("conflictsMessage")
        self.empty = QLabel(EMPTY)
        self.empty.setWordWrap(True)
        self.empty.setObjectName("muted")
        self.list_layout = QVBoxLayout()
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addLayout(self.list_layout)
        layout.addWidget(self.message)

    def refresh(self) -> None:
        """Read the unresolved conflicts again."""
        ctx = self.ctx
        self.ops.run_either(lambda: sync.conflicts(ctx), self._show)

    def _show(self, conflicts) -> None:
        if isinstance(conflicts, Exception):
            self.message.setText(f"Could not read the conflicts: {plain_message(conflicts)}")
            return
        wanted = {c["id"]: c for c in conflicts}
        for conflict_id in [i for i in self.rows if i not in wanted]:
            self._drop(conflict_id)
        for conflict_id, conflict in wanted.items():
            if conflict_id not in self.rows:
                row = ConflictRow(conflict, self)
                row.chosen.connect(self.resolve)
                self.rows[conflict_id] = row
                self.list_layout.addWidget(row)
        self.empty.setVisible(not self.rows)

    def _drop(self, conflict_id) -> None:
        row = self.rows.pop(conflict_id, None)
        if row is not None:
            self.list_layout.removeWidget(row)
            row.hide()
            row.deleteLater()

    def resolve(self, conflict_id, keep: str) -> None:
        """Apply the student's choice (a local edit that syncs like any other); the row then goes away."""
        row = self.rows.get(conflict_id)
        if row is not None:
            row.set_busy(True)
        ctx = self.ctx

        def done(result) -> None:
            if isinstance(result, Exception):
                if conflict_id in self.rows:
                    self.rows[conflict_id].set_busy(False)
                self.message.setText(f"Could not keep that choice: {plain_message(result)}")
                return
            self.message.setText({"current": "Kept the text on this computer.",
                                  "other": "Kept the other computer's text.",
                                  "both": "Kept both texts, one after the other."}[keep])
            self._focus_next(conflict_id)
            self._drop(conflict_id)
            self.empty.setVisible(not self.rows)
            self.resolved.emit()

        self.ops.run_either(lambda: sync.resolve(ctx, conflict_id, keep), done)

    def _focus_next(self, conflict_id) -> None:
        """The keyboard moves to the next conflict's first choice, not back to the top of the page."""
        ids = list(self.rows)
        at = ids.index(conflict_id) if conflict_id in ids else -1
        rest = ids[at + 1:] + ids[:at]
        focus = QApplication.focusWidget()
        if rest and focus is not None and self.rows[conflict_id].isAncestorOf(focus):
            self.rows[rest[0]].buttons["current"].setFocus()
