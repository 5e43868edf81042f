"""Study → To review: accept, edit or reject generated cards, questions and notes; choose the cards' deck."""

from __future__ import annotations

import html
import sys
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QAction, QKeySequence, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
    QPlainTextEdit, QPushButton, QSplitter, QTextBrowser, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.study.items import drafts
from lmgpa_desktop.core.study import notes
from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.study.items.text_items import cloze_answer
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.study.common import empty_text, location, message_label, parse_link, source_link

KEEP_DECK = "The deck named after the sources"
EMPTY = ("Nothing is waiting for review. Generate flashcards, a practice test or notes from your sources in the "
         "Generate tab; they appear here for you to accept, edit or reject.")
KIND_NAMES = {"basic": "card", "cloze": "cloze", "mcq": "multiple choice", "tf": "true/false", "short": "short answer"}
ROLE = Qt.ItemDataRole.UserRole


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

    changed = Signal()  # something was accepted or rejected
    loaded = Signal()  # the list on screen was (re)read
    open_location = Signal(int, object, object)  # source id, page or None, second or None

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.ops = Operations(self, "study-pending")
        self.pending = drafts.Pending([], [], [])
        self.places: dict[tuple, str] = {}
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Item", "Answer", "Source"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setAlternatingRowColors(True)
        self.tree.setColumnWidth(0, 380)
        self.tree.setColumnWidth(1, 220)
        self.tree.itemSelectionChanged.connect(self._show_detail)
        self.tree.itemDoubleClicked.connect(lambda _i, _c: self.edit_selected())
        self.detail = QTextBrowser()
        self.detail.setOpenLinks(False)
        self.detail.anchorClicked.connect(self._link)
        self.empty = message_label(EMPTY)
        self.empty.setObjectName("muted")
        self.deck = QComboBox()
        self.deck.setEditable(True)
        self.deck.setMinimumWidth(220)
        self.deck.setToolTip("Deck for accepted flashcards: pick one or type a new name")
        self.accept_button = QPushButton("Accept")
        self.accept_button.setToolTip("Accept the selected items (A)")
        self.accept_button.clicked.connect(self.accept_selected)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.clicked.connect(self.edit_selected)
        self.reject_button = QPushButton("Reject")
        self.reject_button.setToolTip("Reject (delete) the selected items (R or Delete)")
        self.reject_button.clicked.connect(self.reject_selected)
        self.accept_all_button = QPushButton("Accept all")
        self.accept_all_button.setObjectName("primary")
        self.accept_all_button.clicked.connect(self.accept_all)
        self.edit_button.setToolTip("Edit the selected item (E, F2 or double-click)")
        self.message = message_label()
        # Keys act on the list only, so typing a deck name never accepts anything.
        for keys, slot in ((["A"], self.accept_selected), (["R", "Delete"], self.reject_selected),
                           (["E", "F2"], self.edit_selected)):
            action = QAction(self.tree)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(slot)
            self.tree.addAction(action)

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
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(split, 1)
        layout.addWidget(self.controls)
        layout.addWidget(self.message)
        self.refresh()

    # -- listing -----------------------------------------------------------------------------------------------
    def refresh(self, select: list[tuple[str, int]] | None = None) -> None:
        """Reload everything waiting for review (off the UI thread), then select these items if given."""
        ctx = self.ctx
        self.ops.run(lambda: read_listing(ctx), lambda listing: self._fill(listing, select))

    def _where(self, source_id, page_no, start_s, end_s) -> str:
        return self.places.get((source_id, page_no, start_s, end_s), "")

    def _fill(self, listing: Listing, select: list[tuple[str, int]] | None = None) -> None:
        self.pending, self.places = listing.pending, listing.places
        self._fill_decks(listing.deck_names)
        self.tree.clear()
        p = self.pending
        if p.cards:
            group = self._group(f"Flashcards ({len(p.cards)})", ("cards", None))
            for c in p.cards:
                front = c.front.replace("{{c1::", "[").replace("}}", "]") if c.kind == "cloze" else c.front
                self._child(group, ("card", c.id), f"{front}  [{KIND_NAMES.get(c.kind, c.kind)}]",
                            cloze_answer(c.front) if c.kind == "cloze" else c.back,
                            self._where(c.source_id, c.source_page, c.source_start_s, c.source_end_s))
        for test, questions in p.tests:
            group = self._group(f"Practice test: {test.title} ({len(questions)} to review)", ("test", test.id))
            for q in questions:
                self._child(group, ("question", q.id), f"{q.prompt}  [{KIND_NAMES.get(q.kind, q.kind)}]", q.answer,
                            self._where(q.source_id, q.source_page, q.source_start_s, q.source_end_s))
        if p.notes:
            group = self._group(f"Notes ({len(p.notes)})", ("notes", None))
            for n in p.notes:
                refs = len(n.source_refs)
                self._child(group, ("note", n.id), n.title, f"{len(n.body_md.split())} words",
                            f"{refs} source location{'s' if refs != 1 else ''}")
        self.tree.expandAll()
        self.empty.setVisible(p.empty)
        if p.empty:
            self.empty.setText(listing.empty_text)
        self.controls.setVisible(not p.empty)
        for b in (self.accept_button, self.edit_button, self.reject_button, self.accept_all_button):
            b.setEnabled(not p.empty)
        if select:
            self.select(select)
        self._show_detail()
        self.loaded.emit()

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

    def items(self) -> list[tuple[str, int]]:
        """Every (kind, id) listed: kind card, question or note."""
        out = []
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            out += [tuple(group.child(i).data(0, ROLE)) for i in range(group.childCount())]
        return out

    def select(self, keys: list[tuple[str, int]]) -> None:
        """Select these items (and nothing else)."""
        wanted = {tuple(k) for k in keys}
        self.tree.clearSelection()
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            for i in range(group.childCount()):
                if tuple(group.child(i).data(0, ROLE)) in wanted:
                    group.child(i).setSelected(True)

    def selected(self) -> list[tuple[str, int | None]]:
        """The selected items; a selected group stands for all its items (a test by its id)."""
        out: list[tuple[str, int | None]] = []
        for item in self.tree.selectedItems():
            kind, ident = item.data(0, ROLE)
            if kind == "cards":
                out += [("card", c.id) for c in self.pending.cards]
            elif kind == "notes":
                out += [("note", n.id) for n in self.pending.notes]
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
            self.detail.setHtml("<p>Select an item to see it in full with the passage it came from.</p>"
                                if not self.pending.empty else "")
            return
        kind, ident = chosen[0].data(0, ROLE)
        self.detail.setHtml(self._detail_html(kind, ident))

    def _detail_html(self, kind: str, ident: int | None) -> str:
        e = html.escape
        if kind == "card":
            c = next((c for c in self.pending.cards if c.id == ident), None)
            if c is None:
                return ""
            out = f"<h3>{e(c.front)}</h3><p><b>Answer:</b> {e(c.back or cloze_answer(c.front))}</p>"
            return out + self._source_html(c.source_id, c.source_page, c.source_start_s, c.source_end_s,
                                           c.source_quote)
        if kind == "question":
            q = next((q for _, qs in self.pending.tests for q in qs if q.id == ident), None)
            if q is None:
                return ""
            out = f"<h3>{e(q.prompt)}</h3>"
            if q.choices:
                out += "<ol type='A'>" + "".join(f"<li>{'<b>' if c == q.answer else ''}{e(c)}"
                                                 f"{'</b>' if c == q.answer else ''}</li>" for c in q.choices) + "</ol>"
            out += f"<p><b>Answer:</b> {e(q.answer)}</p>"
            if q.explanation:
                out += f"<p><b>Explanation:</b> {e(q.explanation)}</p>"
            return out + self._source_html(q.source_id, q.source_page, q.source_start_s, q.source_end_s,
                                           q.source_quote)
        if kind == "test":
            t = next((t for t, _ in self.pending.tests if t.id == ident), None)
            return f"<h3>{e(t.title)}</h3><p>{t.pending} questions to review, {t.active} accepted.</p>" if t else ""
        if kind == "note":
            n = next((n for n in self.pending.notes if n.id == ident), None)
            if n is None:
                return ""
            document = QTextDocument()
            document.setMarkdown(n.body_md)
            return document.toHtml()
        return ""

    def _source_html(self, source_id, page_no, start_s, end_s, quote) -> str:
        if source_id is None:
            return ""
        where = self._where(source_id, page_no, start_s, end_s)
        out = f"<p><b>From</b> <a href='{source_link(source_id, page_no, start_s)}'>{html.escape(where)}</a></p>"
        if quote:
            out += f"<blockquote>{html.escape(quote)}</blockquote>"
        return out

    def _link(self, url: QUrl) -> None:
        parsed = parse_link(url.toString())
        if parsed:
            self.open_location.emit(*parsed)

    # -- deciding ----------------------------------------------------------------------------------------------
    def accept(self, keys: list[tuple[str, int | None]]) -> None:
        """Accept items: cards join the chosen deck, questions their test, notes the notes; then say what."""
        ctx, deck = self.ctx, self.deck_choice()
        self._decide(lambda: accept_items(ctx, keys, deck))

    def reject(self, keys: list[tuple[str, int | None]]) -> None:
        """Reject (delete) items, a test's standing for the questions listed under it; then say how many."""
        keys = list(keys) + [("question", q.id) for kind, test_id in keys if kind == "test"
                             for t, qs in self.pending.tests if t.id == test_id for q in qs]
        ctx = self.ctx
        self._decide(lambda: reject_items(ctx, keys))

    def _after(self, text: str) -> None:
        self.refresh()
        if text:
            self.message.setText(text)
            self.changed.emit()

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
        """Accept every card, question and note waiting."""
        p = self.pending
        keys = [("card", c.id) for c in p.cards] + [("test", t.id) for t, _ in p.tests] + \
               [("note", n.id) for n in p.notes]
        self.accept(keys)

    def _decide(self, work) -> None:
        self.ops.run(work, self._after, self._refused)

    def _refused(self, exc: BaseException) -> None:
        """A refusal (UserError) is said on the message line; anything else is a bug for the error dialog."""
        if not isinstance(exc, UserError):
            sys.excepthook(type(exc), exc, exc.__traceback__)  # a bug: the error dialog
            return
        self.refresh()
        self.message.setText(str(exc))

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
                         self._refused)
        else:
            self._edit(kind, ident, *self._fields(kind, ident))

    def _edit(self, kind: str, ident: int, title: str, fields: list[tuple[str, str, bool]]) -> None:
        dialog = EditDialog(self, title, fields)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.save_edit(kind, ident, dialog.values())

    def _fields(self, kind: str, ident: int) -> tuple[str, list[tuple[str, str, bool]]]:
        """Dialog title and (label, value, multi-line) fields for a card or question (from the list on screen)."""
        if kind == "card":
            c = next(c for c in self.pending.cards if c.id == ident)
            hint = " (hide the answer like {{c1::answer}})" if c.kind == "cloze" else ""
            return "Edit flashcard", [("Front" + hint, c.front, True), ("Back", c.back, True)]
        q = next(q for _, qs in self.pending.tests for q in qs if q.id == ident)
        fields = [("Question", q.prompt, True), ("Answer", q.answer, False)]
        if q.kind == "mcq":
            fields.append(("Choices (one a line)", "\n".join(q.choices or []), True))
        fields.append(("Explanation", q.explanation or "", True))
        return "Edit question", fields

    def save_edit(self, kind: str, ident: int, values: list[str]) -> None:
        """Store an edited item (values in the order of its fields), off the UI thread; a refusal is said."""
        ctx = self.ctx
        if kind == "card":
            def work():
                drafts.edit_card(ctx, ident, values[0], values[1])
        elif kind == "question":
            q = next(q for _, qs in self.pending.tests for q in qs if q.id == ident)
            choices = [c for c in values[2].splitlines() if c.strip()] if q.kind == "mcq" else None

            def work():
                drafts.edit_question(ctx, ident, values[0], values[1], choices, values[-1])
        else:
            def work():
                notes.edit(ctx, ident, values[0], values[1])
        self.ops.run(work, lambda _none: self._saved(kind, ident), self._not_saved)

    def _saved(self, kind: str, ident: int) -> None:
        self.refresh(select=[(kind, ident)])
        self.message.setText("Saved your changes; the item still waits for you to accept it.")

    def _not_saved(self, exc: BaseException) -> None:
        if not isinstance(exc, UserError):
            sys.excepthook(type(exc), exc, exc.__traceback__)  # a bug: the error dialog
            return
        self.message.setText(f"Not saved: {exc}.")


