"""The Review page: the deck list and the study screen (Study tab), the card browser (Browse tab), Anki files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from lmgpa_desktop.core.study.decks import CardRecord
from lmgpa_desktop.ui.kit import page_focus
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.status_line import StatusLine
from lmgpa_desktop.ui.study.anki_transfer import AnkiTransfer
from lmgpa_desktop.ui.study.card_browser import CardBrowser
from lmgpa_desktop.ui.study.deck_list import DeckList
from lmgpa_desktop.ui.study.reviewer import Reviewer


class ReviewPage(QWidget):
    """Decks, study, browse and edit cards, Anki import and export; one message line for all of them."""

    open_location = Signal(int, object, object)  # source id, page number or None, start second or None
    next_step = Signal(str)  # an empty state's offer on another page ("generate")

    def __init__(self, ctx, runner, parent=None):
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.ops = Operations(self, "review-page")
        title = QLabel("Review")
        title.setObjectName("pageTitle")
        self.message = StatusLine(name="reviewMessage")  # "Undid …", "Imported …" clear; "Importing…" stays
        self.transfer = AnkiTransfer(runner, self)
        self.decks = DeckList(ctx, self.ops)
        self.reviewer = Reviewer(ctx, self.ops)
        self.browser = CardBrowser(ctx, self.ops)
        self.study_stack = QStackedWidget()
        self.study_stack.addWidget(self.decks)
        self.study_stack.addWidget(self.reviewer)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.study_stack, "Study")
        self.tabs.addTab(self.browser, "Browse")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

        for part in (self.transfer, self.decks, self.reviewer, self.browser):
            part.message.connect(self.message.setText)
        self.decks.study_requested.connect(self.study)
        self.decks.next_step.connect(self.next_step)
        self.decks.browse_requested.connect(lambda: self.tabs.setCurrentIndex(1))
        self.decks.loaded.connect(self.browser.set_decks)
        self.decks.deleted.connect(lambda _deck_id: self.browser.reload())
        self.decks.import_requested.connect(self.transfer.choose_import)
        self.decks.export_requested.connect(
            lambda deck_id: self.transfer.choose_export(deck_id, self.decks.deck_name(deck_id)))
        self.reviewer.left.connect(self.leave_study)
        self.reviewer.open_location.connect(self.open_location)
        self.browser.open_location.connect(self.open_location)
        self.browser.changed.connect(self.refresh_decks)
        self.transfer.imported.connect(self._imported)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.refresh_decks()

    @property
    def deck_id(self) -> int | None:
        """The deck being studied (None: every deck)."""
        return self.reviewer.deck_id

    @property
    def card(self) -> CardRecord | None:
        """The card on the study screen."""
        return self.reviewer.card

    def first_focus(self):
        """Where the keyboard goes when the page is opened by keyboard: the deck list, the card or the browser."""
        shown = self.tabs.currentWidget()
        if shown is self.study_stack and self.study_stack.currentWidget() is self.decks \
                and self.decks.table.isVisibleTo(self):
            return self.decks.table
        return page_focus.first_control(self.study_stack.currentWidget() if shown is self.study_stack else shown)

    def refresh_decks(self) -> None:
        """Read the deck counts again (off the UI thread); the deck list and the browser's menus follow."""
        self.decks.refresh()

    def study(self, deck_id: int | None) -> None:
        """Open the study screen on a deck (None: every deck)."""
        self.study_stack.setCurrentIndex(1)
        self.tabs.setCurrentIndex(0)
        self.reviewer.start(deck_id, self.decks.deck_name(deck_id))

    def leave_study(self) -> None:
        """Back to the deck list."""
        self.reviewer.stop()
        self.study_stack.setCurrentIndex(0)
        self.refresh_decks()
        self.decks.table.setFocus()

    def import_files(self, files: list[Path]) -> list[int]:
        """Queue an Anki import job per file."""
        return self.transfer.import_files(files)

    def export_deck(self, deck_id: int, path: Path) -> int:
        """Queue an Anki export job for a deck."""
        return self.transfer.export_deck(deck_id, path, self.decks.deck_name(deck_id))

    def _imported(self) -> None:
        self.refresh_decks()
        self.browser.reload()

    def _tab_changed(self, index: int) -> None:
        if index == 1:
            self.browser.reload()  # cards may have changed while studying or from another page

    def closeEvent(self, event) -> None:
        self.ops.close()
        self.reviewer.read_aloud.shutdown()
        super().closeEvent(event)
