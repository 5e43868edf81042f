"""An area that is not built yet, saying so plainly."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class NotBuiltPage(QWidget):
    """Names the area, what it will do, and that it is not built in this version."""

    def __init__(self, title: str, what: str, parent=None):
        super().__init__(parent)
        self.setObjectName("notBuilt")
        heading = QLabel(title)
        heading.setObjectName("pageTitle")
        status = QLabel("Not built yet in this version.")
        status.setObjectName("notBuiltStatus")
        body = QLabel(f"When it is built, this area will let you {what}")
        body.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        for widget in (heading, status, body):
            layout.addWidget(widget)
