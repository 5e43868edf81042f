"""The Qt binding keeps Python's reference counts: PySide6 6.12.0 broke them and aborted long sessions."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, Signal


class _Emitter(QObject):
    flag = Signal(bool)
    thing = Signal(object)


class _Blank(QAbstractTableModel):
    def rowCount(self, parent=QModelIndex()):
        return 1

    def columnCount(self, parent=QModelIndex()):
        return 1

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        return None


def _drift(obj, action, times: int = 2000) -> int:
    """How far obj's reference count moved after action ran `times` times (0 when the binding is sound)."""
    gc.collect()
    before = sys.getrefcount(obj)
    for _ in range(times):
        action()
    gc.collect()
    return sys.getrefcount(obj) - before


def test_emitting_a_signal_does_not_drain_true(qapp):
    # 6.12.0's emit() returned True without a reference: every page signal took one from True, and after some
    # 30,000 emits (an afternoon of progress reports) the interpreter aborted with "bool_dealloc".
    emitter = _Emitter()
    emitter.flag.connect(lambda value: None)
    emitter.thing.connect(lambda value: None)
    assert abs(_drift(True, lambda: emitter.flag.emit(False))) < 50
    assert abs(_drift(True, lambda: emitter.thing.emit(None))) < 50


def test_an_empty_model_cell_does_not_drain_none(qapp):
    model = _Blank()
    assert abs(_drift(None, lambda: model.index(0, 0).data())) < 50
