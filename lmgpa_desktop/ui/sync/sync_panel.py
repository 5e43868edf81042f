"""The Sync section of the Account page: set up, sync now, passphrase, recovery, remove device, delete, conflicts."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout, QGroupBox, QHBoxLayout, QLineEdit, QProgressBar, QPushButton, QScrollArea, QSizePolicy,
    QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.sync import service as sync
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.plain_errors import plain_message
from lmgpa_desktop.ui.kit.status_line import StatusLine
from lmgpa_desktop.ui.sync import sync_dialogs
from lmgpa_desktop.ui.sync.conflicts_list import ConflictsList
from lmgpa_desktop.ui.sync.events import sync_events
from lmgpa_desktop.ui.sync.fields import PassphrasePair, label, password_field, server_of
from lmgpa_desktop.ui.sync.sync_dialogs import RecoveryKeyDialog
from lmgpa_desktop.ui.sync.words import result_sentence, status_sentence

JOB_KIND = "sync.personal"
INTRO = ("Keep your notes, decks and reviews, sources and recordings, tests, goals and chats the same on every "
         "computer you sign in on. Everything is encrypted on this computer before it leaves: the server keeps it "
         "but cannot read it (it sees only sizes, counts and times). Choose a sync passphrase, not your account "
         "password. On your other computers, set up sync with the same passphrase: what each one has is merged, "
         "nothing is replaced.")
RECOVER_HELP = ("Forgot your sync passphrase? Enter the recovery key you saved when you set up sync, and choose a "
                "new passphrase.")


class SyncPanel(QGroupBox):
    """Sync of personal study data, for the signed-in student; network and database work never on the UI thread."""

    def __init__(self, ctx, online, runner, parent=None):
        super().__init__("Sync your study data between your computers", parent)
        self.setObjectName("syncPanel")
        # Never squeezed below its content by the page's scroll area (the page scrolls instead).
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.ctx, self.online, self.runner = ctx, online, runner
        self.ops = Operations(self, "sync-panel")
        self.events = sync_events(online)
        self.status: dict | None = None
        self.busy = False
        self.job_id: int | None = None
        self.recovery_dialog: RecoveryKeyDialog | None = None
        self.state_label = label("Reading the sync state…", "syncState")
        self.message = StatusLine("", "syncMessage")  # done messages clear themselves; problems stay
        # Two views, one shown; plain widgets (not a stack) so the section is as tall as the one shown.
        self.setup_view, self.enabled_view = self._setup_view(), self._enabled_view()
        self.enabled_view.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state_label)
        layout.addWidget(self.message)
        layout.addWidget(self.setup_view)
        layout.addWidget(self.enabled_view)
        self.events.changed.connect(self.refresh)
        online.synced.connect(lambda _result: self.refresh())  # the background online sync syncs study data too
        runner.progress.connect(self._progress)
        runner.finished.connect(self._finished)
        self.refresh()

    # -- views -----------------------------------------------------------------------------------------------------
    def _setup_view(self) -> QWidget:
        view = QWidget()
        self.new_pair = PassphrasePair("setup")
        self.setup_button = QPushButton("Set up sync")
        self.setup_button.setObjectName("primary")
        self.setup_button.clicked.connect(self.set_up)
        self.new_pair.second.returnPressed.connect(self.set_up)
        self.show_recover = QPushButton("Use my recovery key")
        self.show_recover.setFlat(True)
        self.show_recover.clicked.connect(lambda: self._toggle_recover(True))
        row = QHBoxLayout()
        row.addWidget(self.setup_button)
        row.addWidget(self.show_recover)
        row.addStretch(1)
        self.recover_box = QGroupBox("Use my recovery key")
        self.recovery_key = QLineEdit()
        self.recovery_key.setObjectName("recoveryKeyInput")
        self.recovery_key.setPlaceholderText("the recovery key shown when sync was set up")
        self.recover_pair = PassphrasePair("recover", "New sync passphrase")
        self.recover_button = QPushButton("Set the new passphrase")
        self.recover_button.clicked.connect(self.recover)
        box = QFormLayout(self.recover_box)
        box.addRow(label(RECOVER_HELP))
        box.addRow("Recovery key", self.recovery_key)
        box.addRow(self.recover_pair)
        recover_row = QHBoxLayout()
        recover_row.addWidget(self.recover_button)
        recover_row.addStretch(1)
        box.addRow(recover_row)
        self.recover_box.setVisible(False)
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label(INTRO))
        layout.addWidget(self.new_pair)
        layout.addLayout(row)
        layout.addWidget(self.recover_box)
        return view

    def _enabled_view(self) -> QWidget:
        view = QWidget()
        self.sync_button = QPushButton("Sync study data now")
        self.sync_button.setObjectName("primary")
        self.sync_button.clicked.connect(self.sync_now)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(320)
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.progress.setAccessibleName("Sync progress")
        self.progress_label = label("", "syncProgress")
        row = QHBoxLayout()
        row.addWidget(self.sync_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress, 1)
        row.addStretch(1)

        self.unlock_box = QGroupBox("Type your sync passphrase")
        self.unlock_passphrase = password_field("unlockPassphrase")
        self.unlock_button = QPushButton("Unlock sync")
        self.unlock_button.clicked.connect(self.unlock)
        self.unlock_passphrase.returnPressed.connect(self.unlock)
        unlock = QHBoxLayout(self.unlock_box)
        unlock.addWidget(self.unlock_passphrase, 1)
        unlock.addWidget(self.unlock_button)
        self.unlock_box.setVisible(False)

        self.conflicts_box = QGroupBox("Conflicts: the same text changed on two computers")
        self.conflicts = ConflictsList(self.ctx)
        self.conflicts.resolved.connect(self.events.changed.emit)
        QVBoxLayout(self.conflicts_box).addWidget(self.conflicts)

        self.change_box = QGroupBox("Change sync passphrase")
        self.change_pair = PassphrasePair("change", "New sync passphrase")
        self.change_button = QPushButton("Change passphrase")
        self.change_button.clicked.connect(self.change_passphrase)
        change = QVBoxLayout(self.change_box)
        change.addWidget(self.change_pair)
        change.addWidget(label("Your other computers keep syncing; they ask for the new passphrase only when set "
                               "up again. Your recovery key stays valid.", "muted"))
        change.addWidget(self.change_button, 0, Qt.AlignmentFlag.AlignLeft)

        self.remove_button = QPushButton("Remove this computer from sync…")
        self.remove_button.clicked.connect(self.remove_device)
        self.delete_button = QPushButton("Delete my synced data from the server…")
        self.delete_button.setObjectName("deleteServerData")
        self.delete_button.clicked.connect(self.delete_server_data)
        danger = QHBoxLayout()
        danger.addWidget(self.remove_button)
        danger.addWidget(self.delete_button)
        danger.addStretch(1)

        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.unlock_box)
        layout.addWidget(self.conflicts_box)
        layout.addWidget(self.change_box)
        layout.addLayout(danger)
        return view

    def _toggle_recover(self, show: bool) -> None:
        self.recover_box.setVisible(show)
        if show:
            self.recovery_key.setFocus()

    # -- state -----------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the sync state (local) and the conflicts again."""
        ctx = self.ctx
        self.ops.run_either(lambda: sync.status(ctx), self._show_status)

    def _show_status(self, status) -> None:
        if isinstance(status, Exception):
            self.state_label.setText(f"Could not read the sync state: {plain_message(status)}")
            return
        self.status = status
        enabled = bool(status.get("enabled"))
        self.state_label.setText(status_sentence(status))
        self.setup_view.setVisible(not enabled)
        self.enabled_view.setVisible(enabled)
        # No key here (a keyring-less computer after a restart), or the server's key was replaced: ask again.
        self.unlock_box.setVisible(bool(status.get("needs_passphrase")))
        if enabled:
            self.conflicts.refresh()
        self._enable()

    @property
    def running(self) -> bool:
        """A sync job of this panel is queued or running."""
        return self.job_id is not None

    def _enable(self) -> None:
        idle = not self.busy
        for widget in (self.setup_button, self.recover_button, self.change_button, self.remove_button,
                       self.delete_button, self.unlock_button):
            widget.setEnabled(idle and not self.running)
        self.sync_button.setEnabled(idle and not self.running)
        self.cancel_button.setVisible(self.running)
        self.progress.setVisible(self.running)

    def _call(self, busy_text: str, work, done) -> None:
        """Run network work in the background, one call at a time; done(result or exception) on the UI thread."""
        if self.busy:
            return
        self.busy = True
        self.message.setText(busy_text)
        self._enable()

        def finished(result) -> None:
            self.busy = False
            self._enable()
            if isinstance(result, Exception):
                self.warn(plain_message(result))
            else:
                done(result)
            self.events.changed.emit()  # the status bar and this panel read the state again

        self.ops.run_either(work, finished, lane="network")

    def say(self, text: str) -> None:
        """Something done, in the section (it clears itself after a while)."""
        self.message.setText(text)

    def warn(self, text: str) -> None:
        """A problem the student has to read: it stays until the next message."""
        self.message.show_error(text)


    def reveal(self) -> None:
        """Scroll the page to this section (to the conflicts when there are some) and put the keyboard on it."""
        target = self.conflicts_box if self.status and self.status.get("enabled") and self.conflicts.rows else self
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(target, 0, 0)
        first = next(iter(self.conflicts.rows.values()), None) if target is self.conflicts_box else None
        button = first.buttons["current"] if first else (
            self.sync_button if self.enabled_view.isVisibleTo(self) else self.new_pair.first)
        button.setFocus()

    # -- set up, recover ---------------------------------------------------------------------------------------------
    def set_up(self) -> None:
        """Make the sync key (first computer) or unlock it with the passphrase (another one), then sync."""
        passphrase, problem = self.new_pair.value()
        if passphrase is None:
            self.warn(problem)
            return
        ctx = self.ctx
        # The first sync runs as a job (progress, Cancel), not inside this call.
        self._call("Setting up sync (the key takes a few seconds)…",
                   lambda: sync.setup(ctx, passphrase, first_sync=False), self._set_up)

    def _set_up(self, result: dict) -> None:
        self.new_pair.clear()
        if result.get("created"):
            self.say("Sync is set up. Your study data is being encrypted and sent.")
        else:
            self.say("This computer joined sync: its data and your other computers' data are being merged.")
        if result.get("key_storage") == "memory":
            self.warn(self.message.text() + " This system has no keyring: after a restart, type your sync "
                     "passphrase again here.")
        key = result.get("recovery_key")
        if key:
            self.recovery_dialog = RecoveryKeyDialog(key, self.window())
            self.recovery_dialog.open()  # modal without blocking: the first sync runs meanwhile
        self.sync_now()

    def unlock(self) -> None:
        """Open the sync key again with the passphrase (set up again, which merges, never replaces), then sync."""
        passphrase = self.unlock_passphrase.text()
        if not passphrase:
            self.warn("Type your sync passphrase.")
            return
        ctx = self.ctx

        def done(result: dict) -> None:
            self.unlock_passphrase.clear()
            self._set_up(result)

        self._call("Opening your sync key…", lambda: sync.setup(ctx, passphrase, first_sync=False), done)

    def recover(self) -> None:
        """Unlock the sync key with the recovery key and wrap it with a new passphrase."""
        key = self.recovery_key.text().strip()
        passphrase, problem = self.recover_pair.value()
        if not key:
            self.warn("Enter your recovery key.")
            return
        if passphrase is None:
            self.warn(problem)
            return
        ctx = self.ctx

        def done(result) -> None:
            self.recovery_key.clear()
            self.recover_pair.clear()
            self._toggle_recover(False)
            self.say("Your new sync passphrase is set. Use it on your other computers from now on.")
            self.sync_now()

        self._call("Checking your recovery key…", lambda: sync.recover(ctx, key, passphrase), done)

    # -- sync now ---------------------------------------------------------------------------------------------------
    def sync_now(self) -> None:
        """Sync as a job (progress and Cancel here, in the status bar and in the jobs panel)."""
        if self.running:
            return
        self.job_id = self.runner.submit(JOB_KIND, {}, "Sync study data")
        self.progress.setRange(0, 0)
        self.progress_label.setText("Syncing…")
        self._enable()

    def cancel(self) -> None:
        """Stop the sync after its current step: what arrived is kept, the rest comes next time."""
        if self.job_id is not None:
            self.runner.cancel(self.job_id)
            self.progress_label.setText("Stopping…")

    def _progress(self, job_id: int, report) -> None:
        if job_id != self.job_id:
            return
        if report.fraction is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(report.fraction * 1000))
        self.progress_label.setText(report.message or "Syncing…")

    def _finished(self, job) -> None:
        if job.id != self.job_id:
            return
        self.job_id = None
        if job.state == "done":
            self.progress_label.setText(result_sentence(job.result))
        elif job.state == "cancelled":
            self.progress_label.setText("Sync cancelled. What arrived is kept; the rest comes with the next sync.")
        else:
            self.progress_label.setText(f"Sync stopped: {plain_message(job.error or 'unknown problem')}")
        self._enable()
        self.events.changed.emit()

    # -- passphrase, device, server data -------------------------------------------------------------------------------
    def change_passphrase(self) -> None:
        """Wrap the same sync key with a new passphrase (nothing is re-encrypted)."""
        passphrase, problem = self.change_pair.value()
        if passphrase is None:
            self.warn(problem)
            return
        ctx = self.ctx

        def done(_result) -> None:
            self.change_pair.clear()
            self.say("Your sync passphrase is changed. Use the new one when you set up sync on another computer.")

        self._call("Changing your sync passphrase…", lambda: sync.change_passphrase(ctx, passphrase), done)

    def remove_device(self) -> None:
        """Stop syncing here and forget the key; all data stays (after saying so)."""
        if not sync_dialogs.confirm(self, "Remove this computer from sync", sync_dialogs.REMOVE_DEVICE,
                                    "Stop syncing here"):
            return
        ctx = self.ctx
        self._call("Removing this computer from sync…", lambda: sync.forget_this_device(ctx),
                   lambda _r: self.say("This computer no longer syncs. Your study data here is unchanged."))

    def delete_server_data(self) -> None:
        """Delete everything synced from the server (after naming it); nothing local is touched."""
        server = server_of(self.online.state)
        if not sync_dialogs.confirm(self, "Delete my synced data from the server", sync_dialogs.delete_text(server),
                                    "Delete from the server"):
            return
        ctx = self.ctx

        def done(result) -> None:
            result = result or {}
            self.say(f"Deleted from the server: {result.get('messages', 0)} encrypted changes and "
                     f"{result.get('blobs', 0)} files. Nothing on this computer was deleted.")

        self._call("Deleting your synced data from the server…", lambda: sync.delete_server_data(ctx), done)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.ops.close()
        super().closeEvent(event)
