"""Light and dark themes from the stylesheets in resources/styles."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from lmgpa_desktop import paths

PALETTES = {
    "light": {"window": "#f6f7fb", "base": "#ffffff", "text": "#1d2330", "button": "#eceef5", "highlight": "#5b5bd6"},
    "dark": {"window": "#1b1e27", "base": "#232733", "text": "#e7e9f0", "button": "#2c3140", "highlight": "#8b8bf5"},
}


def apply(app: QApplication, name: str) -> str:
    """Apply the named theme (unknown names fall back to light); returns the theme used."""
    name = name if name in PALETTES else "light"
    colors = PALETTES[name]
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor(colors["window"]))
    palette.setColor(QPalette.ColorRole.Base, QColor(colors["base"]))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor(colors["button"]))
    palette.setColor(QPalette.ColorRole.Button, QColor(colors["button"]))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(role, QColor(colors["text"]))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(colors["highlight"]))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    app.setPalette(palette)
    app.setStyleSheet(paths.resource("styles", f"{name}.qss").read_text(encoding="utf-8"))
    return name
