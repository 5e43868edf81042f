"""Document and image viewer: the page picture with a search hit outlined, beside the page's text or OCR."""

from __future__ import annotations

import io

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QPushButton, QScrollArea, QSpinBox, QSplitter, QTextBrowser, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.library import library
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.reading_clock import ReadingClock


def pil_to_qimage(image) -> QImage:
    """A Pillow image as a QImage (through PNG: simple and exact)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    qimage = QImage()
    qimage.loadFromData(buffer.getvalue(), "PNG")
    return qimage


class DocumentViewer(QWidget):
    """Shows one page of a source at a time."""

    PREVIEW_WIDTH = 620  # pixels the page picture is drawn at (scroll for more)

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.ops = Operations(self, "viewer")
        self.source = None
        self.pages = []
        self.region = None
        self.highlight_text = ""
        self.title = QLabel("")
        self.title.setObjectName("sectionTitle")
        self.info = QLabel("")
        self.info.setObjectName("muted")
        self.prev_button, self.next_button = QPushButton("◀"), QPushButton("▶")
        self.prev_button.setToolTip("Previous page")
        self.next_button.setToolTip("Next page")
        self.page = QSpinBox()
        self.page.setPrefix("page ")
        self.page.valueChanged.connect(self._show_page)
        self.prev_button.clicked.connect(lambda: self.page.setValue(self.page.value() - 1))
        self.next_button.clicked.connect(lambda: self.page.setValue(self.page.value() + 1))
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.info)
        for w in (self.prev_button, self.page, self.next_button):
            top.addWidget(w)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.picture)
        self.picture_area = scroll
        self.text = QTextBrowser()
        split = QSplitter()
        split.addWidget(scroll)
        split.addWidget(self.text)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self.reading = ReadingClock(ctx, self)

    def show_source(self, source_id: int | None, page_no: int | None = None, region: list | None = None,
                    highlight: str = "") -> None:
        """Open a source at a page, outlining a region and marking words (read off the UI thread)."""
        ctx = self.ctx

        def read():
            source = library.get(ctx, source_id) if source_id else None
            return source, library.pages(ctx, source_id) if source else []

        self.ops.run(read, lambda found: self._opened(*found, page_no, region, highlight))

    def _opened(self, source, pages, page_no: int | None, region: list | None, highlight: str) -> None:
        self.source, self.pages = source, pages
        self.region, self.highlight_text = region, highlight
        self.reading.switch(self.source.id if self.source else None, self.source.course_id if self.source else None)
        self.title.setText(self.source.title if self.source else "")
        count = len(self.pages)
        self.page.blockSignals(True)
        self.page.setRange(1, max(1, count))
        self.page.setValue(min(max(1, page_no or 1), max(1, count)))
        self.page.blockSignals(False)
        self.page.setSuffix(f" of {count}")
        for w in (self.page, self.prev_button, self.next_button):
            w.setEnabled(count > 1)
        self._show_page(self.page.value())

    def current_page(self) -> int:
        """The page number on screen."""
        return self.page.value()

    def _show_page(self, page_no: int) -> None:
        if not self.source or not self.pages:
            self.picture.clear()
            self.text.setPlainText("" if not self.source else "This source has no pages of text.")
            self.info.setText("")
            return
        page = self.pages[page_no - 1]
        how = "text layer" if page.method == "text" else f"OCR, confidence {page.ocr_confidence or 0:.0f}%"
        self.info.setText(how)
        self.text.setPlainText(page.text)
        self._mark_text()
        ctx, source = self.ctx, self.source
        # Rendering a PDF page is CPU work (tenths of a second): the compute lane, so database reads do not wait.
        self.ops.run(lambda: library.page_image(ctx, source.id, page_no),
                     lambda image: self._show_picture(source, page, image), lane="compute")

    def _show_picture(self, source, page, image) -> None:
        if source is not self.source or page is not self.pages[self.page.value() - 1]:
            return  # another source or page was opened while this one was drawn
        self.picture_area.setVisible(image is not None)
        if image is None:
            self.picture.clear()
            return
        qimage = pil_to_qimage(image)
        scale = self.PREVIEW_WIDTH / max(1, qimage.width())
        pixmap = QPixmap.fromImage(qimage).scaledToWidth(self.PREVIEW_WIDTH, Qt.TransformationMode.SmoothTransformation)
        region = self.region if page.width else None
        if region:
            # Regions are in the pixels of the image OCR ran on; scale them onto what is shown.
            factor = scale * qimage.width() / page.width
            painter = QPainter(pixmap)
            painter.setPen(QPen(QColor("#e07a1f"), 3))
            painter.fillRect(QRectF(*[v * factor for v in region]), QColor(255, 200, 60, 70))
            painter.drawRect(QRectF(*[v * factor for v in region]))
            painter.end()
        self.picture.setPixmap(pixmap)

    def _mark_text(self) -> None:
        """Yellow behind the words of the passage that was searched for."""
        words = [w for w in self.highlight_text.split() if len(w) > 3][:30]
        doc = self.text.document()
        first = None
        for word in words:
            cursor = doc.find(word.strip(".,;:!?\"'()[]"), 0, QTextDocument.FindFlag.FindWholeWords)
            while not cursor.isNull():
                fmt = cursor.charFormat()
                fmt.setBackground(QColor("#ffe58a"))
                cursor.mergeCharFormat(fmt)
                first = first or QTextCursor(cursor)
                cursor = doc.find(word.strip(".,;:!?\"'()[]"), cursor, QTextDocument.FindFlag.FindWholeWords)
        if first is not None:
            self.text.setTextCursor(first)
            self.text.ensureCursorVisible()
