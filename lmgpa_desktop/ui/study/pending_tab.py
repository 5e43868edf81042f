"""Study → To review: accept, edit or reject generated cards, questions and notes by keyboard, with undo."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QItemSelectionModel, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QHBoxLayout, QHeaderView, QLabel, QMessageBox, QPushButton, QSplitter,
    QTextBrowser, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.study import notes
from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.study.items import decisions
from lmgpa_desktop.core.study.items import drafts
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.study import pending_render as render
from lmgpa_desktop.ui.study.pending_edit import EditDialog, edit_fields
from lmgpa_desktop.ui.study.common import empty_text, location, message_label, parse_link, source_link

KEEP_DECK = "The deck named after the sources"
EMPTY = ("Nothing is waiting for review. Generate flashcards, a practice test or notes from your sources in the "
         "Generate tab; they appear here for you to accept, edit or reject.")
ROLE = Qt.ItemDataRole.UserRole
UNDO_DEPTH = 50
Key = tuple[str, int | None]


@dataclass
class Listing:
    """What the tab shows, read off the UI thread: the items, the decks, each source place's name."""

    pending: drafts.Pending
    deck_names: list[str] = field(default_factory=list)
    places: dict[tuple, str] = field(default_factory=dict)  # (source id, page, start, end) -> "“Title”, page 3"
    empty_text: str = EMPTY


def read_listing(ctx) -> Listing:
    """Everything the tab shows (the generated items took 738 ms to list on a large profile: off the UI thread)."""
    p = drafts.pending(ctx)
    rows = list(p.cards) + [q for _, qs in p.tests for q in qs]
    places = {}
    for r in rows:
        key = (r.source_id, r.source_page, r.source_start_s, r.source_end_s)
        if key not in places:
            places[key] = location(ctx, *key)
    return Listing(p, [d.name for d in review.deck_counts(ctx)], places, empty_text(ctx, EMPTY) if p.empty else EMPTY)


