"""Tab always moves on to the next control: a table whose rows are chosen whole never keeps it to walk its cells."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QAbstractItemView

from lmgpa_desktop.ui.kit.app_filter import install_once

# A QTableWidget takes Tab to go from cell to cell by default. In a list of decks, tests or jobs, where a row is
# selected whole, that only traps the keyboard: Tab from the navigation landed in the jobs table and never left it,
# and "Take test" beside the tests table could not be reached at all (issue #14). Arrow keys still walk the rows.


def frees_tab(view: QAbstractItemView) -> bool:
    """Whether Tab should leave this view: its rows are selected whole (a grid of cells keeps Tab for its cells)."""
    return view.selectionBehavior() == QAbstractItemView.SelectionBehavior.SelectRows


class TabOrder(QObject):
    """An application event filter: each row-selecting view, when first shown, gives Tab back to the window."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (event.type() == QEvent.Type.Polish and isinstance(watched, QAbstractItemView)
                and watched.tabKeyNavigation() and frees_tab(watched)):
            watched.setTabKeyNavigation(False)
        return False


def install(app: QCoreApplication) -> TabOrder:
    """Free Tab in every row-selecting view of the application; keep the returned object alive."""
    return install_once(app, TabOrder)