def accept_items(ctx, keys: list[tuple[str, int | None]], deck: str | None) -> str:
    """Accept cards (into `deck`, None: where generation put them), questions, tests and notes; a summary."""
    cards = [i for k, i in keys if k == "card"]
    questions = [i for k, i in keys if k == "question"]
    tests = [i for k, i in keys if k == "test"]
    notes_ = [i for k, i in keys if k == "note"]
    parts = []
    if cards:
        n = drafts.accept_cards(ctx, cards, deck)
        parts.append(f"{n} flashcard{'s' if n != 1 else ''}" + (f" to “{deck}”" if deck else ""))
    if questions:
        n = drafts.accept_questions(ctx, questions)
        parts.append(f"{n} question{'s' if n != 1 else ''}")
    for test_id in tests:
        t = drafts.accept_test(ctx, test_id)
        parts.append(f"the practice test “{t.title}”" if t else "a practice test")
    for note_id in notes_:
        drafts.accept_note(ctx, note_id)
    if notes_:
        parts.append(f"{len(notes_)} note{'s' if len(notes_) != 1 else ''}")
    return "Accepted " + ", ".join(parts) + "." if parts else ""


def reject_items(ctx, keys: list[tuple[str, int | None]]) -> str:
    """Reject (delete) cards, questions and notes; a summary (a test's key is skipped: list its questions)."""
    cards = [i for k, i in keys if k == "card"]
    questions = list(dict.fromkeys(i for k, i in keys if k == "question"))
    notes_ = [i for k, i in keys if k == "note"]
    n = 0
    if cards:
        n += drafts.reject_cards(ctx, cards)
    if questions:
        n += drafts.reject_questions(ctx, questions)
    for note_id in notes_:
        drafts.reject_note(ctx, note_id)
        n += 1
    return f"Rejected {n} item{'s' if n != 1 else ''}." if n else ""


class EditDialog(QDialog):
    """A form of text fields for editing one generated item."""

    def __init__(self, parent, title: str, fields: list[tuple[str, str, bool]]):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(560, 420)
        form = QFormLayout()
        self.boxes = []
        for label, value, multi in fields:
            box = QPlainTextEdit(value) if multi else QLineEdit(value)
            self.boxes.append(box)
            form.addRow(label, box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def values(self) -> list[str]:
        """The fields' texts, in order."""
        return [b.toPlainText() if isinstance(b, QPlainTextEdit) else b.text() for b in self.boxes]
