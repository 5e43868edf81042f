"""Turn a file the student adds into per-page text with locations: text layers where they exist, OCR elsewhere."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lmgpa_desktop.engines import ocr, office, pdf


@dataclass(frozen=True)
class PageText:
    """One page (a slide, an image, a part of a long text file) and where its text came from."""

    page_no: int  # 1-based; a slide number for PPTX; a part number for long text files; 1 for an image
    text: str
    method: str  # "text" or "ocr"
    confidence: float | None  # OCR mean word confidence (0..100), None for a text layer
    width: float | None  # pixel size of the image OCR ran on (word boxes are in these pixels)
    height: float | None
    words: list | None  # OCR word boxes [[x, y, w, h, text, conf], ...] or None


class ExtractError(ValueError):
    """The file cannot be turned into text; the message is for the student."""


PDF_SUFFIXES = {".pdf"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".heic", ".heif", ".webp", ".bmp", ".gif"}
_KINDS = {".pdf": "pdf", ".docx": "docx", ".pptx": "pptx", ".md": "md", ".markdown": "md", ".txt": "txt",
          ".text": "txt", ".html": "html", ".htm": "html", **{s: "image" for s in IMAGE_SUFFIXES}}
DOCUMENT_SUFFIXES: set[str] = set(_KINDS)

MAX_BYTES = 300 * 1024 * 1024
MAX_PAGES = 3000
PART_CHARS = 3000  # long text files are cut into parts of about this size, at paragraph boundaries
# A text layer with fewer letters and digits than this may be a scan with a stray header: OCR it as well.
MIN_TEXT_LAYER_CHARS = 20


def kind_of(path: Path) -> str:
    """pdf, docx, pptx, md, txt, html or image, from the file name; ExtractError for anything else."""
    kind = _KINDS.get(Path(path).suffix.lower())
    if kind is None:
        supported = ", ".join(sorted(s.lstrip(".") for s in DOCUMENT_SUFFIXES))
        raise ExtractError(f"{Path(path).name}: this type of file is not supported (supported: {supported})")
    return kind


def page_count(path: Path) -> int:
    """How many PageText items extract() will yield (for progress totals)."""
    path = _checked(path)
    kind = kind_of(path)
    try:
        if kind == "pdf":
            return _limit_pages(path, pdf.page_count(path))
        if kind == "pptx":
            return _limit_pages(path, office.pptx_slide_count(path))
        if kind == "image":
            return _limit_pages(path, ocr.frame_count(path))
        return len(_split_parts(_plain_text(path, kind)))
    except (pdf.PdfError, office.OfficeError, ocr.ImageReadError) as exc:
        raise ExtractError(str(exc)) from exc


def extract(path: Path, ocr_language: str = "eng", ocr_dpi: int = 300) -> Iterator[PageText]:
    """Page by page, lazily; ExtractError if the file is missing, unsupported, damaged, locked, huge or textless."""
    # Lazy so a job reports progress between pages and can stop; "no text found" comes after the last page.
    path = _checked(path)
    kind = kind_of(path)
    found_text = False
    try:
        if kind == "pdf":
            pages = _pdf_pages(path, ocr_language, ocr_dpi)
        elif kind == "image":
            pages = _image_pages(path, ocr_language)
        elif kind == "pptx":
            pages = (PageText(n, text, "text", None, None, None, None)
                     for n, text in enumerate(office.pptx_slides(path), start=1))
        else:
            pages = (PageText(n, text, "text", None, None, None, None)
                     for n, text in enumerate(_split_parts(_plain_text(path, kind)), start=1))
        for page in pages:
            if page.page_no > MAX_PAGES:
                raise ExtractError(f"{path.name} has more than {MAX_PAGES} pages, the most one file may have")
            found_text = found_text or bool(page.text.strip())
            yield page
    except (pdf.PdfError, office.OfficeError, ocr.ImageReadError, ocr.OcrError) as exc:
        raise ExtractError(str(exc)) from exc
    if not found_text:
        hint = " (is the photo sharp, and the text large enough?)" if kind == "image" else ""
        raise ExtractError(f"no text found in {path.name}{hint}")


def _checked(path: Path) -> Path:
    """The path, if it names a non-empty file within the size limit."""
    path = Path(path).expanduser()
    if not path.exists():
        raise ExtractError(f"{path} does not exist")
    if not path.is_file():
        raise ExtractError(f"{path} is not a file")
    kind_of(path)
    size = path.stat().st_size
    if size == 0:
        raise ExtractError(f"{path.name} is empty (0 bytes)")
    if size > MAX_BYTES:
        raise ExtractError(f"{path.name} is too large ({size / 2**20:,.0f} MB; the limit is "
                           f"{MAX_BYTES // 2**20} MB): split it into smaller files")
    return path


def _limit_pages(path: Path, count: int) -> int:
    """The page count, if the file has pages and not too many."""
    if count > MAX_PAGES:
        raise ExtractError(f"{path.name} has {count:,} pages; the limit is {MAX_PAGES:,}: split it into smaller files")
    if count == 0:
        raise ExtractError(f"no text found in {path.name} (it has no pages)")
    return count


def _pdf_pages(path: Path, language: str, dpi: int) -> Iterator[PageText]:
    """The text layer of each page; pages without a usable one are rendered and OCR'd."""
    with pdf.PdfDocument(path) as document:
        _limit_pages(path, len(document))
        for index in range(len(document)):
            text = document.text(index)
            if _usable_text_layer(text) and _letters(text) >= MIN_TEXT_LAYER_CHARS:
                yield PageText(index + 1, text, "text", None, None, None, None)
                continue
            image = document.render(index, dpi)
            page = ocr.recognize(image, language)
            keep_layer = _usable_text_layer(text) and _letters(page.text) <= 2 * _letters(text) + 10
            if keep_layer:  # a short real text layer (a title page, a figure caption) beats OCR of the same
                yield PageText(index + 1, text, "text", None, None, None, None)
            else:
                yield _ocr_page(index + 1, page)


