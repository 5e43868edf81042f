"""The card browser, as in Anki: search, deck filter and sort over cards paged in (fast at 100k cards), rendered
columns, a preview of the selected card with its source, the editor, and actions on many cards with undo."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea, QSplitter, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.study import decks
from lmgpa_desktop.core.study.decks import DeckCounts
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.study.browser_actions import BrowserActions
from lmgpa_desktop.ui.study.card_editor import CardEditor
from lmgpa_desktop.ui.study.card_preview import CardPreview
from lmgpa_desktop.ui.study.card_table import BROWSER_COLUMNS, PAGE_SIZE, CardTable, CardTableModel

__all__ = ["BROWSER_COLUMNS", "PAGE_SIZE", "CardBrowser", "CardTableModel"]
LAYOUT_SAVE_MS = 400  # a drag resizes a column many times: the settings are written once it settles


class FitScroll(QScrollArea):
    """Shows a widget at the viewport's size and scrolls only when it cannot shrink that far (widgetResizable
    would give each box of a form its full preferred height and scroll even when it could fit)."""

    def __init__(self, widget: QWidget, parent=None):
        super().__init__(parent)
        self.setWidget(widget)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            QTimer.singleShot(0, self, self._fit)  # its rows changed (another note type): its least height too
        return super().eventFilter(obj, event)

    def resizeEvent(self, event) -> None:  # the area's and its viewport's resizes both come here
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        widget, room = self.widget(), self.viewport().size()
        widget.resize(room.width(), max(room.height(), widget.minimumSizeHint().height()))


class CardBrowser(QWidget):
    """The table on top; below it the selected card's preview beside its editor."""

    message = Signal(str)
    changed = Signal()  # cards were added, saved, moved, suspended or deleted: the deck counts change
    open_location = Signal(int, object, object)  # source id, page number or None, start second or None

    def __init__(self, ctx, ops: Operations, parent=None):
        super().__init__(parent)
        self.ctx, self.ops = ctx, ops
        self._decks: list[DeckCounts] = []
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search front, back and tags (tag:name for a tag)")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setAccessibleName("Search cards")
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(lambda: self.model.set_query(search=self.search_box.text()))
        self.search_box.textChanged.connect(lambda _t: self._search_timer.start())
        self.deck_filter = QComboBox()
        self.deck_filter.setAccessibleName("Deck")
        self.deck_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.deck_filter.setMinimumContentsLength(12)  # a long deck name must not widen the page
        self.deck_filter.currentIndexChanged.connect(
            lambda _i: self.model.set_query(deck_id=self.deck_filter.currentData()))
        self.count_label = QLabel("")
        self.count_label.setObjectName("muted")
        new_button = QPushButton("New card")
        new_button.clicked.connect(self.new_card)
        self.undo_button = QPushButton("Undo")
        self.undo_button.setEnabled(False)
        self.delete_card_button = QPushButton("Delete")
        self.delete_card_button.setToolTip("Delete the selected cards (Delete); Ctrl+Z brings them back")
        self.delete_card_button.clicked.connect(lambda: self.delete_selected_card())  # not checked=False
        bar = QHBoxLayout()
        bar.addWidget(self.search_box, 1)
        bar.addWidget(self.deck_filter)
        bar.addWidget(self.count_label)
        bar.addWidget(new_button)
        bar.addWidget(self.undo_button)
        bar.addWidget(self.delete_card_button)

        self.layout_state = decks.browser_layout(ctx)
        self.model = CardTableModel(ctx, ops, self)
        self.model.count_changed.connect(
            lambda n: self.count_label.setText(f"{n:,} card" + ("" if n == 1 else "s")))
        self.table = CardTable(self.model, self.layout_state)
        self.preview = CardPreview(ctx, ops)
        self.preview.open_location.connect(self.open_location)
        self.editor = CardEditor(ctx, ops)
        self.editor.message.connect(self.message)
        self.editor.changed.connect(self._edited)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show_card(cur.row()))
        self.bulk = BrowserActions(self)
        self.undo_button.clicked.connect(self.bulk.undo)
        self.bulk.undo_changed.connect(self._undo_changed)

        editor_scroll = FitScroll(self.editor)  # an Anki note with many fields scrolls, the table keeps its room
        below = QSplitter(Qt.Orientation.Horizontal)
        below.addWidget(self.preview)
        below.addWidget(editor_scroll)
        below.setChildrenCollapsible(False)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.table)
        self.split.addWidget(below)
        self.split.setChildrenCollapsible(False)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        sizes = self.layout_state.get("split")
        if not (isinstance(sizes, list) and len(sizes) == 2 and all(isinstance(s, int) and s > 0 for s in sizes)):
            sizes = [55, 45]  # scaled to the height there is: the table keeps the larger part
        self.split.setSizes(sizes)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.split, 1)

        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(LAYOUT_SAVE_MS)
        self._save_timer.timeout.connect(self.save_layout)
        self.table.layout_changed.connect(self._save_timer.start)
        self.split.splitterMoved.connect(lambda _pos, _index: self._save_timer.start())

    # -- decks and selection -------------------------------------------------------------------------------------
    def set_decks(self, rows: list[DeckCounts]) -> None:
        """The decks for the filter, the editor's deck menu and Move to deck."""
        self._decks = list(rows)
        keep = self.deck_filter.currentData()
        self.deck_filter.blockSignals(True)
        self.deck_filter.clear()
        self.deck_filter.addItem("All decks", None)
        for row in rows:
            self.deck_filter.addItem(row.name, row.deck_id)
        self.deck_filter.setCurrentIndex(max(0, self.deck_filter.findData(keep)))
        self.deck_filter.blockSignals(False)
        self.editor.set_decks(rows)

    def deck_names(self) -> list[str]:
        """Names of the decks, for Move to deck."""
        return [d.name for d in self._decks]

    def deck_id_named(self, name: str) -> int | None:
        """The deck with this name (case-insensitive), or None."""
        return next((d.deck_id for d in self._decks if d.name.lower() == name.lower()), None)

    def selected_ids(self) -> list[int]:
        """The selected cards, in table order."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [card_id for card_id in (self.model.card_id(r) for r in rows) if card_id is not None]

    def tags_of(self, card_ids: list[int]) -> list[str]:
        """The tags the given (loaded) cards have, sorted."""
        chosen = set(card_ids)
        found = {t for r in self.model.rows if r.id in chosen for t in r.tags.split()}
        return sorted(found, key=str.lower)

    def _show_card(self, row: int) -> None:
        card_id = self.model.card_id(row)
        self.preview.show_card(card_id)
        self.editor.edit_card(card_id)

    # -- after an action -----------------------------------------------------------------------------------------
    def after_change(self, card_ids: list[int]) -> None:
        """Cards changed in place: the card shown below follows, the deck counts too."""
        current = self.model.card_id(self.table.currentIndex().row())
        if current in card_ids:
            self._show_card(self.table.currentIndex().row())
        self.changed.emit()

    def after_delete(self, card_ids: list[int]) -> None:
        """Deleted cards leave the table; the row at the first one's place is selected, so the keys can go on."""
        first = min((r for r in (self.model.row_of(i) for i in card_ids) if r is not None), default=None)
        self.model.remove_ids(card_ids)
        if self.editor.card is not None and self.editor.card.id in card_ids:
            self.editor.edit_card(None)
        self.table.clearSelection()
        if first is not None and self.model.rowCount():
            self.table.selectRow(min(first, self.model.rowCount() - 1))
        else:
            self.preview.show_card(None)
        self.changed.emit()

    def after_undo(self) -> None:
        """Cards came back or changed back: read the rows again."""
        self.model.reload()
        self.changed.emit()

    def _undo_changed(self, what: str) -> None:
        self.undo_button.setEnabled(bool(what))
        self.undo_button.setToolTip(f"Undo {what} (Ctrl+Z)" if what else "Nothing to undo")

    # -- the page's calls ----------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Fetch the rows again (cards may have changed while studying or on another page)."""
        self.model.reload()

    def new_card(self) -> None:
        """Clear the editor for a new card in the filtered (or first) deck."""
        self.table.clearSelection()
        self.preview.show_card(None)
        self.editor.new_card(self.deck_filter.currentData())

    def delete_selected_card(self, confirm: bool = False) -> None:
        """Delete the selected cards (or, with none selected, the one in the editor); undoable, so nothing is asked
        unless confirm."""
        if self.selected_ids():
            self.bulk.delete()
        elif self.editor.card is not None:
            self.editor.delete_card(confirm)

    def _edited(self) -> None:
        self.model.reload()
        self.changed.emit()

    # -- layout --------------------------------------------------------------------------------------------------
    def save_layout(self) -> None:
        """Remember column widths, hidden columns and the split (off the UI thread)."""
        self._save_timer.stop()
        state = {**self.table.layout_state(), "split": self.split.sizes()}
        if state == self.layout_state:
            return
        self.layout_state = state
        ctx = self.ctx
        self.ops.run(lambda: decks.save_browser_layout(ctx, state), lambda _none: None)

    def hideEvent(self, event) -> None:
        if self._save_timer.isActive():
            self.save_layout()  # leaving the tab or closing: a resize just made is not lost
        super().hideEvent(event)