class PendingPanel(QWidget):
    """What generation made, before it joins a deck, a test or the notes."""

    changed = Signal()  # something was accepted, rejected or taken back
    loaded = Signal()  # the list on screen was (re)read
    open_location = Signal(int, object, object)  # source id, page or None, second or None

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.ops = Operations(self, "study-pending")
        self.pending = drafts.Pending([], [], [])
        self.places: dict[tuple, str] = {}
        self.history: list[decisions.Decision] = []  # decisions that Undo takes back, newest last
        self.deciding: set[Key] = set()  # items whose decision is being written: kept off the list meanwhile
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Item", "Answer", "Source"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setAlternatingRowColors(True)
        # The item takes the room left, so the list fits a small window without scrolling sideways (a cut text
        # shows whole in its tooltip and in the preview).
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 150), (2, 170)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.tree.setColumnWidth(column, width)
        self.tree.setAccessibleName("Generated items waiting for review")
        self.tree.itemSelectionChanged.connect(self._show_detail)
        self.tree.itemDoubleClicked.connect(lambda _i, _c: self.edit_selected())
        self.detail = QTextBrowser()
        self.detail.setOpenLinks(False)
        self.detail.setAccessibleName("The selected item as you will study it")
        self.detail.document().setDefaultStyleSheet(render.style_sheet(self.palette()))
        self.detail.anchorClicked.connect(self._link)
        self.empty = message_label(EMPTY)
        self.empty.setObjectName("muted")
        self.deck = QComboBox()
        self.deck.setEditable(True)
        self.deck.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.deck.setMinimumContentsLength(len(KEEP_DECK))  # the default choice reads whole
        self.deck.setToolTip("Deck for accepted flashcards: pick one or type a new name")
        self.deck.setAccessibleName("Deck for accepted flashcards")
        self.accept_button = QPushButton("Accept")
        self.accept_button.setToolTip("Accept the selected items (A)")
        self.accept_button.clicked.connect(self.accept_selected)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip("Edit the selected item (E, Enter, F2 or double-click)")
        self.edit_button.clicked.connect(self.edit_selected)
        self.reject_button = QPushButton("Reject")
        self.reject_button.setToolTip("Reject (delete) the selected items (Delete or R); Ctrl+Z brings them back")
        self.reject_button.clicked.connect(self.reject_selected)
        self.accept_all_button = QPushButton("Accept all…")
        self.accept_all_button.setObjectName("primary")
        self.accept_all_button.setToolTip("Accept everything listed (asks first; Ctrl+Z takes it back)")
        self.accept_all_button.clicked.connect(self.accept_all)
        self.message = message_label()
        self.undo_button = QPushButton("Undo (Ctrl+Z)")
        self.undo_button.setToolTip("Take back the last accept or reject (Ctrl+Z)")
        self.undo_button.clicked.connect(self.undo)
        self.undo_button.setVisible(False)
        # Keys act on the list only, so typing a deck name never accepts anything.
        for keys, slot, does in ((["A"], self.accept_selected, "Accept the selected items"),
                                 (["R", "Delete"], self.reject_selected, "Reject the selected items"),
                                 (["E", "F2", "Return", "Enter"], self.edit_selected, "Edit the selected item")):
            action = QAction(does, self.tree)  # the text is what the shortcuts overlay (`?`) lists
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(slot)
            self.tree.addAction(action)
        # Undo from anywhere in the tab (a deck name being typed keeps its own Ctrl+Z: the line edit claims it).
        undo_key = QShortcut(QKeySequence.StandardKey.Undo, self, whatsThis="Undo the last accept or reject")
        undo_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        undo_key.activated.connect(self.undo)

        self.controls = QWidget()
        bar = QHBoxLayout(self.controls)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Accepted cards go to"))
        bar.addWidget(self.deck)
        bar.addStretch(1)
        for b in (self.accept_button, self.edit_button, self.reject_button, self.accept_all_button):
            bar.addWidget(b)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tree)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        said = QHBoxLayout()
        said.addWidget(self.message, 1)
        said.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(split, 1)
        layout.addWidget(self.controls)
        layout.addLayout(said)
        self.refresh()

    # -- listing -----------------------------------------------------------------------------------------------
    def refresh(self, select: list[Key] | None = None) -> None:
        """Reload everything waiting for review (off the UI thread), then select these items if given (else keep
        the selection the student has then)."""
        ctx = self.ctx
        self.ops.run(lambda: read_listing(ctx), lambda listing: self._fill(listing, select))

    def _where(self, source_id, page_no, start_s, end_s) -> str:
        return self.places.get((source_id, page_no, start_s, end_s), "")

    def _fill(self, listing: Listing, select: list[Key] | None = None) -> None:
        keep = select if select is not None else self.selected_items()
        had_focus = self.tree.hasFocus()
        self.pending, self.places = listing.pending, listing.places
        self._fill_decks(listing.deck_names)
        self.tree.blockSignals(True)  # one detail update at the end, not one per cleared row
        self.tree.clear()
        p, hide = self.pending, self.deciding
        cards = [c for c in p.cards if ("card", c.id) not in hide]
        if cards:
            group = self._group(f"Flashcards ({len(cards)})", ("cards", None))
            for c in cards:
                self._child(group, ("card", c.id), *render.card_line(c),
                            self._where(c.source_id, c.source_page, c.source_start_s, c.source_end_s))
        for test, questions in p.tests:
            questions = [q for q in questions if ("question", q.id) not in hide]
            if not questions:
                continue
            group = self._group(f"Practice test: {test.title} ({len(questions)} to review)", ("test", test.id))
            for q in questions:
                self._child(group, ("question", q.id), *render.question_line(q),
                            self._where(q.source_id, q.source_page, q.source_start_s, q.source_end_s))
        waiting_notes = [n for n in p.notes if ("note", n.id) not in hide]
        if waiting_notes:
            group = self._group(f"Notes ({len(waiting_notes)})", ("notes", None))
            for n in waiting_notes:
                refs = len(n.source_refs)
                self._child(group, ("note", n.id), n.title, f"{len(n.body_md.split())} words",
                            f"{refs} source location{'s' if refs != 1 else ''}")
        self.tree.expandAll()
        self.tree.blockSignals(False)
        self._show_empty(self.tree.topLevelItemCount() == 0, listing.empty_text)
        if keep:
            self.select(keep)
        if had_focus:
            self.tree.setFocus()
        self._show_detail()
        self.loaded.emit()

    def _show_empty(self, empty: bool, text: str = EMPTY) -> None:
        self.empty.setVisible(empty)
        if empty:
            self.empty.setText(text)
        self.controls.setVisible(not empty)
        for b in (self.accept_button, self.edit_button, self.reject_button, self.accept_all_button):
            b.setEnabled(not empty)

    def _group(self, title: str, key: tuple) -> QTreeWidgetItem:
        item = QTreeWidgetItem([title])
        item.setData(0, ROLE, key)
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        self.tree.addTopLevelItem(item)
        return item

    @staticmethod
    def _child(group: QTreeWidgetItem, key: tuple, text: str, answer: str, where: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([text, answer, where])
        item.setData(0, ROLE, key)
        item.setToolTip(0, text)
        item.setToolTip(1, answer)
        group.addChild(item)
        return item

    def _fill_decks(self, names: list[str]) -> None:
        typed = self.deck.currentText()
        self.deck.blockSignals(True)
        self.deck.clear()
        self.deck.addItem(KEEP_DECK)
        for name in names:
            self.deck.addItem(name)
        self.deck.setCurrentText(typed or KEEP_DECK)
        self.deck.blockSignals(False)

    def _rows(self) -> list[QTreeWidgetItem]:
        """The item rows (not the group headings), top to bottom."""
        out = []
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            out += [group.child(i) for i in range(group.childCount())]
        return out

    def items(self) -> list[Key]:
        """Every (kind, id) listed: kind card, question or note."""
        return [tuple(row.data(0, ROLE)) for row in self._rows()]

    def select(self, keys: list[Key]) -> None:
        """Select these items or groups (and nothing else); the first becomes current, so the keys go on from it."""
        wanted = {tuple(k) for k in keys}
        self.tree.clearSelection()
        first = None
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            rows = [group] + [group.child(i) for i in range(group.childCount())]
            for row in rows:
                if tuple(row.data(0, ROLE)) in wanted:
                    first = first or row
                    row.setSelected(True)
        if first is not None:
            self.tree.setCurrentItem(first, 0, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.tree.scrollToItem(first)

    def selected_items(self) -> list[Key]:
        """The selected rows' keys as they are (a group by its own key)."""
        return [tuple(item.data(0, ROLE)) for item in self.tree.selectedItems()]

    def selected(self) -> list[Key]:
        """The selected items; a selected group stands for all its items listed (a test by its id)."""
        out: list[Key] = []
        for item in self.tree.selectedItems():
            kind, ident = item.data(0, ROLE)
            if kind in ("cards", "notes"):
                out += [tuple(item.child(i).data(0, ROLE)) for i in range(item.childCount())]
            else:
                out.append((kind, ident))
        return list(dict.fromkeys(out))

    def deck_choice(self) -> str | None:
        """The deck name chosen for accepted cards (None: where generation put them)."""
        text = self.deck.currentText().strip()
        return None if not text or text == KEEP_DECK else text

    # -- detail ------------------------------------------------------------------------------------------------
    def _show_detail(self) -> None:
        chosen = self.tree.selectedItems()
        if not chosen:
            self.detail.setHtml("<p>Select an item to see it as you will study it, with the passage it came from."
                                "</p>" if self.tree.topLevelItemCount() else "")
            return
        kind, ident = chosen[0].data(0, ROLE)
        self.detail.setHtml(self._detail_html(kind, ident))

    def _detail_html(self, kind: str, ident: int | None) -> str:
        if kind == "card":
            c = next((c for c in self.pending.cards if c.id == ident), None)
            if c is None:
                return ""
            return render.card_html(c, self.deck_choice()) + self._source_html(c)
        if kind == "question":
            q = next((q for _, qs in self.pending.tests for q in qs if q.id == ident), None)
            return render.question_html(q) + self._source_html(q) if q is not None else ""
        if kind == "test":
            t = next((t for t, _ in self.pending.tests if t.id == ident), None)
            return render.test_html(t) if t else ""
        if kind == "note":
            n = next((n for n in self.pending.notes if n.id == ident), None)
            if n is None:
                return ""
            document = QTextDocument()
            document.setMarkdown(n.body_md)
            return document.toHtml()
        return ""

    def _source_html(self, row) -> str:
        if row.source_id is None:
            return ""
        where = self._where(row.source_id, row.source_page, row.source_start_s, row.source_end_s)
        return render.source_html(source_link(row.source_id, row.source_page, row.source_start_s), where,
                                  row.source_quote)

    def changeEvent(self, event) -> None:
        """A theme switch recolours the preview's marks (a cloze's answer, the right choice)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "detail"):
            self.detail.document().setDefaultStyleSheet(render.style_sheet(self.palette()))
            self._show_detail()

    def _link(self, url: QUrl) -> None:
        parsed = parse_link(url.toString())
        if parsed:
            self.open_location.emit(*parsed)

    # -- deciding: the items leave the list at once and the next one is selected; the database follows -------
    def _expand(self, keys: list[Key]) -> set[Key]:
        """The listed items the keys stand for (a test: its questions listed)."""
        out = set()
        for kind, ident in keys:
            if kind == "test":
                out |= {("question", q.id) for t, qs in self.pending.tests if t.id == ident for q in qs}
            else:
                out.add((kind, ident))
        return out

    def _take_off(self, keys: list[Key]) -> None:
        """Take decided items off the list now and select the one that took their place (or the one above)."""
        gone = self._expand(keys)
        order = self.items()
        positions = [i for i, k in enumerate(order) if k in gone]
        after = [k for k in order[positions[-1] + 1:] if k not in gone] if positions else []
        before = [k for k in order[:positions[0]] if k not in gone] if positions else []
        following = after[:1] or before[-1:]
        self.deciding |= gone
        self.tree.blockSignals(True)
        for row in self._rows():
            if tuple(row.data(0, ROLE)) in gone:
                row.parent().removeChild(row)
        for g in reversed(range(self.tree.topLevelItemCount())):
            if self.tree.topLevelItem(g).childCount() == 0:
                self.tree.takeTopLevelItem(g)
        self.tree.blockSignals(False)
        self.select(following)
        self.tree.setFocus()
        self._show_detail()

    def accept(self, keys: list[Key]) -> None:
        """Accept items: cards join the chosen deck, questions their test, notes the notes; then say what."""
        ctx, deck = self.ctx, self.deck_choice()
        self._decide(keys, lambda: decisions.accept(ctx, keys, deck))

    def reject(self, keys: list[Key]) -> None:
        """Reject (delete) items, a test's key standing for its questions; Undo brings them back."""
        ctx = self.ctx
        self._decide(keys, lambda: decisions.reject(ctx, keys))

    def _decide(self, keys: list[Key], work) -> None:
        gone = self._expand(keys)
        self._take_off(keys)
        self.ops.run(work, lambda d: self._decided(gone, d), lambda exc: self._refused(gone, exc))

    def _decided(self, gone: set[Key], decision: decisions.Decision) -> None:
        self.deciding -= gone
        if decision.count:
            self.history = (self.history + [decision])[-UNDO_DEPTH:]
            self._say(decision.summary)
            self.changed.emit()
        self.refresh()

    def _say(self, text: str) -> None:
        """Say what was done on the message line, with Undo beside it while there is something to take back."""
        self.message.setText(text)
        self.undo_button.setVisible(bool(self.history))
        if self.history:
            self.undo_button.setToolTip(f"Take back: {self.history[-1].summary} (Ctrl+Z)")

    def accept_selected(self) -> None:
        """Accept what is selected."""
        keys = self.selected()
        if not keys:
            self.message.setText("Select items to accept first (or press “Accept all”).")
            return
        self.accept(keys)

    def reject_selected(self) -> None:
        """Reject what is selected."""
        keys = self.selected()
        if not keys:
            self.message.setText("Select items to reject first.")
            return
        self.reject(keys)

    def accept_all(self) -> None:
        """Accept every card, question and note listed, once the student said yes to how many and where."""
        keys = self.items()
        if not keys:
            return
        if QMessageBox.question(self, "Accept all", render.accept_all_question(self.pending, keys, self.deck_choice()),
                                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                QMessageBox.StandardButton.Yes) != QMessageBox.StandardButton.Yes:
            self.message.setText("Nothing was accepted.")
            return
        self.accept(keys)

    def _refused(self, gone: set[Key], exc: BaseException) -> None:
        """A refusal (UserError) is said on the message line; anything else is a bug for the error dialog."""
        self.deciding -= gone
        self.refresh()
        if not isinstance(exc, UserError):
            sys.excepthook(type(exc), exc, exc.__traceback__)  # a bug: the error dialog
            return
        self.message.setText(str(exc))

    # -- undo --------------------------------------------------------------------------------------------------
    def undo(self) -> None:
        """Take back the last accept or reject: the items wait for review again and are selected."""
        if not self.history:
            self.message.setText("Nothing to undo.")
            return
        decision = self.history.pop()
        self.undo_button.setVisible(bool(self.history))
        ctx = self.ctx
        self.ops.run(lambda: decisions.undo(ctx, decision), self._undone, self._undo_refused)

    def _undone(self, undone: decisions.Undone) -> None:
        self._say(undone.summary)
        self.tree.setFocus()
        self.refresh(select=undone.keys)
        self.changed.emit()

    def _undo_refused(self, exc: BaseException) -> None:
        if not isinstance(exc, UserError):
            sys.excepthook(type(exc), exc, exc.__traceback__)  # a bug: the error dialog
            return
        self._say(f"Not undone: {exc}.")
        self.refresh()

    # -- editing -----------------------------------------------------------------------------------------------
    def edit_selected(self) -> None:
        """Edit the selected item in a dialog (a note is read first, off the UI thread)."""
        chosen = [k for k in self.selected() if k[0] in ("card", "question", "note")]
        if not chosen:
            self.message.setText("Select one card, question or note to edit.")
            return
        kind, ident = chosen[0]
        if kind == "note":
            ctx = self.ctx
            self.ops.run(lambda: notes.get(ctx, ident),
                         lambda n: self._edit(kind, ident, "Edit note", [("Title", n.title, False),
                                                                          ("Markdown", n.body_md, True)]),
                         lambda exc: self._refused(set(), exc))
        else:
            self._edit(kind, ident, *edit_fields(self.pending, kind, ident))

    def _edit(self, kind: str, ident: int, title: str, fields: list[tuple[str, str, bool]]) -> None:
        dialog = EditDialog(self, title, fields)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.save_edit(kind, ident, dialog.values(), accept=not dialog.keep_waiting)
        self.tree.setFocus()

    def save_edit(self, kind: str, ident: int, values: list[str], accept: bool = False) -> None:
        """Store an edited item (values in the order of its fields), off the UI thread; with accept, accept it
        too and go on to the next item; a refusal is said and the item stays."""
        ctx, deck = self.ctx, self.deck_choice()
        if kind == "card":
            def edit():
                drafts.edit_card(ctx, ident, values[0], values[1])
        elif kind == "question":
            q = next(q for _, qs in self.pending.tests for q in qs if q.id == ident)
            choices = [c for c in values[2].splitlines() if c.strip()] if q.kind == "mcq" else None

            def edit():
                drafts.edit_question(ctx, ident, values[0], values[1], choices, values[-1])
        else:
            def edit():
                notes.edit(ctx, ident, values[0], values[1])
        if not accept:
            self.ops.run(edit, lambda _none: self._saved(kind, ident), self._not_saved)
            return

        def edit_and_accept():
            edit()
            return decisions.accept(ctx, [(kind, ident)], deck)

        gone = {(kind, ident)}
        self._take_off([(kind, ident)])
        self.ops.run(edit_and_accept, lambda d: self._decided(gone, d),
                     lambda exc: self._not_accepted(kind, ident, exc))

    def _saved(self, kind: str, ident: int) -> None:
        self.refresh(select=[(kind, ident)])
        self.message.setText("Saved your changes; the item still waits for you to accept it.")

    def _not_saved(self, exc: BaseException) -> None:
        if not isinstance(exc, UserError):
            sys.excepthook(type(exc), exc, exc.__traceback__)  # a bug: the error dialog
            return
        self.message.setText(f"Not saved: {exc}.")

    def _not_accepted(self, kind: str, ident: int, exc: BaseException) -> None:
        """The edit was refused: the item comes back, selected, to be fixed."""
        self.deciding.discard((kind, ident))
        self.refresh(select=[(kind, ident)])
        self._not_saved(exc)
