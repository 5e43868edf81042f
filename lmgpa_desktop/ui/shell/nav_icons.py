"""Icons of the navigation: the desktop's icon theme where it has one, else the line icons in resources/icons/nav."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from lmgpa_desktop import paths

# freedesktop.org icon names, tried in order (the first the theme has wins).
THEME_NAMES = {
    "home": ("go-home", "user-home"),
    "record": ("media-record", "audio-input-microphone"),
    "library": ("folder-documents", "folder"),
    "search": ("edit-find", "system-search"),
    "chat": ("internet-group-chat", "mail-message-new"),
    "study": ("accessories-text-editor", "document-edit"),
    "review": ("view-refresh", "media-playlist-repeat"),
    "classes": ("x-office-presentation", "applications-education"),
    "groups": ("system-users", "user-group-new"),
    "progress": ("x-office-spreadsheet", "utilities-system-monitor"),
    "notifications": ("preferences-desktop-notification", "mail-unread"),
    "settings": ("preferences-system", "preferences-other"),
    "account": ("avatar-default", "user-info"),
}
NORMAL_COLOR = "#727a90"  # a mid tone: reads on the light (#eceef5) and the dark (#232733) sidebar
SELECTED_COLOR = "#ffffff"  # on the accent of the selected entry
SIZES = (18, 36)  # the sidebar size, and twice it for high-density screens


def _tinted(svg: bytes, color: str, size: int) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg.replace(b"#000000", color.encode())))
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return pixmap


def bundled(key: str) -> QIcon:
    """The bundled line icon of an area (mid-tone, white when its entry is selected); empty if there is none."""
    path = paths.resource("icons", "nav", f"{key}.svg")
    if not path.is_file():
        return QIcon()
    svg = path.read_bytes()
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(_tinted(svg, NORMAL_COLOR, size), QIcon.Mode.Normal)
        icon.addPixmap(_tinted(svg, SELECTED_COLOR, size), QIcon.Mode.Selected)
    return icon


def icon(key: str) -> QIcon:
    """The icon of a navigation area: the theme's (when the desktop has an icon theme) or the bundled one."""
    for name in THEME_NAMES.get(key, ()):
        if QIcon.hasThemeIcon(name):
            return QIcon.fromTheme(name)
    return bundled(key)


ICON_SIZE = QSize(18, 18)
