"""One application-wide event filter of a kind, installed once however many windows open."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QObject

F = TypeVar("F", bound=QObject)


def install_once(app: QCoreApplication, kind: type[F]) -> F:
    """The application's filter of this kind, created and installed on first use; keep it alive."""
    found = app.findChild(kind)
    if found is None:
        found = kind(app)  # parented to the application, so it lives as long as it does
        app.installEventFilter(found)
    return found
