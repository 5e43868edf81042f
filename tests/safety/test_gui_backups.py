"""Settings → Backups and the damaged-data start, offscreen: back up, verify, check media, restore and reopen."""

from __future__ import annotations

from functools import partial

import pytest
from damage import add_cards, fronts, overwrite_pages, sha256
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QMessageBox

from lmgpa_desktop import paths
from lmgpa_desktop.app import attach, build_window
from lmgpa_desktop.core.safety import backups
from lmgpa_desktop.ui.safety.profile_host import ProfileHost
from lmgpa_desktop.ui.shell.main_window import MainWindow
from lmgpa_desktop.ui.shell.profile_loader import ProfileLoader

WAIT_MS = 60_000


def _back_up(ctx, reason: str = "manual"):
    """A backup made through core (as the job does), returning its BackupInfo."""
    steps = backups.back_up(ctx.db, ctx.home, reason)
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


@pytest.fixture
def opened_urls(monkeypatch) -> list[str]:
    """What "Open folder" asked the desktop to show (no file manager opens in a test)."""
    urls: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: urls.append(url.toLocalFile()) or True)
    return urls


@pytest.fixture
def host_for(qtbot):
    """Make a ProfileHost as app.py does (the loader, a fresh window per reopen, attach without the welcome)."""
    made: list[ProfileHost] = []

    def make(home) -> ProfileHost:
        def new_window() -> MainWindow:
            window = MainWindow({})
            qtbot.addWidget(window)
            return window

        host = ProfileHost(new_window(), home, ProfileLoader, new_window, partial(attach, welcome=False))
        host.window.show()
        made.append(host)
        return host

    yield make
    for host in made:
        host.wait()
        host.window.close()
        host.close()


def _settings_panel(window):
    window.show_area("settings")
    return window.pages["settings"].backups


def test_back_up_verify_check_media_and_open_folder(qtbot, ctx, home, opened_urls):
    window = build_window(ctx)
    qtbot.addWidget(window)
    window.show()
    panel = _settings_panel(window)
    qtbot.waitUntil(lambda: panel.ops.pending == 0)
    assert panel.table.rowCount() == 0 and not panel.empty.isHidden() and not panel.restore_button.isEnabled()

    panel.backup_button.click()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1 and panel.backup_button.isEnabled(), timeout=WAIT_MS)
    cells = [panel.table.item(0, c).text() for c in range(4)]
    assert cells[1] == "Made by you" and cells[3] == "Yes" and cells[2].endswith("B")
    assert panel.status.text().startswith("Backed up (") and panel.restore_button.isEnabled()

    panel.verify_button.click()
    qtbot.waitUntil(lambda: panel.status.text() == "The backup passed its check.", timeout=WAIT_MS)

    stray = paths.media_dir(home) / "x1" / "left-behind.wav"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"RIFF")
    panel.check_button.click()
    qtbot.waitUntil(lambda: panel.check_button.isEnabled() and "Media:" in panel.check_summary.text(),
                    timeout=WAIT_MS)
    assert "passed SQLite's integrity check" in panel.check_summary.text()
    assert "1 file(s) in the media folder are not used" in panel.check_summary.text()
    assert f"Not used: {stray}" in panel.check_list.toPlainText() and stray.is_file()

    panel.folder_button.click()
    assert opened_urls == [str(paths.backups_dir(home))]
    assert panel.export_button.isEnabled() and panel.import_button.isEnabled()
    window.close()


