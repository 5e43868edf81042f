"""The deck list: due and new counts per deck (read off the UI thread), making, renaming and deleting decks, options."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHeaderView,
    QInputDialog, QLabel, QMessageBox, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.study import decks, review
from lmgpa_desktop.core.study.decks import DeckCounts
from lmgpa_desktop.ui.kit.empty_state import EmptyState
from lmgpa_desktop.ui.kit.flow_layout import FlowLayout
from lmgpa_desktop.ui.kit.operations import Operations

DECK_COLUMNS = ["Deck", "Learning", "Review", "New", "Cards"]


class OptionsDialog(QDialog):
    """Deck options: new cards per day; desired retention (for every deck)."""

    def __init__(self, deck_name: str, new_per_day: int, retention: float, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Options: {deck_name}")
        self.new_per_day = QSpinBox()
        self.new_per_day.setRange(0, 9999)
        self.new_per_day.setValue(new_per_day)
        self.retention = QDoubleSpinBox()
        self.retention.setRange(0.70, 0.99)
        self.retention.setSingleStep(0.01)
        self.retention.setDecimals(2)
        self.retention.setValue(retention)
        self.retention.setToolTip("The chance of remembering a card when it comes back. Higher means more "
                                  "reviews; 0.90 is a good default.")
        form = QFormLayout(self)
        form.addRow("New cards per day", self.new_per_day)
        form.addRow("Desired retention (all decks)", self.retention)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class DeckList(QWidget):
    """Decks with today's learning, review and new counts; Enter or a double click studies one."""

    message = Signal(str)
    study_requested = Signal(object)  # deck id, or None for every deck
    loaded = Signal(object)  # the DeckCounts rows, for the browser's deck menus
    deleted = Signal(int)  # deck id: its cards are gone from the browser too
    import_requested = Signal()
    export_requested = Signal(int)  # deck id
    browse_requested = Signal()
    next_step = Signal(str)  # what the empty state offers on another page: "generate"

    def __init__(self, ctx, ops: Operations, parent=None):
        super().__init__(parent)
        self.ctx, self.ops = ctx, ops
        self.rows: list[DeckCounts] = []
        self.study_all_button = QPushButton("Study all decks")
        self.study_all_button.setObjectName("primary")
        self.study_all_button.clicked.connect(lambda: self.study_requested.emit(None))
        self.study_button = QPushButton("Study deck")
        self.study_button.clicked.connect(self._study_selected)
        buttons = [self.study_all_button, self.study_button]
        for label, slot in [("New deck…", self.new_deck), ("Rename…", self.rename_deck),
                            ("Delete…", self.delete_deck), ("Options…", self.deck_options),
                            ("Import .apkg…", self.import_requested.emit), ("Export .apkg…", self._export_selected)]:
            b = QPushButton(label)
            b.clicked.connect(lambda _=False, s=slot: s())
            buttons.append(b)
        bar = FlowLayout()  # the buttons wrap to a second row in a narrow window instead of being cut
        for b in buttons:
            bar.addWidget(b)
        self.table = QTableWidget(0, len(DECK_COLUMNS))
        self.table.setAccessibleName("Decks")
        self.table.setHorizontalHeaderLabels(DECK_COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self._study_selected())
        self.table.installEventFilter(self)  # Enter studies the selected deck
        self.total_label = QLabel("")
        self.total_label.setObjectName("muted")
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.empty = EmptyState()  # no decks: stands in for the table
        self.empty.hide()
        layout.addWidget(self.empty, 1)
        self.all_done = EmptyState(compact=True)  # decks, but nothing due: said under the table
        self.all_done.hide()
        layout.addWidget(self.all_done)
        layout.addWidget(self.total_label)

    KEYS = [(("Return",), "Study the selected deck")]  # handled in eventFilter below; listed by `?`

    def eventFilter(self, watched, event) -> bool:
        if (watched is self.table and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.selected_deck_id() is not None):
            self._study_selected()
            return True
        return super().eventFilter(watched, event)

    def _study_selected(self) -> None:
        self.study_requested.emit(self.selected_deck_id())

    def _export_selected(self) -> None:
        deck_id = self.selected_deck_id()
        if deck_id is not None:
            self.export_requested.emit(deck_id)

    # -- counts ------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload deck counts, then deck sizes, off the UI thread; the table and the deck menus follow."""
        self.ops.run(lambda: review.deck_counts(self.ctx), self._fill,
                     lambda exc: self.message.emit(f"Could not read the decks: {exc}"))
        self.ops.run(lambda: decks.deck_sizes(self.ctx), self._sizes, lambda _exc: None)  # sizes stay "…"

    def _fill(self, rows: list[DeckCounts]) -> None:
        self.rows = rows
        chosen = self.selected_deck_id()
        sizes = {self.table.item(r, 0).data(Qt.ItemDataRole.UserRole): self.table.item(r, 4).text()
                 for r in range(self.table.rowCount()) if self.table.item(r, 4)}
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate([row.name, row.learning, row.review, row.new, sizes.get(row.deck_id, "…")]):
                cell = QTableWidgetItem(str(value))
                cell.setData(Qt.ItemDataRole.UserRole, row.deck_id)
                if c:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, cell)
            if row.deck_id == chosen:
                self.table.selectRow(r)
        if rows and not self.table.selectedIndexes():
            self.table.selectRow(0)
        total = review.QueueCounts(sum(r.learning for r in rows), sum(r.review for r in rows),
                                   sum(r.new for r in rows))
        self.total_label.setText(f"Today: {total.learning} learning · {total.review} review · {total.new} new"
                                 if rows else "")
        self.study_all_button.setEnabled(total.total > 0)
        self._advise(bool(rows), total.total > 0)
        self.loaded.emit(rows)

    def _advise(self, has_decks: bool, anything_due: bool) -> None:
        """No decks, or nothing due today: say so and offer the next step instead of an empty table."""
        generate = ("Generate cards from a lecture", lambda: self.next_step.emit("generate"))
        self.table.setVisible(has_decks)
        self.empty.setVisible(not has_decks)
        self.all_done.setVisible(has_decks and not anything_due)
        if not has_decks:
            self.empty.set("No flashcards yet",
                           "Make cards from a lecture or PDF on the Study page (you accept each one before it joins "
                           "a deck), import an Anki deck, or start an empty deck and write your own.",
                           [generate, ("Import an Anki deck…", self.import_requested.emit),
                            ("New deck…", self.new_deck)])
        elif not anything_due:
            self.all_done.set("Nothing is due today",
                              "You have reviewed every card that is due. Come back tomorrow, or add cards from "
                              "another lecture.",
                              [generate, ("Browse cards", self.browse_requested.emit)])

    def _sizes(self, sizes: dict[int, int]) -> None:
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 4)
            if item is not None:
                item.setText(str(sizes.get(item.data(Qt.ItemDataRole.UserRole), 0)))

    def selected_deck_id(self) -> int | None:
        """The deck chosen in the list."""
        rows = {i.row() for i in self.table.selectedIndexes()}
        if not rows:
            return None
        item = self.table.item(min(rows), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def deck_name(self, deck_id: int | None) -> str:
        """A deck's name; "All decks" for None (from the list on screen; read only for a deck not listed yet)."""
        if deck_id is None:
            return "All decks"
        listed = next((row.name for row in self.rows if row.deck_id == deck_id), None)
        if listed is not None:
            return listed
        deck = decks.get_deck(self.ctx, deck_id)
        return deck.name if deck else "All decks"

    # -- changing decks ----------------------------------------------------------------------------------------
    def new_deck(self, name: str | None = None) -> int | None:
        """Make a deck (asks for its name)."""
        if name is None:
            name, ok = QInputDialog.getText(self, "New deck", "Name:")
            if not ok:
                return None
        try:
            deck = decks.create_deck(self.ctx, name)
        except ValueError as exc:
            self.message.emit(str(exc))
            return None
        self.refresh()
        return deck.id

    def rename_deck(self) -> None:
        """Rename the selected deck."""
        deck_id = self.selected_deck_id()
        if deck_id is None:
            return
        name, ok = QInputDialog.getText(self, "Rename deck", "Name:", text=self.deck_name(deck_id))
        if ok:
            try:
                decks.update_deck(self.ctx, deck_id, name=name)
            except ValueError as exc:
                self.message.emit(str(exc))
            self.refresh()

    def delete_deck(self, confirm: bool = True) -> None:
        """Delete the selected deck and its cards (reviewed ones stay as tombstones for the history)."""
        deck_id = self.selected_deck_id()
        if deck_id is None:
            return
        name = self.deck_name(deck_id)
        if confirm and QMessageBox.question(self, "Delete deck", f"Delete “{name}” and all its cards?") \
                != QMessageBox.StandardButton.Yes:
            return
        decks.delete_deck(self.ctx, deck_id)
        self.message.emit(f"Deleted the deck “{name}”.")
        self.refresh()
        self.deleted.emit(deck_id)

    def deck_options(self) -> None:
        """New cards per day for the selected deck; desired retention for all."""
        deck_id = self.selected_deck_id()
        deck = decks.get_deck(self.ctx, deck_id) if deck_id is not None else None
        if deck is None:
            return
        dialog = OptionsDialog(deck.name, deck.new_per_day, review.retention(self.ctx), self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.apply_options(deck.id, dialog.new_per_day.value(), dialog.retention.value())

    def apply_options(self, deck_id: int, new_per_day: int, retention: float) -> None:
        """Store deck options."""
        decks.update_deck(self.ctx, deck_id, new_per_day=int(new_per_day))
        review.set_retention(self.ctx, retention)
        self.refresh()
