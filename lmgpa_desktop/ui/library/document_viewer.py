"""Document and image viewer: the page picture with a search hit outlined, beside the page's text or OCR."""

from __future__ import annotations

import io

from PySide6.QtCore import QRectF, QRegularExpression, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QPushButton, QScrollArea, QSpinBox, QSplitter, QTextBrowser, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.library import evidence, library
from lmgpa_desktop.ui.kit.empty_state import EmptyState
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
        self.marks = None  # the sentence and words marked on the page shown (evidence.PageMarks)
        self.title = QLabel("")
        self.title.setObjectName("sectionTitle")
        self.info = QLabel("")
        self.info.setObjectName("muted")
        self.prev_button, self.next_button = QPushButton("◀"), QPushButton("▶")
        self.prev_button.setToolTip("Previous page")
        self.next_button.setToolTip("Next page")
        self.page = QSpinBox()
        self.page.setAccessibleName("Page")
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
        self.text.setAccessibleName("Page text")
        split = QSplitter()
        split.addWidget(scroll)
        split.addWidget(self.text)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 400])
        self.content = QWidget()  # the page and its text; the empty state stands in while nothing is open
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        content.addLayout(top)
        content.addWidget(split, 1)
        self.empty = EmptyState("Nothing open", "Select a document, slide deck or photo to read it here.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.content, 1)
        layout.addWidget(self.empty, 1)
        self.content.hide()
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
        self.content.setVisible(source is not None)
        self.empty.setVisible(source is None)
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
        ctx, source, highlight = self.ctx, self.source, self.highlight_text
        # Rendering a PDF page and searching it are CPU work (tenths of a second): the compute lane, so database
        # reads do not wait.
        self.ops.run(lambda: (library.page_image(ctx, source.id, page_no),
                              evidence.page_marks(source, page, highlight)),
                     lambda found: self._show_picture(source, page, *found), lane="compute")

    def _show_picture(self, source, page, image, marks=None) -> None:
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
        self.marks = marks
        if marks is not None and (marks.words or marks.sentence):
            self._paint_marks(pixmap, marks)
        elif region:
            # Regions are in the pixels of the image OCR ran on; scale them onto what is shown.
            factor = scale * qimage.width() / page.width
            painter = QPainter(pixmap)
            painter.setPen(QPen(QColor("#e07a1f"), 3))
            painter.fillRect(QRectF(*[v * factor for v in region]), QColor(255, 200, 60, 70))
            painter.drawRect(QRectF(*[v * factor for v in region]))
            painter.end()
        self.picture.setPixmap(pixmap)
        if marks is not None and (marks.words or marks.sentence):
            x, y, _w, _h = min(marks.words or marks.sentence, key=lambda box: box[1])
            factor = pixmap.width() / marks.width
            left = (self.picture.width() - pixmap.width()) // 2  # the picture is centred in its label
            self.picture_area.ensureVisible(int(left + x * factor), int(y * factor), 40, 120)

    def _paint_marks(self, pixmap: QPixmap, marks) -> None:
        """The matched sentence underlaid and the words searched for marked, on the page picture."""
        factor = pixmap.width() / marks.width  # marks are in page points (PDF) or OCR pixels
        painter = QPainter(pixmap)
        for box in marks.sentence:
            painter.fillRect(QRectF(*[v * factor for v in box]), QColor(255, 200, 60, 60))
        painter.setPen(QPen(QColor("#e07a1f"), 1.5))
        for box in marks.words:
            rect = QRectF(*[v * factor for v in box]).adjusted(-1, -1, 1, 1)
            painter.fillRect(rect, QColor(255, 200, 60, 150))
            painter.drawRect(rect)
        painter.end()

    def _mark_text(self) -> None:
        """The matched sentence underlaid and the words searched for in yellow (in it, or anywhere without it)."""
        doc = self.text.document()
        sentence, words = evidence.plain(self.highlight_text), evidence.marked_words(self.highlight_text)
        first, span = None, None
        if sentence:
            # The page's text breaks lines where the passage has spaces.
            pattern = QRegularExpression(r"\s+".join(QRegularExpression.escape(w) for w in sentence.split()),
                                         QRegularExpression.PatternOption.CaseInsensitiveOption)
            cursor = doc.find(pattern)
            if not cursor.isNull():
                fmt = cursor.charFormat()
                fmt.setBackground(QColor(255, 200, 60, 60))
                cursor.mergeCharFormat(fmt)
                span, first = (cursor.selectionStart(), cursor.selectionEnd()), QTextCursor(cursor)
        for word in words:
            cursor = doc.find(word, 0, QTextDocument.FindFlag.FindWholeWords)
            while not cursor.isNull():
                if span is None or span[0] <= cursor.selectionStart() < span[1]:
                    fmt = cursor.charFormat()
                    fmt.setBackground(QColor("#ffe58a"))
                    fmt.setForeground(QColor("#1d2330"))  # dark on yellow in both themes
                    cursor.mergeCharFormat(fmt)
                    first = first or QTextCursor(cursor)
                cursor = doc.find(word, cursor, QTextDocument.FindFlag.FindWholeWords)
        if first is not None:
            first.setPosition(first.selectionStart())  # at its start, unselected (a selection covers the marks)
            self.text.setTextCursor(first)
            self.text.ensureCursorVisible()
