"""The card browser's table: rows paged in off the UI thread, columns that fit the width and are remembered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView

from lmgpa_desktop.core.study import decks, review
from lmgpa_desktop.core.study.decks import BrowserRow
from lmgpa_desktop.ui.kit.operations import Operations

PAGE_SIZE = 200
TOOLTIP_CHARS = 600
SUSPENDED_TINT = QColor(255, 200, 0, 60)  # translucent, so it reads on the light and the dark theme


@dataclass(frozen=True)
class Column:
    """A browser column: its title, the sort it asks for, its default width and whether it shares the rest."""

    title: str
    sort: str | None
    width: int
    stretch: bool = False
    hidden: bool = False


COLUMNS = [Column("Front", "front", 200, stretch=True), Column("Back", None, 200, stretch=True),
           Column("Deck", "deck", 104), Column("Tags", None, 90), Column("Due", "due", 86),
           Column("Interval", "interval", 64), Column("Ease", "ease", 52, hidden=True),
           Column("Created", "created", 88, hidden=True)]
BROWSER_COLUMNS = [(c.title, c.sort) for c in COLUMNS]
STRETCH_MIN = 80


class CardTableModel(QAbstractTableModel):
    """The card browser's rows, fetched a page at a time off the UI thread."""

    count_changed = Signal(int)
    loaded = Signal()

    def __init__(self, ctx, ops: Operations, parent=None):
        super().__init__(parent)
        self.ctx, self.ops = ctx, ops
        self.rows: list[BrowserRow] = []
        self.search, self.deck_id, self.sort_key, self.descending = "", None, "due", False
        self._generation = 0
        self._loading = False
        self._exhausted = True
        self.total: int | None = None

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def columnCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section].title
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        if role == Qt.ItemDataRole.BackgroundRole:
            return SUSPENDED_TINT if row.suspended else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, index.column())
        return None

    @staticmethod
    def _text(row: BrowserRow, col: int) -> str:
        if col == 0:
            return row.front
        if col == 1:
            return row.back
        if col == 2:
            return row.deck
        if col == 3:
            return row.tags
        if col == 4:
            due = "new" if row.state == 0 else row.due.astimezone().strftime("%Y-%m-%d")
            return f"({due})" if row.suspended else due  # as Anki marks a suspended card's due
        if col == 5:
            return "" if row.interval_days is None else review.format_interval(timedelta(days=row.interval_days))
        if col == 6:
            return "" if row.difficulty is None else f"{row.difficulty:.1f}"
        return row.created_at.astimezone().strftime("%Y-%m-%d")

    def _tooltip(self, row: BrowserRow, col: int) -> str | None:
        if col == 4:
            when = "New card" if row.state == 0 else f"Due {row.due.astimezone():%Y-%m-%d %H:%M}"
            return when + (" · suspended" if row.suspended else "")
        text = self._text(row, col)
        if not text:
            return None
        return text if len(text) <= TOOLTIP_CHARS else text[:TOOLTIP_CHARS - 1] + "…"

    def card_id(self, row: int) -> int | None:
        """The card shown on a row."""
        return self.rows[row].id if 0 <= row < len(self.rows) else None

    def row_of(self, card_id: int) -> int | None:
        """The row showing a card, or None when it is not loaded."""
        return next((i for i, r in enumerate(self.rows) if r.id == card_id), None)

    # -- changes shown in place (a bulk action keeps the rows where they are, and the selection) -------------------
    def update_rows(self, rows: list[BrowserRow]) -> None:
        """Show new values of loaded cards where they are."""
        fresh = {r.id: r for r in rows}
        for i, row in enumerate(self.rows):
            if row.id in fresh:
                self.rows[i] = fresh[row.id]
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def remove_ids(self, card_ids) -> None:
        """Drop rows of deleted cards (bottom up, so row numbers stay right)."""
        gone = set(card_ids)
        if len(gone) > 100:  # thousands of single-row removals would hold up the window: show the rest anew
            self.beginResetModel()
            self.rows = [r for r in self.rows if r.id not in gone]
            self.endResetModel()
        else:
            for i in range(len(self.rows) - 1, -1, -1):
                if self.rows[i].id in gone:
                    self.beginRemoveRows(QModelIndex(), i, i)
                    del self.rows[i]
                    self.endRemoveRows()
        if self.total is not None:
            self.total = max(0, self.total - len(gone))
            self.count_changed.emit(self.total)

    # -- paging -------------------------------------------------------------------------------------------------
    def set_query(self, search: str | None = None, deck_id: object = ..., sort_key: str | None = None,
                  descending: bool | None = None) -> None:
        """Change the filter or order and load the first page again."""
        if search is not None:
            self.search = search
        if deck_id is not ...:
            self.deck_id = deck_id
        if sort_key is not None:
            self.sort_key = sort_key
        if descending is not None:
            self.descending = descending
        self.reload()

    def reload(self) -> None:
        """Drop the rows and fetch from the first page."""
        self._generation += 1
        self.beginResetModel()
        self.rows = []
        self._exhausted = False
        self._loading = False
        self.total = None
        self.endResetModel()
        self._fetch()
        generation, search, deck_id = self._generation, self.search, self.deck_id
        self.ops.run(lambda: decks.browse_count(self.ctx, search, deck_id), lambda n: self._counted(generation, n),
                     lambda _exc: None)  # no count shown rather than a dialog for it

    def _counted(self, generation: int, n: int) -> None:
        if generation == self._generation:
            self.total = n
            self.count_changed.emit(n)

    def _fetch(self) -> None:
        self._loading = True
        generation, offset = self._generation, len(self.rows)
        search, deck_id, sort_key, descending = self.search, self.deck_id, self.sort_key, self.descending
        self.ops.run_either(
            lambda: decks.browse(self.ctx, search, deck_id, sort_key, descending, PAGE_SIZE, offset),
            lambda rows: self._arrived(generation, rows))

    def _arrived(self, generation: int, rows) -> None:
        if generation != self._generation:
            return  # an older query's answer
        self._loading = False
        if isinstance(rows, Exception):
            self._exhausted = True
            return
        if rows:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()
        self._exhausted = len(rows) < PAGE_SIZE
        self.loaded.emit()

    def canFetchMore(self, parent=None) -> bool:
        return not (parent is not None and parent.isValid()) and not self._exhausted and not self._loading

    def fetchMore(self, parent=None) -> None:
        if self.canFetchMore(parent):
            self._fetch()

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column].sort or "created"
        self.set_query(sort_key=key, descending=order == Qt.SortOrder.DescendingOrder)


