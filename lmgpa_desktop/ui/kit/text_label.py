"""A wrapping, selectable label: page messages, states and explanations on every page."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def label(text: str = "", name: str = "") -> QLabel:
    """A wrapping label whose text can be selected (and copied) with the mouse."""
    widget = QLabel(text)
    widget.setWordWrap(True)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        widget.setObjectName(name)
    return widget
