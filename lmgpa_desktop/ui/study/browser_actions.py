"""The card browser's actions on the selected cards: move to deck, add or remove tags, suspend, delete, undo;
from the right-click menu and the keyboard (Ctrl+D, Ctrl+Shift+T, Ctrl+Alt+Shift+T, Ctrl+J, Delete, Ctrl+Z)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.study import card_actions, decks
from lmgpa_desktop.core.study.card_actions import Outcome, Undo

UNDO_DEPTH = 30


class BrowserActions(QObject):
    """Runs each action off the UI thread, shows its result in place and keeps an undo history for the session."""

    undo_changed = Signal(str)  # what Ctrl+Z would undo ("" when nothing)

    def __init__(self, browser):
        super().__init__(browser)
        self.browser = browser
        self.ctx, self.ops = browser.ctx, browser.ops
        self.history: list[Undo] = []
        table = browser.table
        self.move_action = self._action("Move to deck…", "Ctrl+D", self.move_to_deck, browser)
        self.add_tags_action = self._action("Add tags…", "Ctrl+Shift+T", self.add_tags, browser)
        self.remove_tags_action = self._action("Remove tags…", "Ctrl+Alt+Shift+T", self.remove_tags, browser)
        self.suspend_action = self._action("Suspend", "Ctrl+J", self.toggle_suspend, browser)
        # Delete and Ctrl+Z only on the table: in the editor's boxes they edit text.
        self.delete_action = self._action("Delete", "Delete", self.delete, table, Qt.ShortcutContext.WidgetShortcut)
        self.undo_action = self._action("Undo", "Ctrl+Z", self.undo, table, Qt.ShortcutContext.WidgetShortcut)
        self.undo_action.setEnabled(False)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self.context_menu)

    def _action(self, text: str, keys: str, slot, owner, context=Qt.ShortcutContext.WidgetWithChildrenShortcut):
        action = QAction(text, owner)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(context)
        action.triggered.connect(lambda _checked=False: slot())  # Qt would pass checked as the first argument
        owner.addAction(action)
        return action

    def context_menu(self, pos) -> None:
        """The actions for the selected cards, at the mouse."""
        ids = self.browser.selected_ids()
        menu = QMenu(self.browser)
        self.suspend_action.setText("Unsuspend" if ids and self._all_suspended(ids) else "Suspend")
        for action in (self.move_action, self.add_tags_action, self.remove_tags_action, self.suspend_action,
                       self.delete_action):
            action.setEnabled(bool(ids))
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.undo_action)
        menu.exec(self.browser.table.viewport().mapToGlobal(pos))
        for action in (self.move_action, self.add_tags_action, self.remove_tags_action, self.suspend_action,
                       self.delete_action):
            action.setEnabled(True)  # the keys stay live; each action checks the selection itself

    # -- the actions ----------------------------------------------------------------------------------------------
    def move_to_deck(self, deck: int | str | None = None) -> None:
        """Move the selected cards to a deck (asked for when not given; a new name makes the deck)."""
        ids = self._selection()
        if not ids:
            return
        if deck is None:
            names = self.browser.deck_names()
            name, ok = QInputDialog.getItem(self.browser, "Move cards", f"Move {self._count(ids)} to the deck:",
                                            names, 0, True)
            if not ok or not name.strip():
                return
            deck = self.browser.deck_id_named(name.strip()) or name.strip()
        self._run(lambda: card_actions.move_to_deck(self.ctx, ids, deck), ids)

    def add_tags(self, tags: str | None = None) -> None:
        """Add tags (separated by spaces) to the selected cards."""
        ids = self._selection()
        if not ids:
            return
        if tags is None:
            tags, ok = QInputDialog.getText(self.browser, "Add tags",
                                            f"Tags to add to {self._count(ids)} (separated by spaces):",
                                            QLineEdit.EchoMode.Normal, "")
            if not ok:
                return
        if tags.strip():
            self._run(lambda: card_actions.change_tags(self.ctx, ids, add=tags), ids)

    def remove_tags(self, tags: str | None = None) -> None:
        """Remove tags from the selected cards (offered: the tags they have)."""
        ids = self._selection()
        if not ids:
            return
        if tags is None:
            have = self.browser.tags_of(ids)
            tags, ok = QInputDialog.getItem(self.browser, "Remove tags",
                                            f"Tags to remove from {self._count(ids)} (separated by spaces):",
                                            have, 0, True)
            if not ok:
                return
        if tags.strip():
            self._run(lambda: card_actions.change_tags(self.ctx, ids, remove=tags), ids)

    def toggle_suspend(self) -> None:
        """Suspend the selected cards, or unsuspend them when all of them are suspended (Ctrl+J, as in Anki)."""
        ids = self._selection()
        if ids:
            self.set_suspended(not self._all_suspended(ids))

    def set_suspended(self, suspended: bool) -> None:
        """Suspend or unsuspend the selected cards."""
        ids = self._selection()
        if ids:
            self._run(lambda: card_actions.set_suspended(self.ctx, ids, suspended), ids)

    def delete(self) -> None:
        """Delete the selected cards (no question asked: Ctrl+Z brings them back)."""
        ids = self._selection()
        if not ids:
            return
        ctx = self.ctx
        self.ops.run(lambda: self._guarded(lambda: card_actions.delete(ctx, ids)),
                     lambda outcome: self._deleted(ids, outcome))

    def undo(self) -> None:
        """Undo the last action of this session."""
        if not self.history:
            self.browser.message.emit("Nothing to undo in the browser.")
            return
        record = self.history.pop()
        self._history_changed()
        ctx = self.ctx
        self.ops.run(lambda: card_actions.undo(ctx, record), self._undone)

    # -- running and showing -------------------------------------------------------------------------------------
    def _selection(self) -> list[int]:
        ids = self.browser.selected_ids()
        if not ids:
            self.browser.message.emit("Select one or more cards first.")
        return ids

    def _all_suspended(self, ids: list[int]) -> bool:
        rows = self.browser.model.rows
        chosen = set(ids)
        return all(r.suspended for r in rows if r.id in chosen)

    @staticmethod
    def _count(ids: list[int]) -> str:
        return "1 card" if len(ids) == 1 else f"{len(ids):,} cards"

    @staticmethod
    def _guarded(work) -> Outcome:
        """The action, with a problem the student can fix said as a message rather than an error dialog."""
        try:
            return work()
        except (ValueError, UserError) as exc:
            return Outcome(str(exc), None)

    def _run(self, work, ids: list[int]) -> None:
        ctx = self.ctx

        def job():
            outcome = self._guarded(work)
            return outcome, decks.browse_rows(ctx, ids) if outcome.undo is not None else []

        self.ops.run(job, self._done)

    def _done(self, result) -> None:
        outcome, rows = result
        self._remember(outcome)
        self.browser.model.update_rows(rows)
        self.browser.after_change([r.id for r in rows])

    def _deleted(self, ids: list[int], outcome: Outcome) -> None:
        self._remember(outcome)
        if outcome.undo is not None:
            self.browser.after_delete(ids)

    def _undone(self, text: str) -> None:
        self.browser.message.emit(text)
        self.browser.after_undo()

    def _remember(self, outcome: Outcome) -> None:
        text = outcome.message
        if outcome.undo is not None:
            self.history.append(outcome.undo)
            del self.history[:-UNDO_DEPTH]
            self._history_changed()
            text += " Ctrl+Z undoes."
        self.browser.message.emit(text)

    def _history_changed(self) -> None:
        what = self.history[-1].what if self.history else ""
        self.undo_action.setEnabled(bool(what))
        self.undo_action.setText(f"Undo {what}" if what else "Undo")
        self.undo_changed.emit(what)
