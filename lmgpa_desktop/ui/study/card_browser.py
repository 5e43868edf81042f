"""The card browser: search, deck filter and sort over cards paged in (fast at 100k cards), the editor beside."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QSplitter, QTableView,
    QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.study import decks, review
from lmgpa_desktop.core.study.decks import BrowserRow, DeckCounts
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.study.card_editor import CardEditor

PAGE_SIZE = 200
BROWSER_COLUMNS = [("Front", "front"), ("Back", None), ("Deck", "deck"), ("Tags", None), ("Due", "due"),
                   ("Interval", "interval"), ("Ease", "ease"), ("Created", "created")]


def _plain(text: str, limit: int = 120) -> str:
    """Card HTML as one short line for a table cell."""
    flat = html.unescape(re.sub(r"<[^>]+>", " ", text or ""))
    flat = " ".join(flat.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


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
        return 0 if parent is not None and parent.isValid() else len(BROWSER_COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return BROWSER_COLUMNS[section][0]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.UserRole):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        col = index.column()
        if col == 0:
            return _plain(row.front)
        if col == 1:
            return _plain(row.back)
        if col == 2:
            return row.deck
        if col == 3:
            return row.tags
        if col == 4:
            return "new" if row.state == 0 else row.due.astimezone().strftime("%Y-%m-%d %H:%M")
        if col == 5:
            return "" if row.interval_days is None else review.format_interval(timedelta(days=row.interval_days))
        if col == 6:
            return "" if row.difficulty is None else f"{row.difficulty:.1f}"
        return row.created_at.astimezone().strftime("%Y-%m-%d")

    def card_id(self, row: int) -> int | None:
        """The card shown on a row."""
        return self.rows[row].id if 0 <= row < len(self.rows) else None

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
        key = BROWSER_COLUMNS[column][1] or "created"
        self.set_query(sort_key=key, descending=order == Qt.SortOrder.DescendingOrder)


class CardBrowser(QWidget):
    """Search and deck filter over a paged table; the selected card opens in the editor."""

    message = Signal(str)
    changed = Signal()  # a card was added, saved or deleted: the deck counts change

    def __init__(self, ctx, ops: Operations, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search front, back and tags (tag:name for a tag)")
        self.search_box.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(lambda: self.model.set_query(search=self.search_box.text()))
        self.search_box.textChanged.connect(lambda _t: self._search_timer.start())
        self.deck_filter = QComboBox()
        self.deck_filter.currentIndexChanged.connect(
            lambda _i: self.model.set_query(deck_id=self.deck_filter.currentData()))
        self.count_label = QLabel("")
        self.count_label.setObjectName("muted")
        new_button = QPushButton("New card")
        new_button.clicked.connect(self.new_card)
        self.delete_card_button = QPushButton("Delete card")
        self.delete_card_button.clicked.connect(lambda: self.delete_selected_card())  # Qt would pass checked=False as confirm
        bar = QHBoxLayout()
        bar.addWidget(self.search_box, 1)
        bar.addWidget(self.deck_filter)
        bar.addWidget(self.count_label)
        bar.addWidget(new_button)
        bar.addWidget(self.delete_card_button)

        self.model = CardTableModel(ctx, ops, self)
        self.model.count_changed.connect(lambda n: self.count_label.setText(f"{n:,} cards"))
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(4, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        delete_key = QAction(self.table, shortcut=QKeySequence("Delete"))
        delete_key.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete_key.triggered.connect(lambda: self.delete_selected_card())
        self.table.addAction(delete_key)

        self.editor = CardEditor(ctx, ops)
        self.editor.message.connect(self.message)
        self.editor.changed.connect(self._changed)
        self.table.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self.editor.edit_card(self.model.card_id(cur.row())))

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.editor)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)

    def set_decks(self, rows: list[DeckCounts]) -> None:
        """The decks for the filter and the editor's deck menu."""
        keep = self.deck_filter.currentData()
        self.deck_filter.blockSignals(True)
        self.deck_filter.clear()
        self.deck_filter.addItem("All decks", None)
        for row in rows:
            self.deck_filter.addItem(row.name, row.deck_id)
        self.deck_filter.setCurrentIndex(max(0, self.deck_filter.findData(keep)))
        self.deck_filter.blockSignals(False)
        self.editor.set_decks(rows)

    def reload(self) -> None:
        """Fetch the rows again (cards may have changed while studying or on another page)."""
        self.model.reload()

    def new_card(self) -> None:
        """Clear the editor for a new card in the filtered (or first) deck."""
        self.table.clearSelection()
        self.editor.new_card(self.deck_filter.currentData())

    def delete_selected_card(self, confirm: bool = True) -> None:
        """Delete the card in the editor."""
        self.editor.delete_card(confirm)

    def _changed(self) -> None:
        self.model.reload()
        self.changed.emit()
