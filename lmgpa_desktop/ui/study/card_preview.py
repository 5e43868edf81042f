"""The browser's preview of the selected card: front and back as the student studies them, and its source link."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from lmgpa_desktop.core.study import card_view
from lmgpa_desktop.core.study.card_view import CardView
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.study.card_audio import CardAudio
from lmgpa_desktop.ui.study.reviewer import CARD_SIZE

PREVIEW_CSS = ".cloze { font-weight: bold; }"


class CardPreview(QWidget):
    """Question over answer (read off the UI thread); "From <source> at 0:36" opens the source there."""

    open_location = Signal(int, object, object)  # source id, page number or None, start second or None

    def __init__(self, ctx, ops: Operations, parent=None):
        super().__init__(parent)
        self.ctx, self.ops = ctx, ops
        self.view: CardView | None = None
        self._wanted: int | None = None
        self.audio: CardAudio | None = None  # made on the first sound played
        self.page = QTextBrowser()
        self.page.setOpenLinks(False)
        self.page.setAccessibleName("Card preview")
        self.page.document().setDefaultStyleSheet(PREVIEW_CSS)
        self.page.anchorClicked.connect(self._link)
        self.source_link = QLabel("")
        self.source_link.setTextFormat(Qt.TextFormat.RichText)
        self.source_link.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                                 | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.source_link.setWordWrap(True)
        self.source_link.linkActivated.connect(lambda _href: self.open_source())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.page, 1)
        layout.addWidget(self.source_link)
        self.show_card(None)

    def show_card(self, card_id: int | None) -> None:
        """Preview a card (None: the empty state)."""
        self._wanted = card_id
        if card_id is None:
            self._show(None)
            return
        ctx = self.ctx
        self.ops.run(lambda: card_view.card_view(ctx, card_id), lambda view: self._loaded(card_id, view))

    def _loaded(self, card_id: int, view: CardView | None) -> None:
        if card_id == self._wanted:  # a slower, older read is not shown over the card now selected
            self._show(view)

    def _show(self, view: CardView | None) -> None:
        self.view = view
        if view is None:
            self.page.setSearchPaths([])
            self.page.setHtml("<p style='color:gray'>Select a card to see it as you will study it. "
                              "Select several (Shift or Ctrl + click, Ctrl+A) to move, tag, suspend or delete "
                              "them together; right-click for the actions.</p>")
            self.source_link.setText("")
            return
        self.page.setSearchPaths([view.media_dir] if view.media_dir else [])
        self.page.setHtml(f"<div align=center style='font-size:{CARD_SIZE}'>{view.question}</div><hr>"  # as studied
                          f"<div align=center style='font-size:{CARD_SIZE}'>{view.answer}</div>")
        if view.source:
            self.source_link.setText(f'<a href="source">{html.escape(view.source)}</a>')
            self.source_link.setToolTip("Open the source at this place")
        else:
            self.source_link.setText("")

    def open_source(self) -> None:
        """Open the card's source at its page or second."""
        card = self.view.card if self.view is not None else None
        if card is not None and card.source_id is not None:
            self.open_location.emit(card.source_id, card.source_page, card.source_start_s)

    def _link(self, url: QUrl) -> None:
        if url.scheme() != "sound" or self.view is None or not self.view.media_dir:
            return
        path = Path(self.view.media_dir) / Path(url.path() or url.toString().split(":", 1)[1]).name
        if path.is_file():
            self.audio = self.audio or CardAudio(self)
            self.audio.play(path)

    def stop(self) -> None:
        """Stop a sound playing."""
        if self.audio is not None:
            self.audio.stop()
