"""Word, PowerPoint and HTML as Markdown-like text; the only module importing docx, pptx, bs4 and markdownify."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Office text parts compress 5-20 times, pictures and media barely: a zip bomb does a thousand times.
MAX_RATIO = 100
MIN_ALLOWED = 256 << 20  # whatever the ratio, parts may unpack to this much
MAX_UNPACKED = 2 << 30


class OfficeError(ValueError):
    """The file is not a readable Word, PowerPoint or HTML file (message is for the student)."""


# ---------------------------------------------------------------- Word

def docx_text(path: Path) -> str:
    """Headings as Markdown #, list items as - or 1., tables as Markdown rows, equations as their symbols."""
    document = _open(path, "docx")
    converter = _DocxConverter(document)
    blocks = list(converter.blocks(document.element.body))
    return "\n\n".join(block for block in blocks if block.strip())


class _DocxConverter:
    """Walks the document body in order (paragraphs, tables, content controls)."""

    def __init__(self, document):
        from docx.oxml.ns import qn

        self.document = document
        self.qn = qn
        self.counters: dict[tuple[str, int], int] = {}
        self.formats = self._numbering_formats()

    def blocks(self, parent) -> Iterator[str]:
        """Markdown blocks of the children of parent (the body, or a content control's content)."""
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        qn = self.qn
        pending_list: list[str] = []
        for child in parent.iterchildren():
            if child.tag == qn("w:sdt"):
                content = child.find(qn("w:sdtContent"))
                if content is not None:
                    yield from self.blocks(content)
                continue
            if child.tag == qn("w:tbl"):
                if pending_list:
                    yield "\n".join(pending_list)
                    pending_list = []
                yield _markdown_table(self._table_rows(Table(child, self.document)))
                continue
            if child.tag != qn("w:p"):
                continue
            paragraph = Paragraph(child, self.document)
            text = self._paragraph_text(child).strip()
            if not text:
                continue  # empty spacer paragraphs do not end a list
            item = self._list_item(paragraph, text)
            if item is not None:
                pending_list.append(item)
                continue
            if pending_list:
                yield "\n".join(pending_list)
                pending_list = []
            level = _heading_level(paragraph)
            yield f"{'#' * level} {text}" if level else text
        if pending_list:
            yield "\n".join(pending_list)

    def _paragraph_text(self, p) -> str:
        """Runs, hyperlinks, tabs, breaks and equation symbols in document order; deleted revisions left out."""
        parts = []
        for node in p.xpath(".//w:t[not(ancestor::w:del)] | .//w:tab | .//w:br | .//w:cr | .//m:t"):
            tag = node.tag.rsplit("}", 1)[-1]
            if tag == "t":
                parts.append(node.text or "")
            elif tag == "tab":
                parts.append("\t")
            else:
                parts.append("\n")
        return "".join(parts)

    def _table_rows(self, table) -> list[list[str]]:
        """Cell texts row by row; a merged cell repeats in every column and row it covers."""
        rows = []
        for row in table.rows:
            try:
                cells = row.cells
            except (IndexError, ValueError):  # rows with malformed spans: keep what the XML holds
                cells = []
            skipped = [""] * (getattr(row, "grid_cols_before", 0) or 0)  # a row that starts late
            rows.append(skipped + [" ".join(self._paragraph_text(p._p).strip() for p in cell.paragraphs).strip()
                                   for cell in cells])
        return rows

    def _numbering_formats(self) -> dict[tuple[str, int], str]:
        """numFmt (bullet, decimal, ...) of each (numId, level) from numbering.xml."""
        qn = self.qn
        try:
            numbering = self.document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return {}
        abstract = {}
        for node in numbering.findall(qn("w:abstractNum")):
            levels = {}
            for lvl in node.findall(qn("w:lvl")):
                fmt = lvl.find(qn("w:numFmt"))
                levels[int(lvl.get(qn("w:ilvl"), "0"))] = fmt.get(qn("w:val")) if fmt is not None else "decimal"
            abstract[node.get(qn("w:abstractNumId"))] = levels
        formats = {}
        for num in numbering.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            levels = abstract.get(ref.get(qn("w:val")) if ref is not None else None, {})
            for level, fmt in levels.items():
                formats[(num.get(qn("w:numId")), level)] = fmt
        return formats

    def _num_pr(self, paragraph) -> tuple[str, int] | None:
        """(numId, level) from the paragraph or, for style-based lists, from its style chain (numId 0: none)."""
        candidates = [paragraph._p.pPr]
        style = paragraph.style
        while style is not None:
            candidates.append(style.element.pPr)
            style = style.base_style
        num_id, level = None, None
        for ppr in candidates:
            if ppr is None or ppr.numPr is None:
                continue
            if num_id is None and ppr.numPr.numId is not None:
                num_id = str(ppr.numPr.numId.val)
            if level is None and ppr.numPr.ilvl is not None:
                level = int(ppr.numPr.ilvl.val)
        if num_id is None:
            return None
        return num_id, level or 0

    def _list_item(self, paragraph, text: str) -> str | None:
        """'- text' or 'N. text', indented by level, when the paragraph is a list item."""
        found = self._num_pr(paragraph)
        style_name = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
        # "List Paragraph" is only indentation; "List Bullet"/"List Number" are lists even without numbering.
        if found is None and not re.match(r"list (bullet|number)", style_name):
            return None
        if found is not None and found[0] == "0":
            return None  # numbering switched off on this paragraph, whatever its style says
        num_id, level = found or (style_name, 0)
        fmt = self.formats.get((num_id, level), "decimal" if "number" in style_name else "bullet")
        for key in [k for k in self.counters if k[0] == num_id and k[1] > level]:
            del self.counters[key]  # a new parent item restarts the numbering below it
        indent = "    " * level
        if fmt in ("bullet", "none"):
            return f"{indent}- {text}"
        count = self.counters.get((num_id, level), 0) + 1
        self.counters[(num_id, level)] = count
        return f"{indent}{count}. {text}"


