"""Unexpected exceptions become a dialog that names the log file, instead of a silent exit."""

from __future__ import annotations

import logging
import sys
import threading
import traceback

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from lmgpa_desktop.ui.kit.plain_errors import plain_message

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Carries exceptions from any thread to the UI thread."""

    raised = Signal(str, str)


def install(log_path: str) -> _Relay:
    """Route sys/threading excepthooks to a dialog; returns the relay (keep a reference)."""
    relay = _Relay()
    relay.raised.connect(lambda summary, details: _show(summary, details, log_path),
                         Qt.ConnectionType.QueuedConnection)

    def hook(exc_type, exc, tb):
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unexpected error:\n%s", details)
        relay.raised.emit(plain_message(exc), details)  # the class name and traceback go to "Show Details"

    sys.excepthook = hook
    threading.excepthook = lambda args: hook(args.exc_type, args.exc_value, args.exc_traceback)
    return relay


def _show(summary: str, details: str, log_path: str) -> None:
    if QApplication.instance() is None:
        return
    box = QMessageBox(QMessageBox.Icon.Critical, "Something went wrong",
                      f"Little Monster GPA ran into a problem it did not expect:\n\n{summary}\n\n"
                      f"Your work is saved. Details for a bug report are in the log:\n{log_path}")
    box.setDetailedText(details)
    box.setObjectName("errorDialog")
    box.open()
