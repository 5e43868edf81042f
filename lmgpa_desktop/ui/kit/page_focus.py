"""Where the keyboard goes in the main window: onto a page's first useful control, and Tab through the page first."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

# Pages are built on their first visit, after the jobs panel and the status bar, and Qt puts a widget made later at
# the end of the window's Tab chain: Tab from the navigation went through the status bar's badge and the jobs table
# before it reached the page (issue #14). move_to_end() puts such chrome back after the page.


def takes_tab(widget: QWidget, root: QWidget) -> bool:
    """Whether Tab can land on widget, shown inside root (the rules Qt's own Tab walk uses)."""
    return (bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus) and widget.focusProxy() is None
            and widget.isEnabled() and widget.isVisibleTo(root))


def first_control(root: QWidget) -> QWidget | None:
    """The first widget of root (root itself included) that Tab lands on, in Tab order."""
    if takes_tab(root, root):
        return root
    window = root.window()
    widget = window.nextInFocusChain()
    while widget is not window:  # the window's chain runs through each of its widgets once, in Tab order
        if root.isAncestorOf(widget) and takes_tab(widget, root):
            return widget
        widget = widget.nextInFocusChain()
    return None


def focus_first(page: QWidget) -> QWidget | None:
    """Put the keyboard on the page's preferred control (its first_focus()), else its first control; return it."""
    preferred = page.first_focus() if hasattr(page, "first_focus") else None
    target = preferred if preferred is not None and takes_tab(preferred, page) else first_control(page)
    if target is not None:
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)  # a line edit selects its text, ready to type over
    return target


def move_to_end(window: QWidget, chrome: list[QWidget]) -> None:
    """Put chrome's Tab stops (jobs panel, status bar) last in the window's Tab order, after everything built since."""
    stops = [w for part in chrome for w in [part, *part.findChildren(QWidget)]
             if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.focusProxy() is None]
    last = window.previousInFocusChain()
    while last is not window and (last in stops or not last.focusPolicy() & Qt.FocusPolicy.TabFocus):
        last = last.previousInFocusChain()
    if last is window:
        return
    for before, after in zip([last, *stops], stops):
        QWidget.setTabOrder(before, after)
