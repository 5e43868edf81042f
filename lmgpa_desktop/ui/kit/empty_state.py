"""An empty pane that says what to do next, with buttons that do it (never a blank pane)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget


class EmptyState(QWidget):
    """A heading, a sentence or two, and a row of buttons; set() changes all three at once."""

    def __init__(self, title: str = "", text: str = "", parent: QWidget | None = None, compact: bool = False):
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.title = QLabel(title)
        self.title.setObjectName("sectionTitle")
        self.title.setWordWrap(True)
        self.text = QLabel(text)
        self.text.setObjectName("muted")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons: dict[str, QPushButton] = {}
        self._row = QHBoxLayout()
        self._row.setSpacing(8)
        layout = QVBoxLayout(self)
        align = Qt.AlignmentFlag.AlignLeft if compact else Qt.AlignmentFlag.AlignHCenter
        for label in (self.title, self.text):
            label.setAlignment(align)
            # Long advice wraps inside the pane rather than widening the page (no horizontal scrollbar at 1024 px).
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        if not compact:
            layout.addStretch(1)
            self._row.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addLayout(self._row)
        self._row.addStretch(1)
        if not compact:
            layout.addStretch(2)  # a little above the middle, where the eye lands
        self._update_names()

    def set(self, title: str, text: str, actions: list[tuple[str, Callable[[], object]]] = ()) -> None:
        """Show this heading and advice, with one button per (label, action); the first is the main one."""
        self.title.setText(title)
        self.text.setText(text)
        for button in self.buttons.values():
            self._row.removeWidget(button)
            button.deleteLater()
        self.buttons = {}
        for label, action in actions:
            self.add_action(label, action)
        self._update_names()

    def add_action(self, label: str, action: Callable[[], object]) -> QPushButton:
        """A button that does the next step (the first one added is drawn as the main one)."""
        button = QPushButton(label)
        if not self.buttons:
            button.setObjectName("primary")
        button.clicked.connect(lambda _checked=False: action())
        self._row.insertWidget(self._row.count() - 1, button)  # before the trailing stretch
        self.buttons[label] = button
        return button

    def _update_names(self) -> None:
        """A screen reader reads the heading and the advice as the pane's name and description."""
        self.setAccessibleName(self.title.text())
        self.setAccessibleDescription(self.text.text())