def _heading_level(paragraph) -> int:
    """1-6 for Title and Heading N styles (also their localized ids), else 0."""
    style = paragraph.style
    if style is None:
        return 0
    for name in (style.name or "", style.style_id or ""):
        if name.lower() == "title":
            return 1
        match = re.match(r"(?i)^heading\s*(\d)$", name)
        if match:
            return min(6, max(1, int(match.group(1))))
    from docx.oxml.ns import qn

    ppr = paragraph._p.pPr
    outline = ppr.find(qn("w:outlineLvl")) if ppr is not None else None
    value = outline.get(qn("w:val")) if outline is not None else None
    if value is not None and value.isdigit() and int(value) < 9:  # 9 means body text
        return min(6, int(value) + 1)
    return 0


# ---------------------------------------------------------------- PowerPoint

def pptx_slides(path: Path) -> Iterator[str]:
    """The text of each slide in order: title as #, text boxes top to bottom, tables, then the speaker notes."""
    presentation = _open(path, "pptx")
    for slide in presentation.slides:
        parts: list[str] = []
        title_shape = slide.shapes.title
        if title_shape is not None and title_shape.has_text_frame and title_shape.text_frame.text.strip():
            parts.append("# " + " ".join(title_shape.text_frame.text.split()))
        for shape in _reading_order(slide.shapes):
            if title_shape is not None and shape.shape_id == title_shape.shape_id:
                continue
            parts.extend(_shape_text(shape))
        if slide.has_notes_slide:
            notes_frame = slide.notes_slide.notes_text_frame
            notes = notes_frame.text.strip() if notes_frame is not None else ""
            if notes:
                parts.append("Notes:\n" + notes)
        yield "\n\n".join(p for p in parts if p.strip())


def pptx_slide_count(path: Path) -> int:
    """Number of slides."""
    return len(_open(path, "pptx").slides)


