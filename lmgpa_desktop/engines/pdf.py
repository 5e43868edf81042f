"""PDF pages with pypdfium2 (PDFium): page count, text layer, rendering; the only module importing pypdfium2."""

from __future__ import annotations

import threading
from pathlib import Path

from PIL import Image

# PDFium is not thread-safe: every call into it, from any document, goes through this lock.
_PDFIUM = threading.RLock()
MAX_RENDER_PIXELS = 40_000_000  # a poster-sized page is rendered at a lower resolution instead


class PdfError(ValueError):
    """The file is not a readable PDF (message is for the student)."""


class PdfEncryptedError(PdfError):
    """The PDF needs a password to open."""


class PdfDocument:
    """An open PDF; close it (or use it as a context manager) to release the file."""

    def __init__(self, path: Path, password: str | None = None):
        import pypdfium2 as pdfium

        self.path = Path(path)
        with _PDFIUM:
            try:
                self._doc = pdfium.PdfDocument(str(self.path), password=password)
            except pdfium.PdfiumError as exc:
                raise _explain(self.path, exc) from exc
            except (OSError, ValueError) as exc:
                raise PdfError(f"{self.path.name} could not be opened as a PDF ({exc})") from exc
            self._pages = len(self._doc)

    def __len__(self) -> int:
        return self._pages

    def __enter__(self) -> PdfDocument:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the file."""
        with _PDFIUM:
            if self._doc is not None:
                self._doc.close()
                self._doc = None

    def page_size(self, index: int) -> tuple[float, float]:
        """Width and height of a page in points (1/72 inch)."""
        with _PDFIUM:
            page = self._doc[index]
            try:
                return tuple(float(v) for v in page.get_size())
            finally:
                page.close()

    def text(self, index: int) -> str:
        """The page's text layer in reading order as PDFium finds it ("" when it has none)."""
        import pypdfium2 as pdfium

        with _PDFIUM:
            try:
                page = self._doc[index]
                textpage = page.get_textpage()
                try:
                    raw = textpage.get_text_range()
                finally:
                    textpage.close()
                    page.close()
            except pdfium.PdfiumError as exc:
                raise PdfError(f"page {index + 1} of {self.path.name} could not be read ({exc})") from exc
        return clean_text(raw)

    def find(self, index: int, phrase: str, whole_word: bool = False,
             limit: int = 50) -> list[tuple[int, int, list[tuple[float, float, float, float]]]]:
        """Where phrase is on a page (case-insensitive, across line ends), as PDFium's text search finds it.

        Each match is (first character, character count, boxes): one box per line it covers, as x, y, width and
        height in points from the top-left of the page as render() draws it (the page's own rotation applied).
        """
        import ctypes

        import pypdfium2 as pdfium
        import pypdfium2.raw as pdfium_c

        # PDFium's device coordinates are whole numbers: map onto a page drawn this many times larger, then back.
        fine = 20
        matches = []
        with _PDFIUM:
            try:
                page = self._doc[index]
                textpage = page.get_textpage()
                try:
                    width, height = (round(v * fine) for v in page.get_size())
                    x, y = ctypes.c_int(), ctypes.c_int()

                    def device(px: float, py: float) -> tuple[float, float]:
                        pdfium_c.FPDF_PageToDevice(page, 0, 0, width, height, 0, px, py, ctypes.byref(x),
                                                   ctypes.byref(y))
                        return x.value / fine, y.value / fine

                    searcher = textpage.search(phrase, match_whole_word=whole_word)
                    while len(matches) < limit and (found := searcher.get_next()) is not None:
                        start, count = found
                        boxes = []
                        for n in range(textpage.count_rects(start, count)):
                            left, bottom, right, top = textpage.get_rect(n)
                            (x0, y0), (x1, y1) = device(left, top), device(right, bottom)
                            boxes.append((min(x0, x1), min(y0, y1), round(abs(x1 - x0), 2), round(abs(y1 - y0), 2)))
                        matches.append((start, count, boxes))
                    searcher.close()
                finally:
                    textpage.close()
                    page.close()
            except pdfium.PdfiumError as exc:
                raise PdfError(f"page {index + 1} of {self.path.name} could not be searched ({exc})") from exc
        return matches

    def render(self, index: int, dpi: int = 300) -> Image.Image:
        """The page as an 8-bit grayscale image at dpi (lower for very large pages), its resolution recorded."""
        import pypdfium2 as pdfium

        width, height = self.page_size(index)
        scale = dpi / 72.0
        pixels = width * scale * height * scale
        if pixels > MAX_RENDER_PIXELS:
            scale *= (MAX_RENDER_PIXELS / pixels) ** 0.5
        with _PDFIUM:
            try:
                page = self._doc[index]
                try:
                    bitmap = page.render(scale=scale, grayscale=True)
                    image = bitmap.to_pil()
                finally:
                    page.close()
            except pdfium.PdfiumError as exc:
                raise PdfError(f"page {index + 1} of {self.path.name} could not be rendered ({exc})") from exc
        image = image.convert("L")
        image.info["dpi"] = (scale * 72.0, scale * 72.0)
        return image


def page_count(path: Path) -> int:
    """Number of pages; raises PdfError or PdfEncryptedError."""
    with PdfDocument(path) as doc:
        return len(doc)


def clean_text(raw: str) -> str:
    """PDFium's text with Unix line ends and words split at a line-end hyphen joined again."""
    # PDFium marks a hyphen it removed at a line break with U+FFFE; the word's halves already touch.
    text = raw.replace("\ufffe", "").replace("\x02", "").replace("\x00", "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _explain(path: Path, exc: Exception) -> PdfError:
    """PDFium's error code as a sentence for the student."""
    code = getattr(exc, "err_code", None)
    if code == 4:  # FPDF_ERR_PASSWORD
        return PdfEncryptedError(f"{path.name} is password-protected: remove the password (print or export it "
                                 f"to a new PDF) and import that copy")
    if code == 5:  # FPDF_ERR_SECURITY
        return PdfEncryptedError(f"{path.name} uses an unsupported security handler (password-protected)")
    if code == 2:  # FPDF_ERR_FILE
        return PdfError(f"{path.name} could not be read from disk")
    return PdfError(f"{path.name} is damaged or not a PDF ({exc})")
