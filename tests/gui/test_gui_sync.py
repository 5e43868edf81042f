"""The Sync section and the status bar (offscreen) driving the real sync service against a real server: set up
with the recovery key shown once, sync as a job, a conflict made on two profiles and resolved from the list, the
status line following along, removing a device and deleting the server copy, and a lecture whose audio is not here
yet downloaded from where it is played."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QPushButton, QStatusBar
from server_fixtures import PASSWORD

from lmgpa_desktop import paths
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.core.study import notes
from lmgpa_desktop.core.sync import keys
from lmgpa_desktop.core.sync import service as sync
from lmgpa_desktop.ui.sync import sync_dialogs

PASSPHRASE = "purple tulips under a loud kettle"
SHOTS = os.environ.get("LMGPA_SCREENSHOTS")  # a folder: also save the panel and the conflicts list there


@pytest.fixture(autouse=True)
def patient_waits(qtbot, monkeypatch):
    """Network and Argon2 work may take seconds on a loaded CI machine; none of these waits is a speed check."""
    wait = qtbot.waitUntil
    monkeypatch.setattr(qtbot, "waitUntil", lambda callback, *, timeout=30000: wait(callback, timeout=timeout))


class Device:
    """One computer: a profile, its online status, job runner, Account page (with the Sync section) and the
    status bar's sync line."""

    def __init__(self, qtbot, ctx):
        from lmgpa_desktop.ui.kit.job_runner import JobRunner
        from lmgpa_desktop.ui.online.account_page import AccountPage
        from lmgpa_desktop.ui.online.online_status import OnlineStatus
        from lmgpa_desktop.ui.sync.sync_status import SyncStatus

        self.qtbot, self.ctx = qtbot, ctx
        self.runner = JobRunner(ctx)
        self.runner.start()
        self.online = OnlineStatus(ctx)
        self.account = AccountPage(ctx, self.online, runner=self.runner)
        qtbot.addWidget(self.account)
        self.account.resize(1024, 900)
        self.account.show()  # laid out as on screen (the screenshots, reveal() scrolling to the section)
        self.panel = self.account.sync_panel
        qtbot.waitUntil(lambda: self.online.state is not None)  # its first reading, before signing in changes it
        self.line = SyncStatus(ctx, self.runner, self.online, self.account)
        self.status_bar = QStatusBar()  # where the window puts the line
        self.status_bar.addPermanentWidget(self.line.badge)
        qtbot.addWidget(self.status_bar)

    def sign_in(self, url: str, email: str, new: bool) -> None:
        """Sign in (the online pages' own tests cover the form), then let the first online sync finish."""
        service = self.online.service
        if new:
            service.sign_up(url, email, PASSWORD, "Sam", "student")
        else:
            service.sign_in(url, email, PASSWORD)
        self.online.refresh()
        self.settle()
        assert self.account.views.currentIndex() == 1  # the signed-in view, where the Sync section is

    def settle(self) -> None:
        """No online sync running or about to start, no sync job, nothing left to read."""
        self.qtbot.waitUntil(lambda: not self.online.syncing and not self.online.soon.isActive()
                             and not self.panel.running and not self.panel.busy and self.panel.ops.pending == 0
                             and self.line.ops.pending == 0 and self.panel.conflicts.ops.pending == 0)

    def set_up(self, passphrase: str = PASSPHRASE) -> None:
        self.panel.new_pair.first.setText(passphrase)
        self.panel.new_pair.second.setText(passphrase)
        self.panel.setup_button.click()

    def sync(self) -> str:
        """Press Sync now, wait for the job; the sentence the panel shows after it."""
        self.settle()
        self.panel.sync_button.click()
        assert self.panel.running and self.panel.cancel_button.isVisibleTo(self.panel)
        self.settle()
        return self.panel.progress_label.text()

    def line_text(self) -> str:
        self.line.refresh()
        self.settle()
        return self.line.badge.text()

    def close(self) -> None:
        self.line.stop()
        self.online.stop()
        self.runner.stop()


@pytest.fixture(autouse=True)
def shot_theme(qapp):
    """When screenshots are asked for, the light theme they are shown in (reset after, for the next tests)."""
    if not SHOTS:
        yield
        return
    from lmgpa_desktop.ui.shell import theme

    palette, sheet = qapp.palette(), qapp.styleSheet()
    theme.apply(qapp, "light")
    yield
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)


@pytest.fixture
def desk(qtbot, ctx, live_server, dict_keyring):
    """The student's first computer, signed in to a live server."""
    device = Device(qtbot, ctx)
    device.sign_in(live_server.url, f"sam.{os.getpid()}.{id(device)}@school.example", new=True)
    yield device
    device.close()


@pytest.fixture
def laptop(qtbot, desk, tmp_path, live_server, migrated_database):
    """The same student's second computer, with a profile of its own."""
    from lmgpa_desktop.storage.sync import outbox_repo

    home = tmp_path / "laptop"
    home.mkdir()
    shutil.copyfile(migrated_database, home / migrated_database.name)  # as the ctx fixture does: no migrating
    second = open_app(home)
    outbox_repo.reset_device(second.db)  # a copy of the same database: this computer gets its own device id
    device = Device(qtbot, second)
    device.sign_in(live_server.url, desk.online.service.state().user["email"], new=False)
    yield device
    device.close()
    second.close()


