"""The GUI's automatic backups: the timer backs up off the UI thread, and quitting backs up before the process exits."""

from __future__ import annotations

import subprocess
import sys
import threading

from damage import add_cards
from lmgpa_desktop.core.safety import auto_backup as core_auto
from lmgpa_desktop.core.safety import backups
from lmgpa_desktop.ui.safety.auto_backup import AutoBackupTimer


def test_the_timer_backs_up_changed_data_on_a_worker_thread(qtbot, ctx, monkeypatch):
    threads = []
    real = core_auto.back_up
    monkeypatch.setattr(core_auto, "back_up", lambda *a, **k: threads.append(threading.current_thread()) or real(*a,
                                                                                                           **k))
    timer = AutoBackupTimer(ctx, check_ms=20)
    timer.auto._clock = lambda: 10.0 ** 9  # as if 30 minutes of use had passed
    with qtbot.waitSignal(timer.backed_up, timeout=20_000) as made:
        add_cards(ctx, 5)
    assert made.args[0].reason == "auto" and threads and threads[0] is not threading.main_thread()
    assert [b.reason for b in backups.list_backups(ctx.home)] == ["auto"]
    timer.on_quit()  # nothing changed since: no second backup
    assert len(backups.list_backups(ctx.home)) == 1


def test_quit_backs_up_when_data_changed(qtbot, ctx):
    timer = AutoBackupTimer(ctx)
    add_cards(ctx, 3)
    timer.on_quit()
    assert [b.reason for b in backups.list_backups(ctx.home)] == ["quit"]


def test_the_app_backs_up_on_quit_before_it_exits(home, migrated_database):
    import shutil

    home.mkdir(parents=True)
    shutil.copyfile(migrated_database, home / migrated_database.name)
    script = ("from lmgpa_desktop.core.safety import auto_backup\n"
              "auto_backup.AutoBackup.changed = lambda self: True  # as if the student had studied\n"
              "from lmgpa_desktop.app import run_gui\n"
              f"raise SystemExit(run_gui(home={str(home)!r}, exit_when_ready=True))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    made = backups.list_backups(home)
    assert [b.reason for b in made] == ["quit"] and made[0].verified
