"""Unexpected exceptions become a dialog that names the log file, instead of a silent exit."""

from __future__ import annotations

import logging
import sys
import threading
import traceback

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from lmgpa_desktop.core.disk_space import is_disk_full
from lmgpa_desktop.ui.kit.plain_errors import plain_message

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Carries exceptions from any thread to the UI thread."""

    raised = Signal(str, str)
    disk_full = Signal(str)


def install(log_path: str) -> _Relay:
    """Route sys/threading excepthooks to a dialog; returns the relay (keep a reference)."""
    relay = _Relay()
    relay.raised.connect(lambda summary, details: _show(summary, details, log_path),
                         Qt.ConnectionType.QueuedConnection)
    relay.disk_full.connect(_show_disk_full, Qt.ConnectionType.QueuedConnection)

    def hook(exc_type, exc, tb):
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        if is_disk_full(exc):  # expected on a full disk: say so plainly, not "a problem it did not expect"
            log.warning("disk full:\n%s", details)
            relay.disk_full.emit(str(exc) if "disk space" in str(exc) else
                                 "Not enough disk space: the last change could not be saved. "
                                 "Free some space and try again.")
            return
        log.error("unexpected error:\n%s", details)
        relay.raised.emit(plain_message(exc), details)  # the class name and traceback go to "Show Details"

    sys.excepthook = hook
    threading.excepthook = lambda args: hook(args.exc_type, args.exc_value, args.exc_traceback)
    return relay


def _show_disk_full(message: str) -> None:
    if QApplication.instance() is None:
        return
    box = QMessageBox(QMessageBox.Icon.Warning, "Not enough disk space", message)
    box.setObjectName("diskFullDialog")
    _keep_open(box)


def _show(summary: str, details: str, log_path: str) -> None:
    if QApplication.instance() is None:
        return
    box = QMessageBox(QMessageBox.Icon.Critical, "Something went wrong",
                      f"Little Monster GPA ran into a problem it did not expect:\n\n{summary}\n\n"
                      f"Your work is saved. Details for a bug report are in the log:\n{log_path}")
    box.setDetailedText(details)
    box.setObjectName("errorDialog")
    _keep_open(box)


_open_boxes: set[QMessageBox] = set()


def _keep_open(box: QMessageBox) -> None:
    """Show a parentless box; without a reference Python deletes it as the function returns and it never appears."""
    _open_boxes.add(box)
    box.finished.connect(lambda _result: _open_boxes.discard(box))
    box.open()
