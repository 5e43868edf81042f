"""A label and a button whose text is cut with "…" when narrow, with the whole text in the tooltip."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QStyle, QStyleOptionButton

MIN_CHARS = 8  # the narrowest they get still shows a word or so


def _elided(widget, full_text: str, room: int) -> str:
    """full_text cut with "…" to room pixels; the tooltip holds the whole text only when it was cut."""
    shown = widget.fontMetrics().elidedText(full_text, Qt.TextElideMode.ElideRight, room)
    widget.setToolTip(full_text if shown != full_text else "")
    return shown


class ElidedLabel(QLabel):
    """One line of plain text that shrinks with its layout instead of widening the page."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        self.full_text = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self.full_text = text
        self._elide()
        self.updateGeometry()

    def text(self) -> str:
        return self.full_text

    def _elide(self) -> None:
        super().setText(_elided(self, self.full_text, max(1, self.width())))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance(self.full_text) + 2, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(min(self.sizeHint().width(), self.fontMetrics().averageCharWidth() * MIN_CHARS),
                     super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._elide()


class ElidedButton(QPushButton):
    """A push button with a long name (a recording, a note) that fits a narrow column."""

    # setText/text/_elide repeat ElidedLabel's on purpose: a shared Python mixin placed before the Qt class did not
    # override Qt's setText under PySide6 (tried: the button kept the C++ text and lost the full one).

    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        self.full_text = ""
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self.full_text = text
        self._elide()
        self.updateGeometry()

    def text(self) -> str:
        return self.full_text

    def _room(self) -> int:
        option = QStyleOptionButton()
        self.initStyleOption(option)
        margin = self.style().pixelMetric(QStyle.PixelMetric.PM_ButtonMargin, option, self)
        return max(1, self.contentsRect().width() - 2 * margin - 8)

    def _elide(self) -> None:
        super().setText(_elided(self, self.full_text, self._room()))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        # measured as QPushButton does, with the whole text (setting it here would ask for another layout pass)
        option = QStyleOptionButton()
        self.initStyleOption(option)
        fm = self.fontMetrics()
        text = QSize(fm.horizontalAdvance(self.full_text), fm.height())
        return self.style().sizeFromContents(QStyle.ContentsType.CT_PushButton, option, text, self)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = self.sizeHint()
        return QSize(min(hint.width(), self.fontMetrics().averageCharWidth() * MIN_CHARS + 24), hint.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._elide()