def test_restore_from_settings_backs_up_the_current_state_then_reopens(qtbot, ctx, home, host_for, monkeypatch):
    add_cards(ctx, 40)
    ctx.close()
    host = host_for(home)
    with qtbot.waitSignal(host.opened, timeout=WAIT_MS):
        host.open()
    first_window = host.window
    panel = _settings_panel(first_window)
    panel.backup_button.click()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1 and panel.backup_button.isEnabled(), timeout=WAIT_MS)
    kept = fronts(host.ctx)
    add_cards(host.ctx, 5, deck="Made after the backup", start=1000)
    later = fronts(host.ctx)
    assert later > kept

    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    panel.table.selectRow(0)
    with qtbot.waitSignal(host.restored, timeout=WAIT_MS) as restored:
        panel.restore_button.click()
    assert "saved first as another backup" in asked[0]
    assert host.window is not first_window and host.window.current_area() == "settings"
    assert fronts(host.ctx) == kept  # the backup's data, in a reopened profile
    assert restored.args[0].damaged_folder is None
    listed = backups.list_backups(home)
    before = [b for b in listed if b.reason == "before-restore"]
    assert len(listed) == 2 and len(before) == 1 and before[0].verified
    panel = host.window.pages["settings"].backups
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2)
    assert "Before a restore" in [panel.table.item(r, 1).text() for r in range(2)]


def test_a_damaged_profile_at_start_offers_the_newest_backup_and_restores_it(qtbot, ctx, home, host_for):
    add_cards(ctx, 300)
    backup = _back_up(ctx)
    kept = fronts(ctx)
    add_cards(ctx, 300, deck="After the backup", start=5000)  # lost with the damage: the backup predates it
    ctx.close()
    db_path = paths.database_path(home)
    overwrite_pages(db_path)
    damaged_hash = sha256(db_path)

    host = host_for(home)
    host.open()
    qtbot.waitUntil(lambda: host.dialog is not None and host.dialog.isVisible(), timeout=WAIT_MS)
    dialog = host.dialog
    shown = dialog.findChild(QLabel, "damagedText").text()
    assert "is damaged" in shown and "Nothing has been changed or deleted" in shown and str(db_path) in shown
    assert dialog.restore_button.text().startswith("Restore backup from ")
    assert sha256(db_path) == damaged_hash  # showing the dialog changed nothing

    with qtbot.waitSignal(host.restored, timeout=WAIT_MS) as restored:
        dialog.restore_button.click()
    done = restored.args[0]
    assert done.backup.id == backup.id
    assert fronts(host.ctx) == kept  # the data is back, and the app is attached and running
    assert host.window.runner is not None
    assert sha256(done.damaged_folder / db_path.name) == damaged_hash  # kept aside, byte for byte
    assert done.damaged_folder.parent == home / "damaged"
    qtbot.waitUntil(lambda: "Your data is back" in host.window.statusBar().currentMessage())


def test_quit_on_a_damaged_profile_without_backups_leaves_it_as_it_was(qtbot, ctx, home, host_for, opened_urls):
    add_cards(ctx, 200)
    ctx.close()
    db_path = paths.database_path(home)
    overwrite_pages(db_path)
    damaged_hash = sha256(db_path)
    host = host_for(home)
    host.open()
    qtbot.waitUntil(lambda: host.dialog is not None and host.dialog.isVisible(), timeout=WAIT_MS)
    assert host.dialog.restore_button is None  # no sound backup: nothing to offer but the folder and Quit
    host.dialog.folder_button.click()
    assert opened_urls == [str(home)]
    with qtbot.waitSignal(host.gave_up, timeout=5000):
        host.dialog.quit_button.click()
    assert host.ctx is None and sha256(db_path) == damaged_hash and not (home / "damaged").exists()


def test_the_schedule_saves_each_change_and_the_timer_follows_it(qtbot, ctx):
    from lmgpa_desktop.core.safety.auto_backup import AutoBackup
    from lmgpa_desktop.ui.safety.backup_schedule import BackupSchedule

    schedule = BackupSchedule(ctx.settings)
    qtbot.addWidget(schedule)
    assert schedule.auto.isChecked() and schedule.minutes.value() == 30  # Anki's defaults
    schedule.minutes.setValue(45)
    schedule.keep["backups.keep_weekly"].setValue(4)
    assert ctx.settings.get("backups.interval_minutes") == 45 and ctx.settings.get("backups.keep_weekly") == 4
    schedule.auto.setChecked(False)
    assert ctx.settings.get("backups.auto") is False and not schedule.minutes.isEnabled()
    policy = AutoBackup(ctx)
    assert not policy.enabled() and policy.interval_s() == 45 * 60