def _image_pages(path: Path, language: str) -> Iterator[PageText]:
    """Each frame of the image (several for a multi-page TIFF), OCR'd."""
    for number, page in enumerate(_recognize_frames(path, language), start=1):
        yield _ocr_page(number, page)


def _recognize_frames(path: Path, language: str) -> Iterator[ocr.OcrPage]:
    """OCR of each frame of an image file, in order."""
    frames = _limit_pages(path, ocr.frame_count(path))
    for frame in range(frames):
        # A single-frame file goes to tesseract as it is when it needs no clean-up (no re-encoding).
        yield ocr.recognize(path if frames == 1 else ocr.read_image(path, frame), language)


def ocr_image(path: Path, language: str = "eng") -> list[ocr.OcrPage]:
    """Every frame of an image file recognised, with its turn and word boxes (for `lmgpa ocr`)."""
    path = _checked(path)
    if kind_of(path) != "image":
        raise ExtractError(f"{path.name} is not an image")
    try:
        return list(_recognize_frames(path, language))
    except (ocr.ImageReadError, ocr.OcrError) as exc:
        raise ExtractError(str(exc)) from exc


def _ocr_page(page_no: int, page: ocr.OcrPage) -> PageText:
    """An OCR result as a page, word boxes as JSON-ready lists."""
    return PageText(page_no, page.text, "ocr", page.confidence, float(page.width), float(page.height),
                    [list(word) for word in page.words])


def _letters(text: str) -> int:
    """Letters and digits in the text."""
    return sum(ch.isalnum() for ch in text)


def _usable_text_layer(text: str) -> bool:
    """False for an empty layer or one that is mostly replacement, control or private-use characters."""
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return False
    broken = sum(ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") for ch in visible)
    if broken > 0.1 * len(visible):
        return False
    # Fonts without a Unicode map come out as runs of symbols: real text is mostly letters and digits,
    # once dot leaders and rules (a table of contents) count as one character each.
    collapsed = re.sub(r"([^\w])\1+", r"\1", "".join(visible))
    return _letters(text) >= 0.5 * len(collapsed)


def _plain_text(path: Path, kind: str) -> str:
    """The whole text of a Markdown, plain text, HTML or Word file."""
    if kind == "docx":
        return office.docx_text(path)
    data = path.read_bytes()
    if kind == "html":
        return office.html_text(data)
    text = decode_text(data, path.name)
    if kind == "md":
        text = _without_comments(text)  # comments are not shown to a reader
    return text.strip()


def _without_comments(text: str) -> str:
    """Markdown without its <!-- --> comments, in linear time (a lazy regex is quadratic on unclosed ones)."""
    out, pos = [], 0
    while (start := text.find("<!--", pos)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break  # an unclosed comment is shown as it is, as Markdown renderers do
        out.append(text[pos:start])
        pos = end + 3
    out.append(text[pos:])
    return "".join(out)


def decode_text(data: bytes, name: str = "the file") -> str:
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, else Windows-1252, else Latin-1; never fails."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        raise ExtractError(f"{name} does not look like a text file (it contains binary data)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _split_parts(text: str, limit: int = PART_CHARS) -> list[str]:
    """Cut at paragraph boundaries into parts of at most about limit characters (one part if it is short)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        pieces.extend(_cut_long(paragraph.strip(), limit))
    parts: list[str] = []
    current = ""
    for piece in pieces:
        if not piece:
            continue
        if current and len(current) + 2 + len(piece) > limit:
            parts.append(current)
            current = piece
        else:
            current = f"{current}\n\n{piece}" if current else piece
    if current:
        parts.append(current)
    return parts


def _cut_long(paragraph: str, limit: int) -> list[str]:
    """A paragraph longer than limit cut at line ends, then sentence ends, then spaces (never inside a word)."""
    if len(paragraph) <= limit:
        return [paragraph]
    for separator in ("\n", ". ", " "):
        if separator not in paragraph:
            continue
        out: list[str] = []
        current = ""
        for unit in paragraph.split(separator):
            candidate = f"{current}{separator}{unit}" if current else unit
            if current and len(candidate) > limit:
                out.append(current + (separator.strip() if separator == ". " else ""))
                current = unit
            else:
                current = candidate
        out.append(current)
        return [piece for chunk in out for piece in _cut_long(chunk, limit)] if separator != " " else out
    return [paragraph[i:i + limit] for i in range(0, len(paragraph), limit)]
