"""Groups: study groups (create, join, leave), members, messages, shared notes and decks, connections."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit,
    QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.online.exports import export_deck, export_note, exports_folder, my_notes_and_decks
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.plain_errors import plain_message
from lmgpa_desktop.ui.kit.status_line import StatusLine
from lmgpa_desktop.ui.online.queued_actions import KEPT_TAIL, QueuedActions, clear_if_unchanged
from lmgpa_desktop.ui.online.online_status import OnlineStatus, field, label, when

PENDING_COLOR = QColor("#8a8f9c")
WAITING = "  (waiting to send)"
MESSAGE_KEPT = " Your message is kept in the box: send it again when you're ready."


def person_name(row) -> str:
    """The other person of a connection row, whatever shape the cache keeps it in."""
    for key in ("other", "user", "person", "addressee", "requester"):
        inner = field(row, key)
        if isinstance(inner, dict):
            name = field(inner, "display_name") or field(inner, "email")
            if name:
                return name
    return field(row, "display_name") or field(row, "email") or field(row, "name") or "someone"


class GroupsPage(QWidget, QueuedActions):
    """Groups and connections from the cache; every change goes to the outbox and the background sync."""

    def __init__(self, ctx, status: OnlineStatus, parent=None):
        super().__init__(parent)
        self.ctx, self.status = ctx, status
        self.service = status.service
        self.ops = Operations(self, "groups")
        self.rows: list[dict] = []
        self.detail: dict = {}
        self.shares: list[dict] = []
        self.conn: dict = {}
        title = QLabel("Groups")
        title.setObjectName("pageTitle")
        self.state = label("", "groupsState")
        self.message = StatusLine("", "groupsMessage")  # done messages clear themselves; errors stay
        self.tabs = QTabWidget()
        self.tabs.addTab(self._groups_tab(), "Study groups")
        self.tabs.addTab(self._connections_tab(), "Connections")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.state)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        status.synced.connect(lambda _r: self.refresh())
        status.state_changed.connect(lambda _s: self.refresh())
        status.live_event.connect(self._live)
        self.refresh()

    # -- building --------------------------------------------------------------------------------------------
    def _groups_tab(self) -> QWidget:
        self.list = QListWidget()
        self.list.setObjectName("groupList")
        self.list.currentRowChanged.connect(lambda _r: self.show_group())
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("New group name")
        self.new_name.returnPressed.connect(self.create_group)
        self.create_button = create = QPushButton("Create")
        create.clicked.connect(self.create_group)
        self.code = QLineEdit()
        self.code.setPlaceholderText("Invite code")
        self.code.returnPressed.connect(self.join_group)
        self.join_button = join = QPushButton("Join")
        join.clicked.connect(self.join_group)
        left = QWidget()
        col = QVBoxLayout(left)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.list, 1)
        for edit, button in ((self.new_name, create), (self.code, join)):
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(button)
            col.addLayout(row)

        self.group_title = QLabel("")
        self.group_title.setObjectName("sectionTitle")
        self.invite = label("", "inviteCode")
        self.leave_button = QPushButton("Leave group")
        self.leave_button.clicked.connect(self.leave_group)
        head = QHBoxLayout()
        head.addWidget(self.group_title, 1)
        head.addWidget(self.leave_button)
        self.messages = QListWidget()
        self.messages.setObjectName("messageList")
        self.messages.setWordWrap(True)
        self.messages.setSpacing(4)
        self.send_box = QLineEdit()
        self.send_box.setObjectName("messageBox")
        self.send_box.setPlaceholderText("Write a message and press Enter")
        self.send_box.returnPressed.connect(self.send)
        send = QPushButton("Send")
        send.clicked.connect(self.send)
        send_row = QHBoxLayout()
        send_row.addWidget(self.send_box, 1)
        send_row.addWidget(send)
        chat = QWidget()
        chat_col = QVBoxLayout(chat)
        chat_col.addWidget(self.messages, 1)
        chat_col.addLayout(send_row)

        self.members = QListWidget()
        self.members.setObjectName("memberList")

        self.share_list = QListWidget()
        self.share_list.setObjectName("shareList")
        self.share_list.currentRowChanged.connect(self._show_share)
        self.share_view = QPlainTextEdit()
        self.share_view.setAccessibleName("Shared item")
        self.share_view.setReadOnly(True)
        self.save_share_button = QPushButton("Save…")
        self.save_share_button.clicked.connect(self._choose_save_share)
        self.share_kind = QComboBox()
        self.share_kind.addItem("One of my notes", "note")
        self.share_kind.addItem("One of my decks", "deck")
        self.share_kind.addItem("A note or deck file…", "file")
        self.share_kind.currentIndexChanged.connect(self._share_kind_changed)
        self.share_pick = QComboBox()
        share_button = QPushButton("Share with the group")
        share_button.clicked.connect(self.share_selected)
        pick_row = QHBoxLayout()
        pick_row.addWidget(self.share_kind)
        pick_row.addWidget(self.share_pick, 1)
        pick_row.addWidget(share_button)
        shares = QWidget()
        scol = QVBoxLayout(shares)
        scol.addWidget(self.share_list, 1)
        scol.addWidget(self.share_view, 1)
        scol.addWidget(self.save_share_button)
        scol.addLayout(pick_row)

        self.group_tabs = QTabWidget()
        self.group_tabs.addTab(chat, "Messages")
        self.group_tabs.addTab(self.members, "Members")
        self.group_tabs.addTab(shares, "Shared")
        right = QWidget()
        rcol = QVBoxLayout(right)
        rcol.setContentsMargins(0, 0, 0, 0)
        rcol.addLayout(head)
        rcol.addWidget(self.invite)
        rcol.addWidget(self.group_tabs, 1)
        self.right = right
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        self._share_kind_changed()
        return splitter

    def _connections_tab(self) -> QWidget:
        self.incoming = QListWidget()
        self.incoming.setObjectName("incomingList")
        self.outgoing = QListWidget()
        self.outgoing.setObjectName("outgoingList")
        self.connected = QListWidget()
        self.connected.setObjectName("connectionList")
        accept = QPushButton("Accept")
        accept.clicked.connect(lambda: self.answer(True))
        decline = QPushButton("Decline")
        decline.clicked.connect(lambda: self.answer(False))
        cancel = QPushButton("Cancel request")
        cancel.clicked.connect(lambda: self.remove(self.outgoing))
        remove = QPushButton("Remove")
        remove.clicked.connect(lambda: self.remove(self.connected))
        self.add_email = QLineEdit()
        self.add_email.setPlaceholderText("classmate@school.example")
        self.add_email.returnPressed.connect(self.add_connection)
        add = QPushButton("Add by email")
        add.clicked.connect(self.add_connection)
        page = QWidget()
        col = QVBoxLayout(page)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_email, 1)
        add_row.addWidget(add)
        col.addLayout(add_row)
        for title, widget, buttons in (("Requests to you", self.incoming, (accept, decline)),
                                       ("Your requests", self.outgoing, (cancel,)),
                                       ("Connected", self.connected, (remove,))):
            col.addWidget(QLabel(title))
            col.addWidget(widget, 1)
            row = QHBoxLayout()
            for b in buttons:
                row.addWidget(b)
            row.addStretch(1)
            col.addLayout(row)
        return page

    # -- reading the cache ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read groups and connections from the cache (local)."""
        status = self.status.status
        signed_in = status != "signed_out"
        self.state.setText({"signed_out": "Sign in on the Account page to use study groups.",
                            "offline": "Working offline: messages you send wait until the server is back.",
                            "expired": "Your session has expired: sign in again on the Account page."}.get(status, ""))
        self.state.setVisible(bool(self.state.text()))
        current = self.current_group_id()
        try:
            self.rows = self.service.groups() if signed_in else []
            self.conn = self.service.connections() if signed_in else {}
        except Exception as exc:  # noqa: BLE001 - a broken cache is shown, not raised
            self.rows, self.conn = [], {}
            self._show_error(f"Could not read your groups: {plain_message(exc)}")
        self.list.blockSignals(True)
        self.list.clear()
        for row in self.rows:
            item = QListWidgetItem(field(row, "name", "") + (WAITING if field(row, "pending") else ""))
            item.setData(Qt.ItemDataRole.UserRole, field(row, "id"))
            self.list.addItem(item)
        ids = [field(r, "id") for r in self.rows]
        self.list.setCurrentRow(ids.index(current) if current in ids else (0 if ids else -1))
        self.list.blockSignals(False)
        self.show_group()
        self._show_connections()

    def current_group_id(self) -> str | None:
        """Id of the selected group."""
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def select_group(self, group_id: str) -> None:
        """Select a group by id."""
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == group_id:
                self.list.setCurrentRow(i)

    def show_group(self) -> None:
        """Messages, members and shares of the selected group."""
        gid = self.current_group_id()
        self.right.setEnabled(gid is not None)
        if gid is None:
            self.group_title.setText("No group chosen: create one or join with an invite code.")
            self.invite.setText("")
            self.messages.clear()
            self.members.clear()
            self.share_list.clear()
            self.shares = []
            return
        row = next((r for r in self.rows if field(r, "id") == gid), {})
        try:
            self.detail = self.service.group_detail(gid) or {}
            msgs = self.service.messages(gid)
        except Exception as exc:  # noqa: BLE001
            self.detail, msgs = {}, []
            self._show_error(f"Could not read this group: {plain_message(exc)}")
        group = self.detail.get("group") or row
        self.group_title.setText(field(group, "name", "") + (WAITING if field(row, "pending") else ""))
        code = field(group, "invite_code") or field(row, "invite_code")
        self.invite.setText(f"Invite code: <b>{code}</b>" if code else "The invite code arrives once the group is sent.")
        self._show_messages(msgs)
        self.members.clear()
        for m in self.detail.get("members") or []:
            role = field(m, "role", "")
            self.members.addItem(field(m, "display_name", "") + (f" · {role}" if role else ""))
        self.shares = list(self.detail.get("shares") or [])
        self.share_list.clear()
        for s in self.shares:
            who = field(s, "author_name") or field(s, "owner_name") or ""
            self.share_list.addItem(f"{field(s, 'title', '')} · {field(s, 'kind', '')}" + (f" · {who}" if who else "")
                                    + (WAITING if field(s, "pending") else ""))

    def _show_messages(self, msgs: list) -> None:
        me = field(field(self.status.state, "user") or {}, "id")
        at_bottom = self.messages.verticalScrollBar().value() >= self.messages.verticalScrollBar().maximum() - 4
        self.messages.clear()
        for m in msgs:
            mine = field(m, "author_id") == me or field(m, "pending")
            who = "You" if mine else (field(m, "author_name") or "someone")
            stamp = "sending…" if field(m, "pending") else when(field(m, "created_at"))
            item = QListWidgetItem(f"{who} · {stamp}\n{field(m, 'body', '')}")
            item.setData(Qt.ItemDataRole.UserRole, field(m, "id"))
            if field(m, "pending"):
                item.setForeground(QBrush(PENDING_COLOR))  # greyed until the server has it
                item.setToolTip("Not sent yet: it goes when the server can be reached.")
            self.messages.addItem(item)
        if at_bottom or msgs:
            self.messages.scrollToBottom()  # newest at the bottom, like any chat

    def _show_connections(self) -> None:
        for widget, key in ((self.incoming, "incoming"), (self.outgoing, "outgoing"),
                            (self.connected, "connections")):
            widget.clear()
            for row in self.conn.get(key) or []:
                item = QListWidgetItem(person_name(row) + (WAITING if field(row, "pending") else ""))
                item.setData(Qt.ItemDataRole.UserRole, field(row, "id"))
                widget.addItem(item)

    def _live(self, event) -> None:
        """A live notification (a message, a share): re-read the cache the live thread merged it into."""
        if field(event, "kind") in ("message", "share", "request", "connection"):
            self.status.sync_now()  # brings the message itself into the cache; the page refreshes after

    # -- actions (queued) ------------------------------------------------------------------------------------
    def create_group(self) -> None:
        """Start a study group with the typed name."""
        self._queue_typed(self.new_name, "Type a name for the new group.", self.service.create_group,
                          lambda name: f"Group “{name}” created.")

    def join_group(self) -> None:
        """Join the group with the typed invite code."""
        self._queue_typed(self.code, "Type the group's invite code.", self.service.join_group,
                          lambda code: f"Joining the group with code {code}.")

    def leave_group(self) -> None:
        """Leave the selected group."""
        gid = self.current_group_id()
        if gid is not None:
            self._queue(lambda: self.service.leave_group(gid), "You left the group.")

    def send(self) -> None:
        """Send the typed message to the selected group (shown greyed until it is sent; kept in the box if it
        cannot be queued)."""
        gid, body = self.current_group_id(), self.send_box.text().strip()
        if gid is None or not body:
            return
        self._queue(lambda: self.service.send_message(gid, body),
                    after=lambda _r: clear_if_unchanged(self.send_box, body), kept=MESSAGE_KEPT)

    def _share_kind_changed(self) -> None:
        kind = self.share_kind.currentData()
        self.share_pick.setVisible(kind != "file")
        if kind == "file":
            return
        try:
            mine = my_notes_and_decks(self.ctx)[0 if kind == "note" else 1]
        except Exception as exc:  # noqa: BLE001
            mine = []
            self._show_error(f"Could not list your {kind}s: {plain_message(exc)}")
        self.share_pick.clear()
        for item_id, title in mine:
            self.share_pick.addItem(title, item_id)
        if not mine:
            self.share_pick.addItem(f"You have no {kind}s yet", None)

    def share_selected(self) -> None:
        """Share the chosen note or deck (or a file) with the selected group."""
        gid = self.current_group_id()
        if gid is None:
            return
        kind = self.share_kind.currentData()
        if kind == "file":
            path, _ = QFileDialog.getOpenFileName(self, "Share a note or deck", "",
                                                  "Notes and decks (*.md *.txt *.apkg)")
            if path:
                self.share_file(path)
            return
        item_id, title = self.share_pick.currentData(), self.share_pick.currentText()
        if item_id is None:
            self.message.setText(f"You have no {kind}s to share yet.")
            return
        if kind == "note":
            def fn():
                path = export_note(self.ctx, item_id, exports_folder(self.ctx))
                return self.service.share_to_group(gid, "note", title, text=path.read_text(encoding="utf-8"))
        else:
            def fn():
                return self.service.share_to_group(gid, "deck", title, path=export_deck(self.ctx, item_id,
                                                                                       exports_folder(self.ctx)))
        self._queue(fn, f"Shared “{title}”.")

    def share_file(self, path: str) -> None:
        """Share a Markdown note or an Anki deck file with the selected group."""
        gid = self.current_group_id()
        if gid is None:
            return
        p = Path(path)
        kind = "deck" if p.suffix.lower() == ".apkg" else "note"
        if kind == "note":
            fn = lambda: self.service.share_to_group(gid, "note", p.stem, text=p.read_text(encoding="utf-8"))
        else:
            fn = lambda: self.service.share_to_group(gid, "deck", p.stem, path=p)
        self._queue(fn, f"Shared “{p.stem}”.")

    def _show_share(self, row: int) -> None:
        s = self.shares[row] if 0 <= row < len(self.shares) else None
        text = field(s, "text", "") or ""
        if s is not None and not text:
            text = f"A {field(s, 'kind', 'file')} file ({field(s, 'file_name', '') or 'attachment'}): use Save… to " \
                   "keep a copy and import it."
        self.share_view.setPlainText(text)

    def _choose_save_share(self) -> None:
        row = self.share_list.currentRow()
        if not 0 <= row < len(self.shares):
            return
        s = self.shares[row]
        suffix = ".apkg" if field(s, "kind") == "deck" and not field(s, "text") else ".md"
        path, _ = QFileDialog.getSaveFileName(self, "Save the shared item", f"{field(s, 'title', 'shared')}{suffix}")
        if path:
            self.save_share(row, path)

    def save_share(self, row: int, path: str) -> None:
        """Save a shared note's text (or a shared file, fetched in the background) to path."""
        s = self.shares[row]
        text = field(s, "text")
        if not text and field(s, "pending"):
            self.message.setText("This share is still waiting to be sent: its file can be saved once it is on the "
                                 "server.")
            return
        gid, sid = field(s, "group_id") or self.current_group_id(), field(s, "id")

        def fn():
            if text:
                Path(path).write_text(text, encoding="utf-8")
            else:
                Path(path).write_bytes(self.service.share_file(gid, sid))
            return path

        def done(result):
            if isinstance(result, Exception):
                self._show_error(result)
            else:
                self.message.setText(f"Saved to {path}.")

        self.message.setText("Saving…")
        self._in_background(fn, done, lane="network")

    # -- connections -----------------------------------------------------------------------------------------
    def add_connection(self) -> None:
        """Ask the person with the typed email to connect."""
        email = self.add_email.text().strip()
        if "@" not in email:
            self.message.setText("Type your classmate's email address.")
            return
        self._queue(lambda: self.service.request_connection(email), f"Request sent to {email}.",
                    after=lambda _r: clear_if_unchanged(self.add_email, email), kept=KEPT_TAIL)

    def answer(self, accept: bool) -> None:
        """Accept or decline the selected incoming request."""
        item = self.incoming.currentItem()
        if item is not None:
            cid = item.data(Qt.ItemDataRole.UserRole)
            self._queue(lambda: self.service.answer_connection(cid, accept),
                        "Connected." if accept else "Request declined.")

    def remove(self, widget: QListWidget) -> None:
        """Remove the selected connection (or cancel the selected request)."""
        item = widget.currentItem()
        if item is not None:
            cid = item.data(Qt.ItemDataRole.UserRole)
            self._queue(lambda: self.service.remove_connection(cid), "Removed.")

    def showEvent(self, event) -> None:
        """Coming back shows what the last sync brought."""
        super().showEvent(event)
        self.refresh()

    def closeEvent(self, event) -> None:
        """Stop taking work."""
        self.ops.close()
        super().closeEvent(event)
