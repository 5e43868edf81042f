"""The card editor beside the browser: a note's own fields for Anki cards, Front and Back for ours, deck and tags."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QLabel, QLineEdit, QMessageBox, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.study import decks
from lmgpa_desktop.core.study.anki import importing as anki_import
from lmgpa_desktop.core.study.decks import CardRecord, DeckCounts
from lmgpa_desktop.ui.kit.operations import Operations

STATE_NAMES = {0: "new", 1: "learning", 2: "review", 3: "relearning"}


class CardEditor(QWidget):
    """Edits one card (or writes a new one); Ctrl+S saves; reads and writes run on the page's operations."""

    message = Signal(str)
    changed = Signal()  # a card was added, saved or deleted

    def __init__(self, ctx, ops: Operations, parent=None):
        super().__init__(parent)
        self.ctx, self.ops = ctx, ops
        self.card: CardRecord | None = None
        self._wanted: int | None = None  # the card last asked for: a slower, older read is not shown over it
        self._field_boxes: list[tuple[str, QPlainTextEdit]] = []
        self.deck_box = QComboBox()
        self.tags_box = QLineEdit()
        self.tags_box.setPlaceholderText("tags separated by spaces")
        self.info = QLabel("Choose a card, or make a new one.")
        self.info.setObjectName("muted")
        self.info.setWordWrap(True)
        self.save_button = QPushButton("Save (Ctrl+S)")
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save_card)
        save_key = QAction("Save the card", self, shortcut=QKeySequence("Ctrl+S"))  # the text is what `?` lists
        save_key.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save_key.triggered.connect(self.save_card)
        self.addAction(save_key)
        self.fields_box = QWidget()
        self.fields_layout = QFormLayout(self.fields_box)
        self.fields_layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.addRow("Deck", self.deck_box)
        form.addRow("Tags", self.tags_box)
        layout = QVBoxLayout(self)
        layout.addWidget(self.info)
        layout.addWidget(self.fields_box, 1)
        layout.addLayout(form)
        layout.addWidget(self.save_button)
        self.set_card(None)

    def set_decks(self, rows: list[DeckCounts]) -> None:
        """The decks a card can be in."""
        keep = self.deck_box.currentData()
        self.deck_box.blockSignals(True)
        self.deck_box.clear()
        for row in rows:
            self.deck_box.addItem(row.name, row.deck_id)
        self.deck_box.setCurrentIndex(max(0, self.deck_box.findData(keep)))
        self.deck_box.blockSignals(False)
        if self.card is None:
            self.save_button.setEnabled(True)

    def set_card(self, card: CardRecord | None) -> None:
        """Fill the editor: a note's own fields for Anki cards, Front and Back for ours."""
        self.card = card
        while self.fields_layout.rowCount():
            self.fields_layout.removeRow(0)
        self._field_boxes = []
        if card is None:
            names_values = [("Front", ""), ("Back", "")]
        elif card.anki_fields is not None:
            names_values = [(n, v) for n, v in card.anki_fields]
        else:
            names_values = [("Front", card.front), ("Back", card.back)]
        for name, value in names_values:
            box = QPlainTextEdit(value)
            box.setTabChangesFocus(True)
            box.setMinimumHeight(48)
            self.fields_layout.addRow(name, box)
            self._field_boxes.append((name, box))
        if card is not None:
            self.tags_box.setText(card.tags)
            self.deck_box.setCurrentIndex(max(0, self.deck_box.findData(card.deck_id)))
            state = STATE_NAMES.get(card.state, "?")
            due = "" if card.state == 0 else f", due {card.due.astimezone():%Y-%m-%d %H:%M}"
            kind = f"Anki note “{card.anki_model}”, card {card.anki_ord + 1}" if card.anki_fields is not None \
                else f"{card.kind} card"
            self.info.setText(f"{kind} · {state}{due}")
        else:
            self.tags_box.clear()
            self.info.setText("New card: write the front and back, then Save.")
        self.save_button.setEnabled(True)

    def edit_card(self, card_id: int | None) -> None:
        """Load a card into the editor (read off the UI thread)."""
        self._wanted = card_id
        if card_id is None:
            self.set_card(None)
            return
        ctx = self.ctx
        self.ops.run(lambda: decks.get_card(ctx, card_id), lambda card: self._loaded(card_id, card))

    def _loaded(self, card_id: int, card: CardRecord | None) -> None:
        if card_id == self._wanted:
            self.set_card(card)

    def new_card(self, deck_id: int | None) -> None:
        """Clear the editor for a new card in deck_id (None: the deck menu's choice)."""
        self._wanted = None
        self.set_card(None)
        if deck_id is not None:
            self.deck_box.setCurrentIndex(max(0, self.deck_box.findData(deck_id)))
        if self._field_boxes:
            self._field_boxes[0][1].setFocus()

    def field_values(self) -> list[str]:
        """What the editor's field boxes hold."""
        return [box.toPlainText() for _, box in self._field_boxes]

    def set_field_values(self, values: list[str]) -> None:
        """Fill the editor's field boxes."""
        for (_, box), value in zip(self._field_boxes, values, strict=False):
            box.setPlainText(value)

    def save_card(self) -> None:
        """Save the editor (off the UI thread): a new card, an edited card, or an edited Anki note (all its cards
        re-rendered); then the editor shows the card as stored."""
        values = self.field_values()
        deck_id = self.deck_box.currentData()
        tags = self.tags_box.text()
        card, ctx = self.card, self.ctx

        def work() -> tuple[bool, str, CardRecord | None]:
            """(a Default deck was made, what to say, the card as stored or None when not saved)."""
            made_deck, target = False, deck_id
            try:
                if card is None:
                    if target is None:
                        target = decks.create_deck(ctx, "Default").id
                        made_deck = True
                    if not values or not values[0].strip():
                        return made_deck, "A card needs a front.", None
                    saved, text = decks.create_card(ctx, target, values[0], values[1], tags=tags), "Card added."
                elif card.anki_fields is not None:
                    anki_import.update_note(ctx, card.id, values, tags)
                    saved, text = decks.update_card(ctx, card.id, deck_id=target), "Note saved."
                else:
                    saved = decks.update_card(ctx, card.id, front=values[0], back=values[1], tags=tags,
                                              deck_id=target)
                    text = "Card saved."
            except (ValueError, UserError) as exc:
                return made_deck, str(exc), None
            return made_deck, text, decks.get_card(ctx, saved.id)

        self.ops.run(work, self._saved)

    def _saved(self, outcome: tuple[bool, str, CardRecord | None]) -> None:
        made_deck, text, card = outcome
        if made_deck:
            self.changed.emit()  # the new deck joins the lists
        self.message.emit(text)
        if card is None:
            return
        self.changed.emit()
        self._wanted = card.id
        self.set_card(card)

    def delete_card(self, confirm: bool = True) -> None:
        """Delete the card in the editor (off the UI thread)."""
        card = self.card
        if card is None:
            return
        if confirm and QMessageBox.question(self, "Delete card", "Delete this card?") \
                != QMessageBox.StandardButton.Yes:
            return
        ctx = self.ctx
        self.ops.run(lambda: decks.delete_card(ctx, card.id), lambda _none: self._deleted(card.id))

    def _deleted(self, card_id: int) -> None:
        self.message.emit("Card deleted.")
        if self.card is not None and self.card.id == card_id:
            self._wanted = None
            self.set_card(None)
        self.changed.emit()
