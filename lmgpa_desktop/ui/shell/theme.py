"""Light and dark themes from the stylesheets in resources/styles, sized from the system's font."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from lmgpa_desktop import paths

PALETTES = {
    "light": {"window": "#f6f7fb", "base": "#ffffff", "text": "#1d2330", "button": "#eceef5", "highlight": "#5b5bd6",
              "link": "#3a3ab8", "visited": "#6b3fa0", "placeholder": "#6b7183", "tip": "#1d2330",
              "tip_text": "#ffffff"},
    "dark": {"window": "#1b1e27", "base": "#232733", "text": "#e7e9f0", "button": "#2c3140", "highlight": "#8b8bf5",
             "link": "#9db4ff", "visited": "#c9a7ff", "placeholder": "#9aa0ae", "tip": "#e7e9f0",
             "tip_text": "#1d2330"},
}
_EM = re.compile(r"(\d+(?:\.\d+)?)em\b")
_system_font: QFont | None = None  # the desktop's font, as Qt found it before any theme was applied


def base_point_size(app: QApplication) -> float:
    """The point size of the system's font (what the stylesheets' `em` are measured in)."""
    global _system_font
    if _system_font is None:
        _system_font = QFont(app.font())
    size = _system_font.pointSizeF()
    return size if size > 0 else 10.0


def stylesheet(name: str, point_size: float) -> str:
    """The theme's QSS with relative sizes (`1.6em`) turned into points of the system font (Qt's QSS has no em
    for fonts)."""
    text = paths.resource("styles", f"{name}.qss").read_text(encoding="utf-8")
    return _EM.sub(lambda m: f"{float(m.group(1)) * point_size:.1f}pt", text)


def palette(name: str) -> QPalette:
    """The theme's palette: window, text, selection, and links readable on its background."""
    colors = PALETTES[name]
    pal = QPalette()
    role = QPalette.ColorRole
    pal.setColor(role.Window, QColor(colors["window"]))
    pal.setColor(role.Base, QColor(colors["base"]))
    pal.setColor(role.AlternateBase, QColor(colors["button"]))
    pal.setColor(role.Button, QColor(colors["button"]))
    for r in (role.WindowText, role.Text, role.ButtonText, role.BrightText):
        pal.setColor(r, QColor(colors["text"]))
    pal.setColor(role.Highlight, QColor(colors["highlight"]))
    pal.setColor(role.HighlightedText, QColor("#ffffff"))
    pal.setColor(role.Link, QColor(colors["link"]))  # Qt's default dark blue is unreadable on the dark theme
    pal.setColor(role.LinkVisited, QColor(colors["visited"]))
    pal.setColor(role.PlaceholderText, QColor(colors["placeholder"]))
    pal.setColor(role.ToolTipBase, QColor(colors["tip"]))
    pal.setColor(role.ToolTipText, QColor(colors["tip_text"]))
    return pal


def apply(app: QApplication, name: str) -> str:
    """Apply the named theme (unknown names fall back to light); returns the theme used."""
    name = name if name in PALETTES else "light"
    size = base_point_size(app)
    app.setPalette(palette(name))
    app.setStyleSheet(stylesheet(name, size))
    return name


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours (1..21; 4.5 is enough for body text)."""
    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
