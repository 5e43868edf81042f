"""Account: sign up or in to a sync server, devices, leaderboard opt-in, sync now, the outbox, passwords."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton,
    QScrollArea, QStackedWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.online import service as online
from lmgpa_desktop.ui.kit.plain_errors import plain_message
from lmgpa_desktop.ui.online.online_status import (
    OnlineStatus, field, label, selected_row, state_sentence, table, token_sentence, when,
)
from lmgpa_desktop.ui.online.account_passwords import ChangePasswordBox, ForgotPasswordBox
from lmgpa_desktop.ui.sync.sync_panel import SyncPanel

def sync_summary(result: dict) -> str:
    """One sentence about a finished sync."""
    status = result.get("status")
    pending, failed = result.get("pending", 0), result.get("outbox_failed", 0)
    if status == "offline":
        return f"The server cannot be reached: working offline; {pending} changes waiting."
    if status == "expired":
        return "Your session has expired: sign in again."
    if status == "busy":
        return "A sync is already running."
    if status == "cancelled":
        return f"Sync cancelled; {pending} changes waiting."
    parts = [f"Synced: {result.get('sent', 0)} sent"]
    if result.get("failed"):
        parts.append(f"{result['failed']} refused by the server (see the outbox)")
    if result.get("notifications"):
        parts.append(f"{result['notifications']} new notifications")
    if result.get("problems"):
        parts.append("some parts were not refreshed: " + "; ".join(result["problems"]))
    text = ", ".join(parts) + "."
    return text if not failed else text + f" {failed} changes need your attention."


STATE_TITLES = {"pending": "waiting", "sending": "sending…", "sent": "sent", "failed": "failed"}


class AccountPage(QWidget):
    """Signed out: the sign-in / sign-up form. Signed in: who, devices, sync and the outbox."""

    def __init__(self, ctx, status: OnlineStatus, parent=None, runner=None):
        super().__init__(parent)
        self.ctx, self.status = ctx, status
        self.runner = runner  # runs Sync of study data as a job; without one (tests of this page) no Sync section
        self.service = status.service
        self.busy = False
        self.devices_rows: list[dict] = []
        self.outbox_rows: list = []
        title = QLabel("Account")
        title.setObjectName("pageTitle")
        self.state_label = label("", "accountState")
        self.token_label = label("", "tokenStorage")
        self.message = label("", "accountMessage")
        self.spinner = QProgressBar()
        self.spinner.setRange(0, 0)
        self.spinner.setMaximumHeight(8)
        self.spinner.setTextVisible(False)
        self.spinner.setVisible(False)
        self.views = QStackedWidget()
        self.views.addWidget(self._signed_out_view())
        self.views.addWidget(self._signed_in_view())
        body = QWidget()
        layout = QVBoxLayout(body)
        for widget in (title, self.state_label, self.token_label, self.spinner, self.message):
            layout.addWidget(widget)
        layout.addWidget(self.views, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        status.state_changed.connect(self._show_state)
        status.sync_running.connect(self._sync_running)
        status.sync_progress.connect(lambda p: self.sync_label.setText(p.message or "Syncing…"))
        status.synced.connect(self._synced)
        self._show_state(status.state)

    # -- views ---------------------------------------------------------------------------------------------------
    def _signed_out_view(self) -> QWidget:
        view = QWidget()
        self.server = QLineEdit(online.DEFAULT_SERVER)
        self.server.setObjectName("serverUrl")
        self.email = QLineEdit()
        self.email.setPlaceholderText("you@school.example")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.display_name = QLineEdit()
        self.display_name.setPlaceholderText("only for a new account")
        self.role = QComboBox()
        self.role.addItem("Student", "student")
        self.role.addItem("Teacher", "teacher")
        self.sign_in_button = QPushButton("Sign in")
        self.sign_in_button.setObjectName("primary")
        self.sign_in_button.clicked.connect(self.sign_in)
        self.password.returnPressed.connect(self.sign_in)
        self.sign_up_button = QPushButton("Create account")
        self.sign_up_button.clicked.connect(self.sign_up)
        self.forgot_button = QPushButton("Forgot password?")
        self.forgot_button.setObjectName("forgotPassword")
        self.forgot_button.setFlat(True)
        self.forgot = ForgotPasswordBox(self)
        self.forgot.setVisible(False)
        self.forgot_button.clicked.connect(lambda: self.forgot.open(self.email.text().strip()))
        form = QFormLayout()
        form.addRow("Server", self.server)
        form.addRow("Email", self.email)
        form.addRow("Password", self.password)
        new = QGroupBox("New account")
        new_form = QFormLayout(new)
        new_form.addRow("Display name", self.display_name)
        new_form.addRow("I am a", self.role)
        new_form.addRow(self.sign_up_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sign_in_button)
        buttons.addWidget(self.forgot_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(view)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.forgot)
        layout.addWidget(new)
        layout.addWidget(label("Your study data stays on this computer. A sync server adds classes, study groups "
                                "and leaderboards; your school or a friend runs it."))
        layout.addStretch(1)
        return view

    def _signed_in_view(self) -> QWidget:
        view = QWidget()
        self.user_label = label("", "accountUser")
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.clicked.connect(self.sign_out)
        self.opt_in = QCheckBox("Show me on class and connection leaderboards (weekly points only)")
        self.opt_in.clicked.connect(self.set_opt_in)
        who = QHBoxLayout()
        who.addWidget(self.user_label, 1)
        who.addWidget(self.sign_out_button)

        self.sync_button = QPushButton("Sync now")
        self.sync_button.setObjectName("primary")
        self.sync_button.clicked.connect(self.sync_now)
        self.cancel_sync_button = QPushButton("Cancel")
        self.cancel_sync_button.setVisible(False)
        self.cancel_sync_button.clicked.connect(self.status.cancel_sync)
        self.sync_label = label("", "syncLabel")
        self.last_sync = label("", "lastSync")
        sync_row = QHBoxLayout()
        sync_row.addWidget(self.sync_button)
        sync_row.addWidget(self.cancel_sync_button)
        sync_row.addWidget(self.sync_label, 1)

        outbox_box = QGroupBox("Outbox: changes made here, sent to the server in order")
        self.outbox_table = table(["Action", "What", "State", "Error"], "outboxTable")
        self.outbox_table.itemSelectionChanged.connect(self._outbox_buttons)
        self.retry_button = QPushButton("Retry")
        self.retry_button.clicked.connect(self.retry_selected)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setToolTip("Drop this change without sending it")
        self.discard_button.clicked.connect(self.discard_selected)
        self.outbox_empty = label("Nothing waiting: everything you did online has been sent.", "muted")
        row = QHBoxLayout()
        row.addWidget(self.retry_button)
        row.addWidget(self.discard_button)
        row.addStretch(1)
        box = QVBoxLayout(outbox_box)
        box.addWidget(self.outbox_empty)
        box.addWidget(self.outbox_table)
        box.addLayout(row)

        devices_box = QGroupBox("Devices signed in to this account")
        self.devices_table = table(["Device", "Signed in", "Last used", ""], "devicesTable")
        self.devices_table.itemSelectionChanged.connect(self._device_buttons)
        self.load_devices_button = QPushButton("Show devices")
        self.load_devices_button.clicked.connect(lambda: self.load_devices())
        self.revoke_button = QPushButton("Sign out this device")
        self.revoke_button.clicked.connect(self.revoke_selected)
        drow = QHBoxLayout()
        drow.addWidget(self.load_devices_button)
        drow.addWidget(self.revoke_button)
        drow.addStretch(1)
        dbox = QVBoxLayout(devices_box)
        dbox.addWidget(self.devices_table)
        dbox.addLayout(drow)

        layout = QVBoxLayout(view)
        layout.addLayout(who)
        layout.addWidget(self.opt_in)
        layout.addLayout(sync_row)
        layout.addWidget(self.last_sync)
        self.sync_panel = SyncPanel(self.ctx, self.status, self.runner) if self.runner is not None else None
        if self.sync_panel is not None:
            layout.addWidget(self.sync_panel)
        layout.addWidget(outbox_box, 1)
        layout.addWidget(devices_box)
        self.change_password = ChangePasswordBox(self)
        layout.addWidget(self.change_password)
        return view

    # -- state -----------------------------------------------------------------------------------------------------
    def _show_state(self, state) -> None:
        status = field(state, "status", "signed_out")
        self.state_label.setText(state_sentence(state))
        self.state_label.setProperty("status", status)
        self.token_label.setText(token_sentence(state) if status != "signed_out" else "")
        self.token_label.setVisible(bool(self.token_label.text()))
        signed_in = status in ("online", "offline")
        self.views.setCurrentIndex(1 if signed_in else 0)
        last_server = field(state, "server_url")
        if status == "signed_out" and last_server and self.server.text() == online.DEFAULT_SERVER:
            self.server.setText(last_server)  # the server used last time, ready for signing in again
        if status == "expired":
            user = field(state, "user") or {}
            self.email.setText(field(user, "email", "") or self.email.text())
            self.server.setText(field(state, "server_url", "") or self.server.text())
        user = field(state, "user") or {}
        if signed_in:
            role = field(user, "role", "student")
            self.user_label.setText(f"<b>{field(user, 'display_name', '')}</b> · {field(user, 'email', '')} · "
                                    f"{role} · {field(state, 'server_url', '')}")
            self.opt_in.setChecked(bool(field(user, "leaderboard_opt_in", False)))
            last = field(state, "last_sync")
            self.last_sync.setText(f"Last sync: {when(last)}" if last else "Not synced yet.")
            self.refresh_outbox()
        self._enable()

    def _enable(self) -> None:
        for widget in (self.sign_in_button, self.sign_up_button, self.sign_out_button, self.opt_in,
                       self.load_devices_button):
            widget.setEnabled(not self.busy)
        self.change_password.set_busy(self.busy)
        self.forgot.set_busy(self.busy)
        self.sync_button.setEnabled(not self.busy and not self.status.syncing)
        self.spinner.setVisible(self.busy or self.status.syncing)
        self._device_buttons()
        self._outbox_buttons()

    def _start(self, message: str) -> bool:
        if self.busy:
            return False
        self.busy = True
        self.message.setText(message)
        self._enable()
        return True

    def _done(self, result, ok_text: str = "") -> bool:
        """Finish a call; show its error in the page. True when it worked."""
        self.busy = False
        self._enable()
        if isinstance(result, Exception):
            self.message.setText(plain_message(result))  # no command lines
            self.message.setProperty("error", True)
            return False
        self.message.setText(ok_text)
        self.message.setProperty("error", False)
        return True

    def say(self, text: str) -> None:
        """Tell the student something in the page (e.g. a field to fill in first)."""
        self.message.setText(text)

    def run(self, busy_text: str, fn, ok_text: str, on_ok=None) -> None:
        """Run fn in the background unless a call is running; its error or ok_text in the page, then on_ok()."""
        if not self._start(busy_text):
            return

        def done(result):
            if self._done(result, ok_text) and on_ok is not None:
                on_ok()

        self.status.call(fn, done)

    # -- sign in / up / out -------------------------------------------------------------------------------------
    def _credentials(self) -> tuple[str, str, str] | None:
        server, email, password = self.server.text().strip(), self.email.text().strip(), self.password.text()
        if not server or not email or not password:
            self.message.setText("Enter the server address, your email and your password.")
            return None
        return server, email, password

    def sign_in(self) -> None:
        """Sign in in the background."""
        creds = self._credentials()
        if creds and self._start(f"Signing in to {creds[0]}…"):
            self.status.call(lambda: self.service.sign_in(*creds), self._signed_in)

    def sign_up(self) -> None:
        """Create the account in the background, then it is signed in."""
        creds = self._credentials()
        name = self.display_name.text().strip()
        if creds is None:
            return
        if not name:
            self.message.setText("Enter a display name for the new account (classmates and teachers see it).")
            return
        role = self.role.currentData()
        if self._start(f"Creating your account on {creds[0]}…"):
            self.status.call(lambda: self.service.sign_up(*creds, name, role), self._signed_in)

    def _signed_in(self, result) -> None:
        if self._done(result, "Signed in. Syncing your classes and groups…"):
            self.password.clear()
            self.status.sync_now()

    def sign_out(self) -> None:
        """Sign out in the background (the server forgets this device when it can be reached)."""
        if self._start("Signing out…"):
            self.status.cancel_sync()
            self.devices_table.setRowCount(0)
            self.status.call(self.service.sign_out, lambda r: self._done(r, "Signed out. Your classes and groups "
                                                                            "come back when you sign in again."))

    def set_opt_in(self, flag: bool) -> None:
        """Join or leave leaderboards (needs the server)."""
        if not self._start("Saving your leaderboard choice…"):
            self.opt_in.setChecked(not flag)
            return

        def done(result):
            if not self._done(result, "You are on leaderboards." if flag else "You are off leaderboards."):
                self.opt_in.setChecked(not flag)
            else:
                self.status.sync_now()  # pulls the rankings with the new choice

        self.status.call(lambda: self.service.set_leaderboard_opt_in(flag), done)

    # -- sync --------------------------------------------------------------------------------------------------
    def sync_now(self) -> None:
        """Send the outbox and refresh everything now."""
        if self.status.sync_now():
            self.sync_label.setText("Syncing…")

    def _sync_running(self, running: bool) -> None:
        self.cancel_sync_button.setVisible(running)
        if running:
            self.sync_label.setText("Syncing…")
        self._enable()

    def _synced(self, result) -> None:
        if isinstance(result, Exception):
            self.sync_label.setText(f"Sync stopped: {result}")
        elif isinstance(result, dict):
            self.sync_label.setText(sync_summary(result))
            if self.message.text().startswith("Signed in."):
                self.message.setText("")  # the first sync it announced is done
        self.refresh_outbox()

    # -- outbox ------------------------------------------------------------------------------------------------
    def refresh_outbox(self) -> None:
        """Re-read the outbox (local)."""
        self.status.ops.run_either(self.service.outbox, self._show_outbox)

    def _show_outbox(self, rows) -> None:
        if isinstance(rows, Exception):
            self.message.setText(f"Could not read the outbox: {rows}")
            return
        selected = self._selected_outbox()
        self.outbox_rows = rows
        self.outbox_table.setRowCount(len(rows))
        for r, item in enumerate(rows):
            cells = [item.action.replace("_", " "), item.summary, STATE_TITLES.get(item.state, item.state),
                     item.error or ""]
            for c, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setData(Qt.ItemDataRole.UserRole, item.id)
                cell.setToolTip(text)
                self.outbox_table.setItem(r, c, cell)
            if selected is not None and item.id == selected.id:
                self.outbox_table.selectRow(r)
        self.outbox_table.setVisible(bool(rows))
        self.outbox_empty.setVisible(not rows)
        self._outbox_buttons()

    def _selected_outbox(self):
        row = selected_row(self.outbox_table)
        return self.outbox_rows[row] if row is not None and row < len(self.outbox_rows) else None

    def _outbox_buttons(self) -> None:
        item = self._selected_outbox()
        self.retry_button.setEnabled(item is not None and item.state == "failed")
        self.discard_button.setEnabled(item is not None and item.state in ("pending", "failed"))

    def retry_selected(self) -> None:
        """Put the selected failed change back in the queue and send it."""
        item = self._selected_outbox()
        if item is not None:
            self.status.ops.run_either(lambda: self.service.retry(item.id), self._after_outbox_change)

    def discard_selected(self) -> None:
        """Drop the selected change without sending it."""
        item = self._selected_outbox()
        if item is not None:
            self.status.ops.run_either(lambda: self.service.discard(item.id), self._after_outbox_change)

    def _after_outbox_change(self, result) -> None:
        if isinstance(result, Exception):
            self.message.setText(plain_message(result))  # no command lines
        self.status.queued()
        self.refresh_outbox()

    # -- devices -----------------------------------------------------------------------------------------------
    def load_devices(self, note: str = "") -> None:
        """Ask the server for the devices signed in to this account (note: what to say once they are shown)."""
        if self._start("Asking the server for your devices…"):
            self.status.call(self.service.devices, lambda rows: self._show_devices(rows, note))

    def _show_devices(self, rows, note: str = "") -> None:
        if not self._done(rows, note):
            return
        self.devices_rows = list(rows)
        self.devices_table.setRowCount(len(rows))
        for r, dev in enumerate(rows):
            cells = [field(dev, "device_name") or field(dev, "user_agent") or "unnamed device",
                     when(field(dev, "created_at")), when(field(dev, "last_used_at")),
                     "this computer" if field(dev, "current") else ""]
            for c, text in enumerate(cells):
                self.devices_table.setItem(r, c, QTableWidgetItem(text))
        self._device_buttons()

    def _selected_device(self) -> dict | None:
        row = selected_row(self.devices_table)
        return self.devices_rows[row] if row is not None and row < len(self.devices_rows) else None

    def _device_buttons(self) -> None:
        self.revoke_button.setEnabled(not self.busy and self._selected_device() is not None)

    def revoke_selected(self) -> None:
        """Sign the selected device out of this account."""
        dev = self._selected_device()
        if dev is None or not self._start("Signing that device out…"):
            return
        session_id = field(dev, "id")
        current = bool(field(dev, "current"))

        def done(result):
            ok = self._done(result, "This computer is signed out." if current else "That device is signed out.")
            if ok and not current:
                self.load_devices("That device is signed out.")

        self.status.call(lambda: self.service.revoke_device(session_id), done)
