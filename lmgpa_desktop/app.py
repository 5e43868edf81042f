"""Composition root of the GUI: paint the window first, open the profile on a thread, then attach."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

_T0 = time.perf_counter()
BOOT_KEYS = ["ui.theme", "ui.geometry", "ui.last_page"]


def run_gui(home: str | None = None, exit_when_ready: bool = False, screenshot: str | None = None,
            open_file: str | None = None) -> int:
    """Open the window; returns the exit code. open_file: an Anki deck to import once the profile is open."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication, QMessageBox

    from lmgpa_desktop import __version__, paths
    from lmgpa_desktop.storage.peek import peek_settings
    from lmgpa_desktop.ui.shell import errors
    from lmgpa_desktop.ui.shell import theme
    from lmgpa_desktop.ui.shell.main_window import MainWindow
    from lmgpa_desktop.ui.shell.profile_loader import ProfileLoader
    from lmgpa_desktop.ui.safety.profile_host import ProfileHost

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Little Monster GPA")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Little Monster GPA")
    app.setWindowIcon(QIcon(str(paths.resource("icons", "app.svg"))))
    home_path = Path(home) if home else paths.data_dir()
    boot = peek_settings(paths.database_path(home_path), BOOT_KEYS)
    theme.apply(app, str(boot.get("ui.theme") or "light"))
    relay = errors.install(str(paths.logs_dir(home_path) / "lmgpa.log"))
    window = MainWindow(boot)
    window._error_relay = relay
    window.show()
    state: dict = {"code": 0}

    def opened(ctx: AppContext) -> None:  # the host has attached it to its window
        from lmgpa_desktop.ui.safety.auto_backup import AutoBackupTimer

        state["auto_backup"] = AutoBackupTimer(ctx, host.window)  # every 30 minutes of use when changed, and on quit
        if open_file and not state.get("opened_file"):  # `lmgpa deck.apkg`, the desktop entry's `Exec=lmgpa %f`
            from lmgpa_desktop.ui.shell.open_file import open_anki_file

            state["opened_file"] = open_anki_file(host.window, Path(open_file))
        if exit_when_ready:
            print(f"loaded {time.perf_counter() - _T0:.4f}", flush=True)
            QTimer.singleShot(0, finish)

    def failed(message: str) -> None:
        print(f"lmgpa: error: {message}", file=sys.stderr)
        QMessageBox.critical(host.window, "Little Monster GPA cannot open your data", message)
        state["code"] = 1
        app.quit()

    def finish() -> None:
        if screenshot:
            host.window.grab().save(screenshot)
        host.window.close()
        app.quit()

    def new_window() -> MainWindow:  # after a restore the profile reopens in a fresh window (pages hold the old one)
        fresh = MainWindow(boot)
        fresh._error_relay = relay
        return fresh

    # Also offers a restore when damaged. The first-run welcome: never in --exit-when-ready's timings and screenshots.
    host = ProfileHost(window, home_path, ProfileLoader, new_window,
                       lambda win, ctx: attach(win, ctx, first_run=not exit_when_ready))
    host.opened.connect(opened)
    host.failed.connect(failed)
    host.gave_up.connect(lambda: (state.update(code=1), app.quit()))

    def painted() -> None:
        # Open the profile only once the window is on screen, so the import work never delays the first paint.
        if exit_when_ready:
            print(f"ready {time.perf_counter() - _T0:.4f}", flush=True)  # read by benchmarks/startup.py
        host.open()

    QTimer.singleShot(0, painted)
    code = app.exec()
    host.wait()
    auto_backup = state.get("auto_backup")
    if auto_backup is not None and host.ctx is auto_backup.ctx:
        auto_backup.on_quit()  # the window is gone, so this waits on nothing the student sees; done before exit
    host.close()
    return state["code"] or code


def attach(window, ctx: AppContext, welcome: bool = True, first_run: bool = False) -> None:
    """Give an open profile to the window: job runner, pages, settings-driven theme; a new profile's welcome.

    first_run: the once-per-user welcome first (run_gui asks for it; tests only when they test it)."""
    from lmgpa_desktop.core.capture.recording_recovery import recover_interrupted
    from lmgpa_desktop.ui.kit.job_runner import JobRunner

    recovered = recover_interrupted(ctx)  # a recording cut short by a crash: queue its finalize job
    runner = JobRunner(ctx)
    window.attach(ctx, runner)
    if recovered:
        window.statusBar().showMessage(
            f"Recovered {len(recovered)} recording(s) interrupted last time; they are being saved and transcribed.",
            15000)
    runner.start()
    if first_run:
        from lmgpa_desktop.ui.shell.first_run import offer_first_run

        offer_first_run(window)  # once per user; then, as below, the per-profile welcome
    elif welcome:
        from lmgpa_desktop.ui.shell.welcome import offer_welcome

        offer_welcome(window)  # once per profile, when it has no sources and no decks


def build_window(ctx: AppContext, welcome: bool = False, first_run: bool = False):
    """A ready window for an already open profile (tests use this; the welcome only when asked, as it takes focus)."""
    from PySide6.QtWidgets import QApplication

    from lmgpa_desktop.ui.shell import errors
    from lmgpa_desktop.ui.shell import theme
    from lmgpa_desktop.ui.shell.main_window import MainWindow

    theme.apply(QApplication.instance(), str(ctx.settings.get("ui.theme")))
    window = MainWindow({k: ctx.settings.get(k) for k in BOOT_KEYS})
    window._error_relay = errors.install(str(ctx.log_path))
    attach(window, ctx, welcome, first_run)
    return window
