"""Typeset resources/samples/sample_handout.pdf from sample_handout.html with Qt's own PDF writer.

The handout is a text written for the app (the shared test PDFs may not ship), typeset into a real PDF with a
text layer, so the welcome's sample shows search, page highlights and generation on a document. Reproduce with:
    QT_QPA_PLATFORM=offscreen .venv/bin/python models/make_sample_handout.py
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QFont, QGuiApplication, QPageLayout, QPageSize, QPdfWriter, QTextDocument

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "resources" / "samples" / "sample_handout.html"
OUT = ROOT / "resources" / "samples" / "sample_handout.pdf"


def main() -> None:
    app = QGuiApplication.instance() or QGuiApplication([])  # fonts need an application object
    writer = QPdfWriter(str(OUT))
    writer.setTitle("Introduction to Biology, Handout 8: Cellular respiration")
    writer.setCreator("Little Monster GPA sample material")
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(20, 20, 20, 20), QPageLayout.Unit.Millimeter))
    writer.setResolution(300)
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(writer)  # lay out in the writer's 300 dpi, not the screen's
    doc.setDefaultFont(QFont("DejaVu Serif", 11))
    doc.setHtml(SOURCE.read_text(encoding="utf-8"))
    doc.setPageSize(QSizeF(writer.width(), writer.height()))
    doc.print_(writer)
    del app
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
