"""Review: decks with due and new counts, FSRS study by keyboard (Space, 1-4, Ctrl+Z), play or open a card's
source, a card browser that pages from storage (fast at 100k cards) with an editor, deck options, Anki import
and export as jobs."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QElapsedTimer, QEvent, QModelIndex, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QKeySequence, QTextDocument
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from lmgpa_desktop.core.study import anki
from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.storage import cards_repo, sources_repo
from lmgpa_desktop.ui.kit.background import Background
from lmgpa_desktop.ui.study.read_aloud import ReadAloudBar

PAGE_SIZE = 200
DECK_COLUMNS = ["Deck", "Learning", "Review", "New", "Cards"]
BROWSER_COLUMNS = [("Front", "front"), ("Back", None), ("Deck", "deck"), ("Tags", None), ("Due", "due"),
                   ("Interval", "interval"), ("Ease", "ease"), ("Created", "created")]
STATE_NAMES = {0: "new", 1: "learning", 2: "review", 3: "relearning"}


def _plain(text: str, limit: int = 120) -> str:
    """Card HTML as one short line for a table cell."""
    flat = html.unescape(re.sub(r"<[^>]+>", " ", text or ""))
    flat = " ".join(flat.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class CardTableModel(QAbstractTableModel):
    """The card browser's rows, fetched a page at a time from storage in the background."""

    count_changed = Signal(int)
    loaded = Signal()

    def __init__(self, ctx, background: Background, parent=None):
        super().__init__(parent)
        self.ctx, self.background = ctx, background
        self.rows: list[cards_repo.BrowserRow] = []
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
        self.background.run(lambda: cards_repo.browse_count(self.ctx.db, search, deck_id),
                            lambda n: self._counted(generation, n))

    def _counted(self, generation: int, n) -> None:
        if generation == self._generation and isinstance(n, int):
            self.total = n
            self.count_changed.emit(n)

    def _fetch(self) -> None:
        self._loading = True
        generation, offset = self._generation, len(self.rows)
        search, deck_id, sort_key, descending = self.search, self.deck_id, self.sort_key, self.descending
        self.background.run(
            lambda: cards_repo.browse(self.ctx.db, search, deck_id, sort_key, descending, PAGE_SIZE, offset),
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


class ReviewScreen(QWidget):
    """The study screen: question, Space to reveal, 1-4 to rate, Ctrl+Z to undo, R to read aloud."""

    def __init__(self, page: ReviewPage):
        super().__init__(page)
        self.page = page
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def keyPressEvent(self, event) -> None:
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Z and mods & Qt.KeyboardModifier.ControlModifier:
            self.page.undo()
        elif key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self.page.revealed:
            self.page.reveal()
        elif Qt.Key.Key_1 <= key <= Qt.Key.Key_4 and not mods & Qt.KeyboardModifier.ControlModifier:
            self.page.rate(key - Qt.Key.Key_0)
        elif key == Qt.Key.Key_Space and self.page.revealed:
            self.page.rate(3)  # Space on the answer means Good, as in Anki
        elif key == Qt.Key.Key_Escape:
            self.page.leave_study()
        elif key == Qt.Key.Key_R and not mods:
            self.page.read_aloud.toggle()
        else:
            super().keyPressEvent(event)


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


class ReviewPage(QWidget):
    """Decks, study, browse and edit cards, Anki import and export."""

    open_location = Signal(int, object, object)  # source id, page number or None, start second or None

    def __init__(self, ctx, runner, parent=None):
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.background = Background(self, "review-page")
        self.card: cards_repo.CardRecord | None = None
        self.deck_id: int | None = None
        self.revealed = False
        self.timer = QElapsedTimer()
        self._stop_ms: int | None = None
        self._seek_ms: int | None = None
        self._deck_rows: list[cards_repo.DeckCounts] = []
        self._editing: cards_repo.CardRecord | None = None
        self._field_boxes: list[tuple[str, QPlainTextEdit]] = []

        title = QLabel("Review")
        title.setObjectName("pageTitle")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.tabs = QTabWidget()
        self.study_stack = QStackedWidget()
        self.study_stack.addWidget(self._build_decks())
        self.study_stack.addWidget(self._build_screen())
        self.tabs.addTab(self.study_stack, "Study")
        self.tabs.addTab(self._build_browser(), "Browse")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        self.player.mediaStatusChanged.connect(self._media_status)
        self.player.positionChanged.connect(self._position)
        runner.finished.connect(self._job_finished)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.refresh_decks()

    # -- building ---------------------------------------------------------------------------------------------
    def _build_decks(self) -> QWidget:
        self.study_all_button = QPushButton("Study all decks")
        self.study_all_button.setObjectName("primary")
        self.study_all_button.clicked.connect(lambda: self.study(None))
        self.study_button = QPushButton("Study deck")
        self.study_button.clicked.connect(lambda: self.study(self.selected_deck_id()))
        buttons = [self.study_all_button, self.study_button]
        for label, slot in [("New deck…", self.new_deck), ("Rename…", self.rename_deck), ("Delete…", self.delete_deck),
                            ("Options…", self.deck_options), ("Import .apkg…", self.choose_import),
                            ("Export .apkg…", self.choose_export)]:
            b = QPushButton(label)
            b.clicked.connect(lambda _=False, s=slot: s())
            buttons.append(b)
        bar = QHBoxLayout()
        for b in buttons:
            bar.addWidget(b)
        bar.addStretch(1)
        self.deck_table = QTableWidget(0, len(DECK_COLUMNS))
        self.deck_table.setHorizontalHeaderLabels(DECK_COLUMNS)
        self.deck_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.deck_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.deck_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.deck_table.verticalHeader().setVisible(False)
        self.deck_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.deck_table.doubleClicked.connect(lambda _i: self.study(self.selected_deck_id()))
        self.deck_table.installEventFilter(self)  # Enter studies the selected deck
        self.total_label = QLabel("")
        self.total_label.setObjectName("muted")
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addLayout(bar)
        layout.addWidget(self.deck_table, 1)
        layout.addWidget(self.total_label)
        return box

    def _build_screen(self) -> QWidget:
        self.screen = ReviewScreen(self)
        self.deck_label = QLabel("")
        self.deck_label.setObjectName("sectionTitle")
        self.left_label = QLabel("")
        self.left_label.setObjectName("muted")
        back = QPushButton("Decks (Esc)")
        back.clicked.connect(self.leave_study)
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
        self.read_aloud = ReadAloudBar(self.ctx, self.card_text, self.screen)
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
        layout = QVBoxLayout(self.screen)
        layout.addLayout(header)
        layout.addWidget(self.card_view, 1)
        layout.addLayout(source_row)
        layout.addLayout(answer_row)
        return self.screen

    def _build_browser(self) -> QWidget:
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
        self.delete_card_button.clicked.connect(self.delete_selected_card)
        bar = QHBoxLayout()
        bar.addWidget(self.search_box, 1)
        bar.addWidget(self.deck_filter)
        bar.addWidget(self.count_label)
        bar.addWidget(new_button)
        bar.addWidget(self.delete_card_button)

        self.model = CardTableModel(self.ctx, self.background, self)
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
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self.edit_card(
            self.model.card_id(cur.row())))
        delete_key = QAction(self.table, shortcut=QKeySequence("Delete"))
        delete_key.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete_key.triggered.connect(self.delete_selected_card)
        self.table.addAction(delete_key)

        editor = QWidget()
        self.editor_form = QFormLayout()
        self.editor_deck = QComboBox()
        self.editor_tags = QLineEdit()
        self.editor_tags.setPlaceholderText("tags separated by spaces")
        self.editor_info = QLabel("Choose a card, or make a new one.")
        self.editor_info.setObjectName("muted")
        self.editor_info.setWordWrap(True)
        self.save_button = QPushButton("Save (Ctrl+S)")
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save_card)
        save_key = QAction(editor, shortcut=QKeySequence("Ctrl+S"))
        save_key.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save_key.triggered.connect(self.save_card)
        editor.addAction(save_key)
        self.fields_box = QWidget()
        self.fields_layout = QFormLayout(self.fields_box)
        self.fields_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout = QVBoxLayout(editor)
        editor_layout.addWidget(self.editor_info)
        editor_layout.addWidget(self.fields_box, 1)
        self.editor_form.addRow("Deck", self.editor_deck)
        self.editor_form.addRow("Tags", self.editor_tags)
        editor_layout.addLayout(self.editor_form)
        editor_layout.addWidget(self.save_button)
        self._set_editor(None)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(editor)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        return box

    def eventFilter(self, watched, event) -> bool:
        if (watched is self.deck_table and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.selected_deck_id() is not None):
            self.study(self.selected_deck_id())
            return True
        return super().eventFilter(watched, event)

    # -- decks ------------------------------------------------------------------------------------------------
    def refresh_decks(self) -> None:
        """Reload deck counts, then deck sizes, in the background; the table and deck menus follow."""
        self.background.run(lambda: review.deck_counts(self.ctx), self._fill_decks)
        self.background.run(lambda: cards_repo.deck_sizes(self.ctx.db), self._sizes)

    def _fill_decks(self, rows) -> None:
        if isinstance(rows, Exception):
            self.message.setText(f"Could not read the decks: {rows}")
            return
        self._deck_rows = rows
        chosen = self.selected_deck_id()
        sizes = {self.deck_table.item(r, 0).data(Qt.ItemDataRole.UserRole): self.deck_table.item(r, 4).text()
                 for r in range(self.deck_table.rowCount()) if self.deck_table.item(r, 4)}
        self.deck_table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate([row.name, row.learning, row.review, row.new, sizes.get(row.deck_id, "…")]):
                cell = QTableWidgetItem(str(value))
                cell.setData(Qt.ItemDataRole.UserRole, row.deck_id)
                if c:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.deck_table.setItem(r, c, cell)
            if row.deck_id == chosen:
                self.deck_table.selectRow(r)
        if rows and not self.deck_table.selectedIndexes():
            self.deck_table.selectRow(0)
        total = review.QueueCounts(sum(r.learning for r in rows), sum(r.review for r in rows),
                                   sum(r.new for r in rows))
        self.total_label.setText(f"Today: {total.learning} learning · {total.review} review · {total.new} new"
                                 if rows else "No decks yet. Import an Anki deck (.apkg) or make a new deck.")
        self.study_all_button.setEnabled(total.total > 0)
        for combo, everything in ((self.deck_filter, "All decks"), (self.editor_deck, None)):
            keep = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            if everything:
                combo.addItem(everything, None)
            for row in rows:
                combo.addItem(row.name, row.deck_id)
            combo.setCurrentIndex(max(0, combo.findData(keep)))
            combo.blockSignals(False)
        if self._editing is None:
            self.save_button.setEnabled(True)

    def _sizes(self, sizes) -> None:
        if isinstance(sizes, Exception):
            return
        for r in range(self.deck_table.rowCount()):
            item = self.deck_table.item(r, 4)
            if item is not None:
                item.setText(str(sizes.get(item.data(Qt.ItemDataRole.UserRole), 0)))

    def selected_deck_id(self) -> int | None:
        """The deck chosen in the deck list."""
        rows = {i.row() for i in self.deck_table.selectedIndexes()}
        if not rows:
            return None
        item = self.deck_table.item(min(rows), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _deck_name(self, deck_id: int | None) -> str:
        deck = cards_repo.get_deck(self.ctx.db, deck_id) if deck_id is not None else None
        return deck.name if deck else "All decks"

    def new_deck(self, name: str | None = None) -> int | None:
        """Make a deck (asks for its name)."""
        if name is None:
            name, ok = QInputDialog.getText(self, "New deck", "Name:")
            if not ok:
                return None
        try:
            deck = cards_repo.create_deck(self.ctx.db, name)
        except ValueError as exc:
            self.message.setText(str(exc))
            return None
        self.refresh_decks()
        return deck.id

    def rename_deck(self) -> None:
        """Rename the selected deck."""
        deck_id = self.selected_deck_id()
        if deck_id is None:
            return
        name, ok = QInputDialog.getText(self, "Rename deck", "Name:", text=self._deck_name(deck_id))
        if ok:
            try:
                cards_repo.update_deck(self.ctx.db, deck_id, name=name)
            except ValueError as exc:
                self.message.setText(str(exc))
            self.refresh_decks()

    def delete_deck(self, confirm: bool = True) -> None:
        """Delete the selected deck and its cards (reviewed ones stay as tombstones for the history)."""
        deck_id = self.selected_deck_id()
        if deck_id is None:
            return
        name = self._deck_name(deck_id)
        if confirm and QMessageBox.question(self, "Delete deck", f"Delete “{name}” and all its cards?") \
                != QMessageBox.StandardButton.Yes:
            return
        cards_repo.delete_deck(self.ctx.db, deck_id)
        self.message.setText(f"Deleted the deck “{name}”.")
        self.refresh_decks()
        self.model.reload()

    def deck_options(self) -> None:
        """New cards per day for the selected deck; desired retention for all."""
        deck_id = self.selected_deck_id()
        deck = cards_repo.get_deck(self.ctx.db, deck_id) if deck_id is not None else None
        if deck is None:
            return
        dialog = OptionsDialog(deck.name, deck.new_per_day, review.retention(self.ctx), self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.apply_options(deck.id, dialog.new_per_day.value(), dialog.retention.value())

    def apply_options(self, deck_id: int, new_per_day: int, retention: float) -> None:
        """Store deck options."""
        cards_repo.update_deck(self.ctx.db, deck_id, new_per_day=int(new_per_day))
        review.set_retention(self.ctx, retention)
        self.refresh_decks()

    # -- import and export ------------------------------------------------------------------------------------
    def choose_import(self) -> None:
        """Pick an Anki file to import."""
        name, _ = QFileDialog.getOpenFileName(self, "Import Anki deck", str(Path.home()),
                                              "Anki decks (*.apkg *.colpkg *.anki2);;All files (*)")
        if name:
            self.import_files([Path(name)])

    def import_files(self, files: list[Path]) -> list[int]:
        """Queue an import job per file."""
        jobs, refused = [], []
        for f in files:
            try:
                anki.check_importable(f)
            except ValueError as exc:
                refused.append(str(exc))
                continue
            jobs.append(self.runner.submit("deck.import", {"path": str(Path(f).resolve())}, f"Import {f.name}"))
        self.message.setText("; ".join(refused) if refused else f"Importing {len(jobs)} file(s)…")
        return jobs

    def choose_export(self) -> None:
        """Pick where to write the selected deck."""
        deck_id = self.selected_deck_id()
        if deck_id is None:
            return
        name = self._deck_name(deck_id)
        safe = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in name).strip() or "deck"
        path, _ = QFileDialog.getSaveFileName(self, "Export deck", str(Path.home() / f"{safe}.apkg"),
                                              "Anki package (*.apkg)")
        if path:
            self.export_deck(deck_id, Path(path))

    def export_deck(self, deck_id: int, path: Path) -> int:
        """Queue an export job."""
        job = self.runner.submit("deck.export", {"deck_id": deck_id, "path": str(path)},
                                 f"Export {self._deck_name(deck_id)}")
        self.message.setText(f"Exporting to {path}…")
        return job

    def _job_finished(self, job) -> None:
        if job.kind not in ("deck.import", "deck.export"):
            return
        if job.state != "done":
            self.message.setText(f"{job.title} failed: {job.error or job.state}")
        elif job.kind == "deck.import":
            r = job.result
            self.message.setText(f"Imported {r['notes']} notes ({r['cards_added']} new cards, "
                                 f"{r['cards_updated']} updated, {r['media']} media files) into "
                                 f"{', '.join(r['decks'])}.")
            self.refresh_decks()
            self.model.reload()
        else:
            self.message.setText(f"Exported {job.result['notes']} notes to {job.result['path']}.")

    # -- studying ---------------------------------------------------------------------------------------------
    def study(self, deck_id: int | None) -> None:
        """Open the review screen on a deck (None: every deck)."""
        self.deck_id = deck_id
        self.deck_label.setText(self._deck_name(deck_id))
        self.study_stack.setCurrentIndex(1)
        self.tabs.setCurrentIndex(0)
        self.show_next()
        self.screen.setFocus()

    def leave_study(self) -> None:
        """Back to the deck list."""
        self.player.stop()
        self.card = None
        self.study_stack.setCurrentIndex(0)
        self.refresh_decks()
        self.deck_table.setFocus()

    def show_next(self) -> None:
        """Show the next card's question, or say the deck is done for today."""
        self.show_card(review.next_card(self.ctx, self.deck_id))

    def show_card(self, card: cards_repo.CardRecord | None) -> None:
        """Show a card's question side."""
        self.player.stop()
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
                                   f"{html.escape(self._deck_name(self.deck_id))} today.</p>{later}</div>")
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
        return f"<div align=center style='font-size:17pt'>{body}</div>"

    def _update_left(self) -> None:
        deck_id = self.deck_id
        self.background.run(lambda: review.counts(self.ctx, deck_id), lambda left: self._show_left(deck_id, left))

    def _show_left(self, deck_id: int | None, left) -> None:
        if deck_id == self.deck_id and not isinstance(left, Exception):
            self.left_label.setText(f"Left today: {left.learning} learning · {left.review} review · {left.new} new")

    def reveal(self) -> None:
        """Show the answer, the rating buttons with their next intervals, and the source buttons."""
        if self.card is None or self.revealed:
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

    def rate(self, rating: int) -> None:
        """Answer the shown card 1-4 and move on."""
        if self.card is None or not self.revealed or rating not in review.RATINGS:
            return
        elapsed = int(self.timer.elapsed()) if self.timer.isValid() else None
        try:
            review.answer(self.ctx, self.card.id, rating, duration_ms=elapsed)
        except UserError as exc:
            self.message.setText(str(exc))
        self.show_next()

    def undo(self) -> None:
        """Undo the last answer and show that card again."""
        try:
            card = review.undo_last(self.ctx)
        except UserError as exc:
            self.message.setText(str(exc))
            return
        if card is not None:
            self.message.setText("Undid the last answer.")
            self.show_card(card)

    # -- sources and sounds -----------------------------------------------------------------------------------
    def _show_source_buttons(self) -> None:
        card = self.card
        if card is None or card.source_id is None:
            return
        source = sources_repo.get(self.ctx.db, card.source_id)
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
        source = sources_repo.get(self.ctx.db, card.source_id) if card and card.source_id else None
        if source is None or not source.stored_path or card.source_start_s is None:
            return
        end = card.source_end_s if card.source_end_s is not None else card.source_start_s + 15
        self._play(Path(source.stored_path), int(card.source_start_s * 1000), int(end * 1000))

    def _open_source(self) -> None:
        card = self.card
        if card is not None and card.source_id is not None:
            self.open_location.emit(card.source_id, card.source_page, card.source_start_s)

    def play_sound(self, name: str) -> None:
        """Play one of the card's [sound:...] files from its deck's media folder."""
        folder = self.faces.media_dir if self.card is not None else None
        path = Path(folder) / Path(name).name if folder else None
        if path and path.is_file():
            self._play(path, 0, None)

    def _play(self, path: Path, start_ms: int, stop_ms: int | None) -> None:
        self.player.stop()
        self._seek_ms, self._stop_ms = start_ms, stop_ms
        self.player.setSource(QUrl.fromLocalFile(str(path)))
        self.player.play()

    def _media_status(self, status) -> None:
        loaded = (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia)
        if status in loaded and self._seek_ms:
            self.player.setPosition(self._seek_ms)  # seeking before the file is loaded is ignored
            self._seek_ms = None

    def _position(self, ms: int) -> None:
        if self._stop_ms is not None and ms >= self._stop_ms:
            self.player.pause()
            self._stop_ms = None

    def _link(self, url: QUrl) -> None:
        if url.scheme() == "sound":
            self.play_sound(url.path() or url.toString().split(":", 1)[1])

    # -- browser and editor -----------------------------------------------------------------------------------
    def _tab_changed(self, index: int) -> None:
        if index == 1:
            self.model.reload()  # cards may have changed while studying or from another page

    def _set_editor(self, card: cards_repo.CardRecord | None) -> None:
        """Fill the editor: a note's own fields for Anki cards, Front and Back for ours."""
        self._editing = card
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
            self.editor_tags.setText(card.tags)
            self.editor_deck.setCurrentIndex(max(0, self.editor_deck.findData(card.deck_id)))
            state = STATE_NAMES.get(card.state, "?")
            due = "" if card.state == 0 else f", due {card.due.astimezone():%Y-%m-%d %H:%M}"
            kind = f"Anki note “{card.anki_model}”, card {card.anki_ord + 1}" if card.anki_fields is not None \
                else f"{card.kind} card"
            self.editor_info.setText(f"{kind} · {state}{due}")
        else:
            self.editor_tags.clear()
            self.editor_info.setText("New card: write the front and back, then Save.")
        self.save_button.setEnabled(True)

    def edit_card(self, card_id: int | None) -> None:
        """Load a card into the editor."""
        card = cards_repo.get_card(self.ctx.db, card_id) if card_id is not None else None
        self._set_editor(card)

    def new_card(self) -> None:
        """Clear the editor for a new card in the filtered (or first) deck."""
        self.table.clearSelection()
        self._set_editor(None)
        deck = self.deck_filter.currentData()
        if deck is not None:
            self.editor_deck.setCurrentIndex(max(0, self.editor_deck.findData(deck)))
        if self._field_boxes:
            self._field_boxes[0][1].setFocus()

    def field_values(self) -> list[str]:
        """What the editor's field boxes hold."""
        return [box.toPlainText() for _, box in self._field_boxes]

    def set_field_values(self, values: list[str]) -> None:
        """Fill the editor's field boxes."""
        for (_, box), value in zip(self._field_boxes, values, strict=False):
            box.setPlainText(value)

    def save_card(self) -> int | None:
        """Save the editor: a new card, an edited card, or an edited Anki note (all its cards re-rendered)."""
        values = self.field_values()
        deck_id = self.editor_deck.currentData()
        tags = self.editor_tags.text()
        card = self._editing
        try:
            if card is None:
                if deck_id is None:
                    deck_id = self.new_deck("Default")
                if not values or not values[0].strip():
                    self.message.setText("A card needs a front.")
                    return None
                card = cards_repo.create_card(self.ctx.db, deck_id, values[0], values[1], tags=tags)
                self.message.setText("Card added.")
            elif card.anki_fields is not None:
                anki.update_note(self.ctx, card.id, values, tags)
                card = cards_repo.update_card(self.ctx.db, card.id, deck_id=deck_id)
                self.message.setText("Note saved.")
            else:
                card = cards_repo.update_card(self.ctx.db, card.id, front=values[0], back=values[1], tags=tags,
                                              deck_id=deck_id)
                self.message.setText("Card saved.")
        except (ValueError, UserError) as exc:
            self.message.setText(str(exc))
            return None
        self.model.reload()
        self.refresh_decks()
        self._set_editor(cards_repo.get_card(self.ctx.db, card.id))
        return card.id

    def delete_selected_card(self, confirm: bool = True) -> None:
        """Delete the card in the editor."""
        card = self._editing
        if card is None:
            return
        if confirm and QMessageBox.question(self, "Delete card", "Delete this card?") \
                != QMessageBox.StandardButton.Yes:
            return
        cards_repo.delete_card(self.ctx.db, card.id)
        self.message.setText("Card deleted.")
        self._set_editor(None)
        self.model.reload()
        self.refresh_decks()

    def closeEvent(self, event) -> None:
        self.background.close()
        self.read_aloud.shutdown()
        super().closeEvent(event)
