"""A grid that puts its widgets in as many columns as the width allows, so a page never needs a horizontal scrollbar."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QGridLayout, QWidget


class ReflowGrid(QWidget):
    """Widgets in reading order, in columns of at least min_column pixels (at most max_columns).

    Its minimum width is that of one column, so a narrow window gets one column instead of a scrollbar."""

    def __init__(self, min_column: int, max_columns: int, parent=None, align_top: bool = True):
        super().__init__(parent)
        self.min_column, self.max_columns = min_column, max_columns
        self.align_top = align_top
        self.widgets: list[QWidget] = []
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self._columns = 1

    def columns(self) -> int:
        """How many columns the widgets are in now."""
        return self._columns

    def add(self, widget: QWidget) -> None:
        """Append a widget (it becomes a child of the grid)."""
        self.widgets.append(widget)
        self._place(self._columns)

    def extend(self, widgets: list[QWidget]) -> None:
        """Append several widgets at once."""
        self.widgets.extend(widgets)
        self._place(self._columns)

    def clear(self) -> None:
        """Remove and delete every widget."""
        for widget in self.widgets:
            self.grid.removeWidget(widget)
            widget.deleteLater()
        self.widgets = []

    def fitting_columns(self, width: int) -> int:
        """Columns that fit in this width."""
        spacing = max(0, self.grid.horizontalSpacing())
        return max(1, min(self.max_columns, (width + spacing) // (self.min_column + spacing)))

    def _place(self, columns: int) -> None:
        for widget in self.widgets:
            self.grid.removeWidget(widget)
        for column in range(max(self._columns, columns, self.grid.columnCount())):
            self.grid.setColumnStretch(column, 1 if column < columns else 0)
        align = Qt.AlignmentFlag.AlignTop if self.align_top else Qt.AlignmentFlag(0)
        for i, widget in enumerate(self.widgets):
            self.grid.addWidget(widget, i // columns, i % columns, align)
        self._columns = columns

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        columns = self.fitting_columns(event.size().width())
        if columns != self._columns:
            self._place(columns)
        super().resizeEvent(event)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        widest = max((w.minimumSizeHint().width() for w in self.widgets if not w.isHidden()), default=0)
        return QSize(widest, super().minimumSizeHint().height())