class CardTable(QTableView):
    """The rows, multi-select; Front and Back share the width the other columns leave (dragging the line between
    them moves it like a splitter), every width and hidden column is kept in `layout` and reported by
    layout_changed (right-click the header to show or hide a column)."""

    layout_changed = Signal()

    def __init__(self, model: CardTableModel, layout: dict, parent=None):
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSortingEnabled(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(22)
        self.setAccessibleName("Cards")
        header = self.horizontalHeader()
        header.setSortIndicator(4, Qt.SortOrder.AscendingOrder)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(36)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self.widths = {c.title: int(layout.get("widths", {}).get(c.title, c.width)) for c in COLUMNS
                       if not c.stretch}
        share = layout.get("front_share", 0.5)
        self.front_share = min(0.85, max(0.15, float(share))) if isinstance(share, int | float) else 0.5
        hidden = layout.get("hidden")
        hidden = set(hidden) if isinstance(hidden, list) else {c.title for c in COLUMNS if c.hidden}
        self._fitting = True
        for i, c in enumerate(COLUMNS):
            header.setSectionHidden(i, c.title in hidden and i != 0)  # Front always shows
            header.resizeSection(i, self.widths.get(c.title, c.width))
        self._fitting = False
        header.sectionResized.connect(self._resized)
        self.viewport().installEventFilter(self)

    def layout_state(self) -> dict:
        """Widths, the Front share and hidden columns, for the settings."""
        header = self.horizontalHeader()
        return {"widths": dict(self.widths), "front_share": round(self.front_share, 3),
                "hidden": [c.title for i, c in enumerate(COLUMNS) if header.isSectionHidden(i)]}

    def eventFilter(self, obj, event) -> bool:
        if obj is self.viewport() and event.type() == QEvent.Type.Resize:
            self.fit()
        return super().eventFilter(obj, event)

    def _stretch_room(self) -> int:
        """The width Front and Back share: the viewport less the visible fixed columns."""
        header = self.horizontalHeader()
        fixed = sum(header.sectionSize(i) for i, c in enumerate(COLUMNS)
                    if not c.stretch and not header.isSectionHidden(i))
        return self.viewport().width() - fixed

    def fit(self) -> None:
        """Give Front and Back the width the other columns leave, in the student's proportion."""
        header = self.horizontalHeader()
        room = self._stretch_room()
        self._fitting = True
        try:
            if header.isSectionHidden(1):
                header.resizeSection(0, max(STRETCH_MIN, room))
            else:
                front = max(STRETCH_MIN, round(room * self.front_share))
                header.resizeSection(0, front)
                header.resizeSection(1, max(STRETCH_MIN, room - front))
        finally:
            self._fitting = False

    def _resized(self, section: int, _old: int, new: int) -> None:
        if self._fitting:
            return
        column = COLUMNS[section]
        room = self._stretch_room()
        if column.stretch:
            if room > 0 and not self.horizontalHeader().isSectionHidden(1):
                front = new if section == 0 else room - new  # Back's edge moves Front the other way
                self.front_share = min(0.85, max(0.15, front / room))
        else:
            self.widths[column.title] = new
        QTimer.singleShot(0, self, self.fit)  # after Qt has finished its own resize of the dragged section
        self.layout_changed.emit()

    def _header_menu(self, pos) -> None:
        header = self.horizontalHeader()
        menu = QMenu(self)
        for i, c in enumerate(COLUMNS[1:], start=1):
            action = menu.addAction(c.title)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(i))
            action.toggled.connect(lambda on, i=i: self.show_column(i, on))
        menu.exec(header.mapToGlobal(pos))

    def show_column(self, section: int, shown: bool) -> None:
        """Show or hide a column (Front always shows); remembered."""
        if section == 0:
            return
        self._fitting = True
        self.horizontalHeader().setSectionHidden(section, not shown)
        if shown and not COLUMNS[section].stretch:
            self.horizontalHeader().resizeSection(section, self.widths[COLUMNS[section].title])
        self._fitting = False
        self.fit()
        self.layout_changed.emit()