def _reading_order(shapes) -> list:
    """Top to bottom, then left to right (placeholders without a position count as top-left)."""
    return sorted(shapes, key=lambda s: ((s.top or 0) // 10000, s.left or 0))


def _shape_text(shape) -> list[str]:
    """Text blocks of one shape: a group's members, a table, or a text frame's paragraphs by level."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        return [text for inner in _reading_order(shape.shapes) for text in _shape_text(inner)]
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = [[" ".join(cell.text.split()) for cell in row.cells] for row in shape.table.rows]
        return [_markdown_table(rows)]
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        lines = []
        for paragraph in shape.text_frame.paragraphs:
            text = "".join(run.text for run in paragraph.runs).strip() or paragraph.text.strip()
            if text:
                lines.append("    " * (paragraph.level or 0) + text)
        return ["\n".join(lines)] if lines else []
    return []


# ---------------------------------------------------------------- HTML

def html_text(data: bytes) -> str:
    """Readable text of a web page as Markdown (headings, lists, tables), scripts and styles left out."""
    from bs4 import BeautifulSoup, UnicodeDammit
    from markdownify import MarkdownConverter

    # The page's own charset declaration first, then UTF-8, then Windows-1252 (what browsers assume).
    decoded = UnicodeDammit(data, ["utf-8", "windows-1252"], is_html=True).unicode_markup
    if decoded is None:
        decoded = data.decode("latin-1")
    soup = BeautifulSoup(decoded, "lxml")
    for tag in soup(["head", "script", "style", "noscript", "template", "svg", "iframe", "object"]):
        tag.decompose()
    converter = MarkdownConverter(heading_style="ATX", bullets="-", escape_asterisks=False,
                                  escape_underscores=False, escape_misc=False)
    try:
        text = converter.convert_soup(soup)
    except RecursionError:  # markdownify recurses per level: a page nested thousands deep keeps its text only
        text = soup.get_text("\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# ---------------------------------------------------------------- shared

def _open(path: Path, kind: str):
    """python-docx / python-pptx object, or OfficeError with a sentence the student understands."""
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(8)
    if head == _OLE_MAGIC:
        # Office keeps encrypted documents (and pre-2007 .doc/.ppt) in an OLE container, not a zip.
        raise OfficeError(f"{path.name} is password-protected or in the old binary Office format: save it "
                          f"without a password as .{kind} and import that copy")
    if not zipfile.is_zipfile(path):
        raise OfficeError(f"{path.name} is damaged or not a {kind.upper()} file (it is not a zip package)")
    _check_unpacked_size(path, kind)
    if kind == "docx":
        from docx import Document as load
    else:
        from pptx import Presentation as load
    try:
        return load(str(path))
    except (KeyError, ValueError) as exc:
        # python-docx/-pptx say this for a package of the wrong kind or with missing parts.
        raise OfficeError(f"{path.name} could not be read as a {kind.upper()} file ({exc})") from exc
    except Exception as exc:  # lxml and zip errors share no base class: one clear message for all
        raise OfficeError(f"{path.name} is damaged and could not be read as a {kind.upper()} file ({exc})") from exc


def _check_unpacked_size(path: Path, kind: str) -> None:
    """Refuse a package whose parts unpack to far more than Office writes (python-docx/-pptx read every part
    into memory: a zip bomb would take it all)."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except Exception as exc:  # noqa: BLE001 - zipfile's errors share no base class
        raise OfficeError(f"{path.name} is damaged and could not be read as a {kind.upper()} file ({exc})") from exc
    unpacked = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if unpacked > min(MAX_UNPACKED, max(MIN_ALLOWED, MAX_RATIO * packed)):
        raise OfficeError(f"{path.name} unpacks to {unpacked / 2**20:,.0f} MB, far more than a {kind.upper()} "
                          f"file holds: it is damaged or a decompression bomb")


def _markdown_table(rows: list[list[str]]) -> str:
    """Rows as a Markdown table, the first row as its header."""
    rows = [row for row in rows if row]
    if not rows:
        return ""
    width = max(len(row) for row in rows)

    def line(cells: list[str]) -> str:
        cells = [c.replace("|", "\\|").replace("\n", " ") for c in cells] + [""] * (width - len(cells))
        return "| " + " | ".join(cells) + " |"

    return "\n".join([line(rows[0]), "| " + " | ".join(["-"] * width) + " |", *map(line, rows[1:])])
