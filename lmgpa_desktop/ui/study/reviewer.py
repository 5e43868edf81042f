"""The study screen: a card's question, Space to reveal, 1-4 to rate, Ctrl+Z to undo, R to read aloud, its source."""

from __future__ import annotations

import html
import sys
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, Qt, QUrl, Signal
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.study import decks, review
from lmgpa_desktop.core.study.decks import CardRecord
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.read_aloud import ReadAloudBar
from lmgpa_desktop.ui.study.card_audio import CardAudio

CARD_SIZE = "x-large"  # a card's text: Qt's size keyword, 1.5 times the font of the view that shows it


class Reviewer(QWidget):
    """Shows one card at a time of a deck (or of every deck); the keys belong to this widget."""

    # The keys keyPressEvent below handles, as the shortcuts overlay (`?`) lists them; a test presses each one.
    KEYS = [
        (("Space", "Return"), "Show the answer"),
        (("1", "2", "3", "4"), "Rate the answer: " + ", ".join(review.RATINGS.values())),
        (("Space",), f"Rate {review.RATINGS[3]} once the answer shows"),
        (("Ctrl+Z",), "Undo the last answer"),
        (("R",), "Read the card aloud, or pause"),
        (("Esc",), "Back to the deck list"),
    ]

    message = Signal(str)
    left = Signal()  # Esc: back to the deck list
    open_location = Signal(int, object, object)  # source id, page number or None, start second or None

    def __init__(self, ctx, ops: Operations, parent=None):
        super().__init__(parent)
        self.ctx, self.ops = ctx, ops
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.card: CardRecord | None = None
        self.faces: review.CardFaces | None = None
        self.deck_id: int | None = None
        self.deck_name = ""
        self.revealed = False
        self.answering = False  # an answer or undo is being written: keys wait for the next card
        self._session = 0  # which study session a late answer belongs to
        self.timer = QElapsedTimer()
        self.audio = CardAudio(self)
        self._build()

    def _build(self) -> None:
        self.deck_label = QLabel("")
        self.deck_label.setObjectName("sectionTitle")
        self.left_label = QLabel("")
        self.left_label.setObjectName("muted")
        back = QPushButton("Decks (Esc)")
        back.clicked.connect(self.left.emit)
        header = QHBoxLayout()
        header.addWidget(self.deck_label, 1)
        header.addWidget(self.left_label)
        header.addWidget(back)
        self.card_view = QTextBrowser()
        self.card_view.setOpenLinks(False)
        self.card_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the review screen
        self.card_view.anchorClicked.connect(self._link)
        self.play_source_button = QPushButton("▶ Play source")
        self.play_source_button.clicked.connect(self.play_source)
        self.open_source_button = QPushButton("Open source")
        self.open_source_button.clicked.connect(self._open_source)
        self.source_label = QLabel("")
        self.source_label.setObjectName("muted")
        self.read_aloud = ReadAloudBar(self.ctx, self.card_text, self)
        self.read_aloud.play_button.setToolTip("Read this card aloud (R) / pause")
        source_row = QHBoxLayout()
        source_row.addWidget(self.play_source_button)
        source_row.addWidget(self.open_source_button)
        source_row.addWidget(self.source_label, 1)
        source_row.addWidget(self.read_aloud)
        self.reveal_button = QPushButton("Show answer (Space)")
        self.reveal_button.setObjectName("primary")
        self.reveal_button.clicked.connect(self.reveal)
        self.rating_buttons: dict[int, QPushButton] = {}
        answer_row = QHBoxLayout()
        answer_row.addWidget(self.reveal_button)
        for rating, name in review.RATINGS.items():
            b = QPushButton(name)
            b.clicked.connect(lambda _=False, r=rating: self.rate(r))
            self.rating_buttons[rating] = b
            answer_row.addWidget(b)
        self.undo_button = QPushButton("Undo (Ctrl+Z)")
        self.undo_button.clicked.connect(self.undo)
        answer_row.addStretch(1)
        answer_row.addWidget(self.undo_button)
        for b in [*self.rating_buttons.values(), self.reveal_button, self.undo_button, back,
                  self.play_source_button, self.open_source_button, self.read_aloud.play_button,
                  self.read_aloud.stop_button, self.read_aloud.speed]:
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space must reveal, not press a focused button
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.card_view, 1)
        layout.addLayout(source_row)
        layout.addLayout(answer_row)

    def keyPressEvent(self, event) -> None:
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Z and mods & Qt.KeyboardModifier.ControlModifier:
            self.undo()
        elif key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self.revealed:
            self.reveal()
        elif Qt.Key.Key_1 <= key <= Qt.Key.Key_4 and not mods & Qt.KeyboardModifier.ControlModifier:
            self.rate(key - Qt.Key.Key_0)
        elif key == Qt.Key.Key_Space and self.revealed:
            self.rate(3)  # Space on the answer means Good, as in Anki
        elif key == Qt.Key.Key_Escape:
            self.left.emit()
        elif key == Qt.Key.Key_R and not mods:
            self.read_aloud.toggle()
        else:
            super().keyPressEvent(event)

    # -- a study session ---------------------------------------------------------------------------------------
    def start(self, deck_id: int | None, deck_name: str) -> None:
        """Study a deck (None: every deck) from its next card."""
        self._session += 1
        self.deck_id, self.deck_name = deck_id, deck_name
        self.deck_label.setText(deck_name)
        self.show_next()
        self.setFocus()

    def stop(self) -> None:
        """Leave the session (an answer still being written is kept, its next card not shown)."""
        self._session += 1
        self.audio.stop()
        self.card = None

    def show_next(self) -> None:
        """Show the next card's question, or say the deck is done for today."""
        self.show_card(review.next_card(self.ctx, self.deck_id))

    def show_card(self, card: CardRecord | None) -> None:
        """Show a card's question side."""
        self.audio.stop()
        self.read_aloud.stop()
        self.card, self.revealed = card, False
        self._update_left()
        self.undo_button.setEnabled(review.can_undo(self.ctx))
        for b in self.rating_buttons.values():
            b.setVisible(False)
        self.play_source_button.setVisible(False)
        self.open_source_button.setVisible(False)
        self.source_label.setText("")
        if card is None:
            comes_back = review.next_learning_at(self.ctx, self.deck_id)
            later = (f"<p>A card you are learning comes back at {comes_back.astimezone():%H:%M}.</p>"
                     if comes_back else "")
            self.card_view.setHtml(f"<div align=center><h2>Well done!</h2><p>Nothing more is due in "
                                   f"{html.escape(self.deck_name)} today.</p>{later}</div>")
            self.reveal_button.setVisible(False)
            return
        self.faces = review.faces(self.ctx, card)
        self.card_view.setSearchPaths([self.faces.media_dir] if self.faces.media_dir else [])
        self.card_view.setHtml(self._page_html(self.faces.question))
        self.reveal_button.setVisible(True)
        self.timer.start()

    def card_text(self) -> str:
        """What read-aloud says: the question, and the answer once it is shown."""
        if self.card is None:
            return ""
        shown = f"{self.faces.question}<p>{self.faces.answer}</p>" if self.revealed else self.faces.question
        doc = QTextDocument()
        doc.setHtml(shown)
        return doc.toPlainText()

    def _page_html(self, body: str) -> str:
        # A size keyword, not points: Qt scales it from the view's font, so cards follow the system's font size.
        return f"<div align=center style='font-size:{CARD_SIZE}'>{body}</div>"

    def _update_left(self) -> None:
        deck_id = self.deck_id
        self.ops.run(lambda: review.counts(self.ctx, deck_id), lambda left: self._show_left(deck_id, left),
                     lambda _exc: None)  # an unreadable count leaves the last one shown

    def _show_left(self, deck_id: int | None, left: review.QueueCounts) -> None:
        if deck_id == self.deck_id:
            self.left_label.setText(f"Left today: {left.learning} learning · {left.review} review · {left.new} new")

    def reveal(self) -> None:
        """Show the answer, the rating buttons with their next intervals, and the source buttons."""
        if self.card is None or self.revealed or self.answering:
            return
        self.revealed = True
        self.card_view.setHtml(self._page_html(f"{self.faces.question}<hr>{self.faces.answer}"))
        self.reveal_button.setVisible(False)
        intervals = review.preview(self.ctx, self.card.id)
        for rating, b in self.rating_buttons.items():
            b.setText(f"{review.RATINGS[rating]} ({rating})\n{review.format_interval(intervals[rating])}")
            b.setVisible(True)
        self._show_source_buttons()
        if self.faces.answer_sounds:
            self.play_sound(self.faces.answer_sounds[0])

    # -- answering: off the UI thread; keys typed meanwhile are ignored, so a card is never rated twice -----
    def rate(self, rating: int) -> None:
        """Answer the shown card 1-4; the next card is shown once the answer is written."""
        if self.card is None or not self.revealed or rating not in review.RATINGS or self.answering:
            return
        elapsed = int(self.timer.elapsed()) if self.timer.isValid() else None
        card_id, deck_id = self.card.id, self.deck_id

        def work():
            try:
                review.answer(self.ctx, card_id, rating, duration_ms=elapsed)
                problem = None
            except UserError as exc:
                problem = str(exc)
            return problem, review.next_card(self.ctx, deck_id)

        self._write(work)

    def undo(self) -> None:
        """Undo the last answer and show that card again."""
        if self.answering:
            return

        def work():
            try:
                card = review.undo_last(self.ctx)
            except UserError as exc:
                return str(exc), None
            return ("Undid the last answer." if card is not None else None), card

        self._write(work, keep_on_none=True)

    def _write(self, work, keep_on_none: bool = False) -> None:
        """Run an answer or undo on the database lane; then (problem or note, card to show)."""
        self.answering = True
        session = self._session

        def done(result) -> None:
            self.answering = False
            text, card = result
            if text:
                self.message.emit(text)
            if session == self._session and not (keep_on_none and card is None):
                self.show_card(card)

        def failed(exc: BaseException) -> None:
            self.answering = False
            sys.excepthook(type(exc), exc, exc.__traceback__)

        self.ops.run(work, done, failed)

    # -- sources and sounds -----------------------------------------------------------------------------------
    def _show_source_buttons(self) -> None:
        card = self.card
        source = decks.card_source(self.ctx, card) if card is not None else None
        if source is None:
            return
        self.open_source_button.setVisible(True)
        playable = (card.source_start_s is not None and source.stored_path
                    and Path(source.stored_path).is_file())
        self.play_source_button.setVisible(bool(playable))
        where = (f" at {int(card.source_start_s // 60)}:{int(card.source_start_s % 60):02d}"
                 if card.source_start_s is not None else f", page {card.source_page}" if card.source_page else "")
        self.source_label.setText(f"From {source.title}{where}")

    def play_source(self) -> None:
        """Play the stretch of the recording the card came from."""
        card = self.card
        source = decks.card_source(self.ctx, card) if card is not None else None
        if source is None or not source.stored_path or card.source_start_s is None:
            return
        end = card.source_end_s if card.source_end_s is not None else card.source_start_s + 15
        self.audio.play(Path(source.stored_path), int(card.source_start_s * 1000), int(end * 1000))

    def _open_source(self) -> None:
        card = self.card
        if card is not None and card.source_id is not None:
            self.open_location.emit(card.source_id, card.source_page, card.source_start_s)

    def play_sound(self, name: str) -> None:
        """Play one of the card's [sound:...] files from its deck's media folder."""
        folder = self.faces.media_dir if self.card is not None else None
        path = Path(folder) / Path(name).name if folder else None
        if path and path.is_file():
            self.audio.play(path)

    def _link(self, url: QUrl) -> None:
        if url.scheme() == "sound":
            self.play_sound(url.path() or url.toString().split(":", 1)[1])
