"""The window's last-resort error hook: a full disk gets its own plain dialog, other errors the bug-report one."""

from __future__ import annotations

import errno
import sys
import threading

from PySide6.QtWidgets import QApplication, QMessageBox

from lmgpa_desktop.ui.shell import errors


def _dialogs(name: str) -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.objectName() == name]


def _raise_in_thread(exc: BaseException) -> None:
    def boom():
        raise exc

    t = threading.Thread(target=boom)
    t.start()
    t.join()


def test_disk_full_in_a_worker_says_so_plainly(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    relay = errors.install(str(tmp_path / "lmgpa.log"))
    _raise_in_thread(OSError(errno.ENOSPC, "No space left on device"))
    qtbot.waitUntil(lambda: bool(_dialogs("diskFullDialog")))
    box = _dialogs("diskFullDialog")[0]
    assert "Not enough disk space" in box.text()
    assert not _dialogs("errorDialog")
    box.close()
    del relay


def test_other_errors_still_get_the_bug_report_dialog(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    relay = errors.install(str(tmp_path / "lmgpa.log"))
    _raise_in_thread(KeyError("surprise"))
    qtbot.waitUntil(lambda: bool(_dialogs("errorDialog")))
    box = _dialogs("errorDialog")[0]
    assert "did not expect" in box.text() and str(tmp_path) in box.text()
    box.close()
    del relay