def _save(widget, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        QApplication.processEvents()  # the layout of rows just added
        assert widget.grab().save(str(Path(SHOTS) / name))


def _set_up_first(device: Device, qtbot) -> str:
    """Set up sync on the first computer; tick "I have saved it"; the recovery key."""
    device.set_up()
    qtbot.waitUntil(lambda: device.panel.recovery_dialog is not None)
    dialog = device.panel.recovery_dialog
    dialog.saved.setChecked(True)
    dialog.done_button.click()
    device.settle()
    return dialog.key


def test_set_up_conflict_resolved_from_the_list_audio_fetched_where_played(desk, laptop, qtbot):
    from lmgpa_desktop.storage import sources_repo
    from lmgpa_desktop.storage.sync import media_repo
    from lmgpa_desktop.ui.capture.transcript_view import TranscriptView

    panel = desk.panel
    assert not panel.enabled_view.isVisibleTo(panel)
    assert desk.line.badge.text() == "" and not desk.line.badge.isVisibleTo(desk.status_bar)  # not set up: silent
    _save(panel, "sync-setup.png")

    # Too short, then two passphrases that differ: said in the page, nothing sent.
    panel.new_pair.first.setText("tulips")
    assert panel.new_pair.hint.text().startswith("Too short")
    panel.new_pair.second.setText("tulips")
    panel.setup_button.click()
    assert "at least 10 characters" in panel.message.text() and not panel.busy
    panel.new_pair.first.setText(PASSPHRASE)
    assert panel.new_pair.hint.text() == "Strong."
    panel.new_pair.second.setText(PASSPHRASE + "!")
    panel.setup_button.click()
    assert "differ" in panel.message.text() and not panel.busy

    # The first computer makes the key: the recovery key is shown once, and only a decision closes the dialog.
    desk.set_up()
    assert panel.busy  # the key is made off the UI thread
    qtbot.waitUntil(lambda: panel.recovery_dialog is not None and panel.recovery_dialog.isVisible())
    dialog = panel.recovery_dialog
    _save(dialog, "sync-recovery-key.png")
    key = dialog.key_field.text()
    assert len(key.replace("-", "").replace(" ", "")) >= 26 and dialog.key_field.isReadOnly()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    dialog.close()
    assert dialog.isVisible() and not dialog.done_button.isEnabled()
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == key
    dialog.saved.setChecked(True)
    dialog.done_button.click()
    assert not dialog.isVisible()
    desk.settle()  # the first sync ran as a job
    assert panel.enabled_view.isVisibleTo(panel)
    assert desk.panel.progress_label.text().startswith("Synced:"), desk.panel.progress_label.text()
    assert desk.line_text() == "Synced just now" and desk.line.badge.isVisibleTo(desk.status_bar)
    _save(desk.panel, "sync-panel.png")

    note = notes.create(desk.ctx, title="Cell respiration", body_md="Glycolysis happens in the cytoplasm.")
    assert "waiting" in desk.line_text()  # a change made here, not sent yet
    assert desk.sync().startswith("Synced:")
    assert desk.line_text() == "Synced just now"

    # The second computer joins with the same passphrase: no new recovery key, the note arrives.
    laptop.set_up()
    laptop.settle()
    assert laptop.panel.recovery_dialog is None
    assert laptop.panel.enabled_view.isVisibleTo(laptop.panel)
    mine = {n.title: n for n in notes.listing(laptop.ctx)}
    assert "Cell respiration" in mine

    # Both edit the same note before syncing: the later edit is kept, the other shown as a conflict.
    notes.edit(desk.ctx, note.id, body_md="Glycolysis happens in the cytoplasm and yields 2 ATP.")
    notes.edit(laptop.ctx, mine["Cell respiration"].id, body_md="Glycolysis splits glucose into two pyruvates.")
    desk.sync()
    laptop.sync()
    assert laptop.line_text().endswith("· 1 conflict")
    rows = laptop.panel.conflicts.rows
    qtbot.waitUntil(lambda: len(rows) == 1)
    row = next(iter(rows.values()))
    assert "Note “Cell respiration” · text" in row.findChild(type(laptop.panel.state_label), "conflictHeading").text()
    assert row.current.toPlainText() == "Glycolysis splits glucose into two pyruvates."
    assert row.other.toPlainText() == "Glycolysis happens in the cytoplasm and yields 2 ATP."
    laptop.panel.reveal()  # what a click on the status line does: the keyboard lands on the first choice
    assert laptop.account.focusWidget() is row.buttons["current"]
    _save(laptop.panel.conflicts_box, "sync-conflicts.png")

    row.buttons["both"].click()
    qtbot.waitUntil(lambda: not rows)  # resolved: gone from the list
    assert laptop.panel.conflicts.empty.isVisibleTo(laptop.panel.conflicts)
    both = "Glycolysis splits glucose into two pyruvates.\n\nGlycolysis happens in the cytoplasm and yields 2 ATP."
    assert notes.get(laptop.ctx, mine["Cell respiration"].id).body_md == both
    assert "conflict" not in laptop.line_text()

    # A lecture added on the desk; on the laptop its audio has not arrived yet where it is played.
    audio = Path(paths.resource("samples", "sample_lecture.ogg"))
    stored = paths.media_dir(desk.ctx.home) / "lecture" / "sample_lecture.ogg"
    stored.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(audio, stored)
    sources_repo.create(desk.ctx.db, kind="audio", title="Sample lecture", stored_path=str(stored), status="ready",
                        size_bytes=stored.stat().st_size)
    laptop.sync()  # sends the choice
    desk.sync()  # receives it; sends the lecture and uploads its audio
    assert notes.get(desk.ctx, note.id).body_md == both  # the choice synced like an edit
    laptop.sync()
    src = next(s for s in sources_repo.listing(laptop.ctx.db) if s.title == "Sample lecture")
    # As if the background download had not reached it yet: not here, and marked missing.
    Path(src.stored_path).unlink()
    media_repo.set_state(laptop.ctx.db, media_repo.by_path(laptop.ctx.db, src.stored_path).sha256, "missing")
    view = TranscriptView(laptop.ctx, laptop.runner)
    qtbot.addWidget(view)
    view.show_source(src.id)
    bar = view.missing_audio
    qtbot.waitUntil(lambda: bar.isVisibleTo(view) and bar.download_button.isVisibleTo(view))
    assert "has not been downloaded here yet" in bar.text.text()
    bar.download_button.click()
    qtbot.waitUntil(lambda: bar.job_id is None and not bar.isVisibleTo(view))
    assert Path(src.stored_path).read_bytes() == audio.read_bytes()
    qtbot.waitUntil(lambda: view.player.source().isValid())  # the view read the source again, with its file


def test_passphrase_asked_again_remove_device_and_delete_server_data(desk, qtbot, monkeypatch):
    _set_up_first(desk, qtbot)
    panel = desk.panel
    asked: list[str] = []

    def answer(yes: bool):
        def confirm(_parent, _title, text, _button):
            asked.append(text)
            return yes
        return confirm

    # The key kept on this computer is gone (a system without a keyring, restarted): sync asks for the passphrase.
    state = sync.status(desk.ctx)
    keys.forget_local_key(state["account"]["server_url"], state["account"]["email"], state["device"])
    assert desk.sync().startswith("Sync stopped: type your sync passphrase again")
    assert desk.line_text().endswith("· passphrase needed") and panel.unlock_box.isVisibleTo(panel)
    panel.recovery_dialog = None
    panel.unlock_passphrase.setText(PASSPHRASE)
    panel.unlock_button.click()
    desk.settle()
    assert panel.progress_label.text().startswith("Synced:") and not panel.unlock_box.isVisibleTo(panel)
    assert panel.recovery_dialog is None  # the same key opened again: no new recovery key

    # Remove this computer: refused first (nothing changes), then accepted; its data stays, the key is gone.
    notes.create(desk.ctx, title="Krebs cycle", body_md="Happens in the mitochondrial matrix.")
    monkeypatch.setattr(sync_dialogs, "confirm", answer(False))
    panel.remove_button.click()
    desk.settle()
    assert sync.status(desk.ctx)["enabled"] and asked
    monkeypatch.setattr(sync_dialogs, "confirm", answer(True))
    panel.remove_button.click()
    desk.settle()
    assert "What stays: all your study data on this computer" in asked[-1]
    assert not sync.status(desk.ctx)["enabled"] and not panel.enabled_view.isVisibleTo(panel)
    assert desk.line_text() == ""
    assert [n.title for n in notes.listing(desk.ctx)] == ["Krebs cycle"]

    # Set up again with the same passphrase: the key on the server opens it, so no new recovery key.
    panel.recovery_dialog = None
    desk.set_up()
    desk.settle()
    assert panel.recovery_dialog is None and panel.enabled_view.isVisibleTo(panel)

    # Delete the server copy: the question names what goes and what stays; afterwards the server holds nothing.
    panel.delete_button.click()
    desk.settle()
    assert "Deleted from the server: the encrypted copy of your notes" in asked[-1]
    assert "Not deleted: anything on this computer" in asked[-1]
    assert panel.message.text().startswith("Deleted from the server:"), panel.message.text()
    assert not panel.enabled_view.isVisibleTo(panel) and desk.line_text() == ""
    status = desk.online.service.call(lambda client: client.get("/api/sync/status"))
    assert status["messages"] == 0 and not status["key"]
    assert [n.title for n in notes.listing(desk.ctx)] == ["Krebs cycle"]


def test_the_window_shows_the_sync_line_and_a_click_opens_account(laptop_window):
    win = laptop_window
    assert win.sync_status.badge.parentWidget() is not None
    assert win.sync_status.badge in win.statusBar().findChildren(QPushButton)
    win.show_area("home")
    win.sync_status.badge.click()
    assert win.current_area() == "account" and win.pages["account"].sync_panel is not None
