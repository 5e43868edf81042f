"""`?` or F1 lists every keyboard shortcut of the window and of the page on screen, read from the widgets."""

# The list is collected from the QAction, QShortcut and button shortcuts that exist right now, so it cannot drift
# from what the keys do: a page that adds a shortcut shows up here without anyone editing a table. Keys a widget
# handles itself (keyPressEvent, an event filter) are invisible to Qt: such a widget declares them in a class
# attribute KEYS = [(("Space", "Enter"), "Show the answer"), ...] next to the code that handles them (a test presses
# each one), and they are listed while that widget is on screen.

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton, QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout,
    QWidget,
)

KEYS = ("?", "F1")


@dataclass(frozen=True)
class Shortcut:
    """One key (or keys) and what it does, and where it works."""

    keys: str
    does: str
    where: str


def _text(value: str) -> str:
    """Menu text without mnemonics or a trailing ellipsis."""
    return re.sub(r"&(?!&)", "", value or "").replace("&&", "&").strip().rstrip("…").strip()


def _describe(owner) -> str:
    for attr in ("text", "toolTip", "statusTip", "whatsThis"):
        getter = getattr(owner, attr, None)
        value = _text(getter()) if callable(getter) else ""
        if value:
            return value
    name = owner.objectName()
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).capitalize() if name else ""


def _keys(sequences) -> str:
    return ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences if not s.isEmpty())


def declared_keys(widget: QWidget) -> list[tuple[tuple[str, ...], str]]:
    """The (keys, what they do) a widget's class says it handles itself; keys are QKeySequence strings."""
    out = []
    for keys, does in getattr(type(widget), "KEYS", None) or ():
        out.append(((keys,) if isinstance(keys, str) else tuple(keys), does))
    return out


def _live(widget: QWidget | None, window: QWidget) -> bool:
    """The key works now: its widget is the window, or shown and enabled in it."""
    return widget is window or (widget is not None and widget.isVisibleTo(window) and widget.isEnabled()
                                and widget.window() is window)


def collect(window: QWidget, page: QWidget | None = None, page_title: str = "") -> list[Shortcut]:
    """The shortcuts that work in window now: its own first, then those of page (titled page_title)."""
    found: dict[tuple[str, str], Shortcut] = {}

    def where(widget: QWidget | None) -> str:
        inside = widget is not None and page is not None and (widget is page or page.isAncestorOf(widget))
        return (page_title or "This page") if inside else "Everywhere"

    def add(keys: str, does: str, widget: QWidget | None) -> None:
        if keys and does and _live(widget, window):
            found.setdefault((keys, does), Shortcut(keys, does, where(widget)))

    holders = [window, *window.findChildren(QWidget)]
    for widget in holders:
        for action in widget.actions():
            if action.isEnabled() and action.isVisible():
                add(_keys(action.shortcuts()), _describe(action), widget)
        if isinstance(widget, QAbstractButton) and not widget.shortcut().isEmpty():
            add(_keys([widget.shortcut()]), _describe(widget), widget)
        for keys, does in declared_keys(widget):
            add(_keys([QKeySequence(k) for k in keys]), does, widget)
    for shortcut in window.findChildren(QShortcut):
        parent = shortcut.parent()
        if shortcut.isEnabled() and isinstance(parent, QWidget):
            add(_keys(shortcut.keys()), _describe(shortcut) or _describe(parent), parent)
    return sorted(found.values(), key=lambda s: (s.where != "Everywhere", s.where, s.does.lower()))


class ShortcutsOverlay(QDialog):
    """A table of the keys: what each does and where it works; Esc, `?` or F1 closes it."""

    def __init__(self, shortcuts: list[Shortcut], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("shortcutsOverlay")
        self.setWindowTitle("Keyboard shortcuts")
        self.shortcuts = shortcuts
        self.table = QTableWidget(len(shortcuts), 3)
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Keys", "What it does", "Where"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        for row, s in enumerate(shortcuts):
            for col, text in enumerate((s.keys, s.does, s.where)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        hint = QLabel("Keys typed into a text box go to the box; these work everywhere else.")
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        for key in KEYS:  # the key that opened it closes it again
            QShortcut(QKeySequence(key), self, activated=self.reject)
        self.resize(560, 480)

    def keys_listed(self) -> list[str]:
        """Every key combination in the table (for the tests and the log)."""
        return [s.keys for s in self.shortcuts]


def install(window, current_page=None, page_title=None) -> QAction:
    """`?` and F1 in window open the overlay for the page current_page() returns (titled page_title())."""
    action = QAction("Keyboard shortcuts", window)
    action.setShortcuts([QKeySequence(k) for k in KEYS])
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

    def show() -> None:
        page = current_page() if current_page is not None else None
        title = page_title() if page_title is not None else ""
        old = window.findChild(ShortcutsOverlay)
        if old is not None:
            old.close()
            old.deleteLater()
        overlay = ShortcutsOverlay(collect(window, page, title), window)
        overlay.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        overlay.open()

    action.triggered.connect(lambda _=False: show())
    window.addAction(action)
    return action
