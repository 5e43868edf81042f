"""Every control a screen reader lands on has a name: taken from what a sighted student sees next to it."""

# Qt names a button by its text and a field by its buddy label, but an icon-only button, a field with only a
# placeholder, a drop-down beside a plain label or a list under a heading are read out as "edit", "combo box",
# "list". name_controls() fills in accessibleName from, in order: the label that is its buddy, its tooltip, its
# placeholder, the label just before it in its layout, the group box or tab it sits in, the title of its dialog.

from __future__ import annotations

import html
import re

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractItemView, QAbstractSlider, QAbstractSpinBox, QComboBox, QDialog, QFormLayout, QGroupBox,
    QLabel, QLayout, QLineEdit, QPlainTextEdit, QScrollBar, QTabWidget, QTextEdit, QWidget,
)

from lmgpa_desktop.ui.kit.app_filter import install_once

CONTROLS = (QAbstractButton, QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox, QComboBox, QAbstractSlider,
            QAbstractItemView)
_TAG = re.compile(r"<[^>]+>")
_TRIED = "lmgpaNamed"


def plain(text: str) -> str:
    """Visible text without markup, mnemonics or a trailing colon: "&Deck:" -> "Deck"."""
    text = html.unescape(_TAG.sub(" ", text or ""))
    text = re.sub(r"&(?!&)", "", text).replace("&&", "&")
    return " ".join(text.split()).rstrip(":：").strip()


def is_control(widget: QWidget) -> bool:
    """A control the keyboard can reach (not the inner editor of a spin box or combo, which has a focus proxy)."""
    if isinstance(widget, QScrollBar) or not isinstance(widget, CONTROLS):
        return False
    if isinstance(widget, QLineEdit) and isinstance(widget.parentWidget(), (QAbstractSpinBox, QComboBox)):
        return False  # read out as part of its spin box or drop-down
    if isinstance(widget.window().parentWidget(), QComboBox):
        return False  # the list of a drop-down's popup: the drop-down itself carries the name
    return widget.focusPolicy() != Qt.FocusPolicy.NoFocus


def exposed_name(widget: QWidget) -> str:
    """The name Qt gives a screen reader for this widget (its accessibleName, text, or buddy label)."""
    if widget.accessibleName():
        return widget.accessibleName()
    face = QAccessible.queryAccessibleInterface(widget)
    name = face.text(QAccessible.Text.Name) if face is not None else ""
    if isinstance(widget, QAbstractButton):
        name = name or widget.text()
    return plain(name)


def _buddy_label(widget: QWidget) -> str:
    window = widget.window()
    for label in window.findChildren(QLabel):
        if label.buddy() is widget and plain(label.text()):
            return plain(label.text())
    return ""


def _label_before(widget: QWidget) -> str:
    """The text of a QLabel placed just before the widget in its layout (a row "Deck: [combo]")."""
    parent = widget.parentWidget()
    layout = parent.layout() if parent is not None else None
    found = _find_in(layout, widget) if layout is not None else None
    if found is None:
        return ""
    owner, index = found
    if isinstance(owner, QFormLayout):
        row, _role = owner.getWidgetPosition(widget)
        label = owner.itemAt(row, QFormLayout.ItemRole.LabelRole) if row >= 0 else None
        w = label.widget() if label is not None else None
        return plain(w.text()) if isinstance(w, QLabel) else ""
    for i in range(index - 1, -1, -1):
        w = owner.itemAt(i).widget()
        if w is None:
            continue
        if isinstance(w, QLabel) and plain(w.text()):
            return plain(w.text())
        return ""  # another control sits between them: that label is not this one's
    return ""


def _find_in(layout: QLayout, widget: QWidget) -> tuple[QLayout, int] | None:
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item.widget() is widget:
            return layout, i
        if item.layout() is not None:
            found = _find_in(item.layout(), widget)
            if found is not None:
                return found
    return None


def _container_title(widget: QWidget) -> str:
    """The group box or tab the widget sits in, nearest first."""
    child, parent = widget, widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QGroupBox) and plain(parent.title()):
            return plain(parent.title())
        if isinstance(parent, QTabWidget):
            index = parent.indexOf(child)
            if index >= 0 and plain(parent.tabText(index)):
                return plain(parent.tabText(index))
        if parent.isWindow():  # a dialog's title names what is in it; the main window's says nothing
            return plain(parent.windowTitle()) if isinstance(parent, QDialog) else ""
        child, parent = parent, parent.parentWidget()
    return ""


def _object_words(widget: QWidget) -> str:
    """"groupList" -> "Group list" (a last resort: developers name widgets after what they hold)."""
    name = widget.objectName()
    if not name or name.startswith("qt_"):
        return ""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").strip().lower()
    return words[:1].upper() + words[1:]


def _short(text: str) -> str:
    """A name, not a paragraph: the first sentence or clause of a hint, at most 80 characters."""
    text = re.split(r"(?<=[.!?])\s|\s\(|:\s", text, maxsplit=1)[0].rstrip(" .")
    return text if len(text) <= 80 else text[:79].rsplit(" ", 1)[0] + "…"


def name_for(widget: QWidget) -> str:
    """What a sighted student would call this control (empty when nothing visible says)."""
    placeholder = widget.placeholderText() if isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit)) else ""
    hint = plain(widget.toolTip())
    first = (hint, plain(placeholder)) if isinstance(widget, QAbstractButton) else (plain(placeholder),)
    for candidate in (_buddy_label(widget), _label_before(widget), *first, _object_words(widget), hint,
                      _container_title(widget)):
        if candidate:
            return _short(candidate)
    return ""


def name_control(widget: QWidget) -> None:
    """Give one control an accessible name when Qt would expose none."""
    if is_control(widget) and not widget.property(_TRIED) and not exposed_name(widget):
        widget.setProperty(_TRIED, True)  # looked once: a control nothing names is not searched again on every show
        name = name_for(widget)
        if name:
            widget.setAccessibleName(name)


def name_controls(root: QWidget) -> list[QWidget]:
    """Name every unnamed control under root (and root); returns the controls still without a name."""
    unnamed = []
    for widget in [root, *root.findChildren(QWidget)]:
        name_control(widget)
        if is_control(widget) and not exposed_name(widget):
            unnamed.append(widget)
    return unnamed


class Namer(QObject):
    """An application event filter: controls made later (rows, dialogs) are named as they are first shown."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Show and isinstance(watched, CONTROLS):
            name_control(watched)
        return False


def install(app: QCoreApplication) -> Namer:
    """Name controls as they appear, application-wide (once per application); keep the returned object alive."""
    return install_once(app, Namer)
