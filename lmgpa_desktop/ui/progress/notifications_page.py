"""Notification centre: reminders and messages, unread first; mark read or unread, clear, clear all."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from lmgpa_desktop.core.progress import notifications
from lmgpa_desktop.ui.kit.operations import Operations

EMPTY_TEXT = ("Nothing here. Reminders about cards to review, assignment and exam dates and your goals appear "
              "here; choose which ones, quiet hours and how many a day in Settings.")
KIND_LABELS = {"cards_due": "Review", "deadline": "Deadline", "goal_at_risk": "Goal", "streak_at_risk": "Streak",
               "achievement": "Achievement"}
READ_COLOR = QColor("#8a8f9c")
LIMIT = 200  # the newest; older ones stay in the database


class NotificationsPage(QWidget):
    """The in-app notification centre; reads and writes off the UI thread."""

    unread_changed = Signal(int)
    _changed = Signal(object)

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.ops = Operations(self, "notifications")
        title = QLabel("Notifications")
        title.setObjectName("pageTitle")
        self.summary = QLabel("")
        self.summary.setObjectName("muted")
        self.list = QListWidget()
        self.list.setObjectName("notificationList")
        self.list.setWordWrap(True)
        self.list.setSpacing(3)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.list.itemDoubleClicked.connect(lambda item: self._set_read([item], True))
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("notificationsEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.views = QStackedWidget()
        self.views.addWidget(self.list)
        self.views.addWidget(self.empty)

        self.read_button = QPushButton("Mark read")
        self.read_button.clicked.connect(self.toggle_read)
        self.all_read_button = QPushButton("Mark all read")
        self.all_read_button.clicked.connect(lambda: self._write(lambda: notifications.mark_all_read(self.ctx)))
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove the selected notifications (Delete)")
        self.clear_button.setShortcut("Delete")
        self.clear_button.clicked.connect(self.clear_selected)
        self.clear_all_button = QPushButton("Clear all")
        self.clear_all_button.clicked.connect(lambda: self._write(lambda: notifications.clear_all(self.ctx)))
        buttons = QHBoxLayout()
        for b in (self.read_button, self.all_read_button, self.clear_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_all_button)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.summary)
        layout.addWidget(self.views, 1)
        layout.addLayout(buttons)
        self.rows: list = []
        self._changed.connect(lambda _row: self.refresh())
        listener = self._relay
        notifications.subscribe(ctx, listener)
        self.destroyed.connect(lambda *_: notifications.unsubscribe(ctx, listener))
        self._update_buttons()
        self.refresh()

    def _relay(self, row) -> None:
        """From any thread: refresh on the UI thread."""
        try:
            self._changed.emit(row)
        except RuntimeError:
            pass  # the page is gone

    # -- reading -------------------------------------------------------------------------------------------------
    def first_focus(self):
        """Where the keyboard goes when the page is opened by keyboard: the notifications (None: none to list)."""
        return self.list if self.views.currentWidget() is self.list else None

    def refresh(self) -> None:
        """Reload the list off the UI thread."""
        self.ops.run_either(self._read, self._show)

    def _read(self) -> tuple[list, int]:
        """The rows and the unread count from one reading, so the summary always matches the rows shown."""
        rows = notifications.items(self.ctx, LIMIT)
        unread = sum(r.unread for r in rows)
        return rows, unread if len(rows) < LIMIT else notifications.unread_count(self.ctx)

    def _show(self, result) -> None:
        if isinstance(result, Exception):
            self.summary.setText(f"Could not read notifications: {result}")
            return
        rows, unread = result
        selected = {item.data(Qt.ItemDataRole.UserRole) for item in self.list.selectedItems()}
        self.rows = rows
        self.list.clear()
        for row in rows:
            item = QListWidgetItem(self._text(row))
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            font = QFont(self.list.font())
            font.setBold(row.unread)
            item.setFont(font)
            if not row.unread:
                item.setForeground(QBrush(READ_COLOR))
            item.setToolTip("Unread" if row.unread else "Read")
            self.list.addItem(item)
            item.setSelected(row.id in selected)
        self.views.setCurrentWidget(self.list if rows else self.empty)
        self.summary.setText(f"{unread} unread of {len(rows)}" if rows else "")
        self.all_read_button.setEnabled(unread > 0)
        self.clear_all_button.setEnabled(bool(rows))
        self._update_buttons()
        self.unread_changed.emit(unread)

    def _text(self, row) -> str:
        when = row.created_at.astimezone().strftime("%a %d %b %H:%M")
        dot = "●  " if row.unread else "    "
        body = f"\n    {row.body}" if row.body else ""
        return f"{dot}{row.title}{body}\n    {KIND_LABELS.get(row.kind, row.kind.replace('_', ' ').title())} · {when}"

    # -- actions -------------------------------------------------------------------------------------------------
    def _selected_rows(self) -> list:
        ids = {item.data(Qt.ItemDataRole.UserRole) for item in self.list.selectedItems()}
        return [r for r in self.rows if r.id in ids]

    def _update_buttons(self) -> None:
        chosen = self._selected_rows()
        self.read_button.setEnabled(bool(chosen))
        self.clear_button.setEnabled(bool(chosen))
        all_read = bool(chosen) and not any(r.unread for r in chosen)
        self.read_button.setText("Mark unread" if all_read else "Mark read")

    def toggle_read(self) -> None:
        """Selected notifications become read (or unread again when all of them were read)."""
        chosen = self._selected_rows()
        self._set_ids_read([r.id for r in chosen], any(r.unread for r in chosen))

    def _set_read(self, items: list[QListWidgetItem], read: bool) -> None:
        self._set_ids_read([i.data(Qt.ItemDataRole.UserRole) for i in items], read)

    def _set_ids_read(self, ids: list[int], read: bool) -> None:
        if ids:
            self._write(lambda: [notifications.mark_read(self.ctx, i, read) for i in ids])

    def clear_selected(self) -> None:
        """Remove the selected notifications from the centre."""
        ids = [r.id for r in self._selected_rows()]
        if ids:
            self._write(lambda: [notifications.clear(self.ctx, i) for i in ids])

    def _write(self, fn) -> None:
        """A change off the UI thread; the centre's listener then refreshes the list."""
        self.ops.run(fn, failure=lambda exc: self.summary.setText(f"Could not change notifications: {exc}"))
