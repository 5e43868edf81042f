"""Slide decks written with python-pptx: a title slide, bullet and table slides, a sources slide."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MAX_BULLETS = 7  # per slide; more go on a continuation slide
MAX_WORDS = 90  # per slide, so 20-point text still fits without shrinking
MAX_TABLE_ROWS = 8  # data rows per slide (the header row repeats)
MAX_CODE_LINES = 16
WIDE = (12_192_000, 6_858_000)  # 16:9 in EMU (13.33 x 7.5 inches)


class SlidesError(ValueError):
    """The deck could not be written (message is for the student)."""


@dataclass(frozen=True)
class Bullet:
    """One bullet point; a term (a defined word, a sub-heading) is shown bold before the text."""

    text: str
    level: int = 0
    term: str = ""

    @property
    def words(self) -> int:
        """Length in words, for fitting bullets on a slide."""
        return len(self.term.split()) + len(self.text.split())


@dataclass
class SlideSpec:
    """A content slide: a title and bullets, a table (first row is the header) or a code listing."""

    title: str
    bullets: list[Bullet] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)
    code: str = ""
    notes: str = ""  # speaker notes


def paginate(slide: SlideSpec) -> list[SlideSpec]:
    """A slide split into slides that fit (bullets, table rows or code lines), later ones titled "(cont.)"."""
    pages: list[SlideSpec] = []
    if slide.table:
        header, rows = slide.table[0], slide.table[1:] or [[""] * len(slide.table[0])]
        for n in range(0, len(rows), MAX_TABLE_ROWS):
            pages.append(SlideSpec(slide.title, table=[header, *rows[n:n + MAX_TABLE_ROWS]]))
    elif slide.code:
        lines = slide.code.splitlines() or [""]
        for n in range(0, len(lines), MAX_CODE_LINES):
            pages.append(SlideSpec(slide.title, code="\n".join(lines[n:n + MAX_CODE_LINES])))
    else:
        current: list[Bullet] = []
        for bullet in slide.bullets:
            words = sum(b.words for b in current)
            if current and (len(current) >= MAX_BULLETS or words + bullet.words > MAX_WORDS):
                pages.append(SlideSpec(slide.title, current))
                current = []
            current.append(bullet)
        pages.append(SlideSpec(slide.title, current))
    more = slide.title if slide.title.endswith(" (cont.)") else f"{slide.title} (cont.)"
    return [SlideSpec(slide.title if i == 0 else more, p.bullets, p.table, p.code, slide.notes if i == 0 else "")
            for i, p in enumerate(pages)]


def write_deck(path: Path, title: str, subtitle: str, slides: list[SlideSpec], sources: list[str],
               sources_title: str = "Sources") -> Path:
    """Write a 16:9 deck: title slide, the slides (split to fit), then a sources slide when there are sources."""
    from pptx import Presentation
    from pptx.util import Emu

    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(WIDE[0]), Emu(WIDE[1])
    _title_slide(prs, title, subtitle)
    for spec in slides:
        for page in paginate(spec):
            _content_slide(prs, page)
    if sources:
        for page in paginate(SlideSpec(sources_title, [Bullet(s) for s in sources])):
            _content_slide(prs, page, small=True)
    path = Path(path).expanduser()
    partial = path.with_name(path.name + ".part")
    try:
        prs.save(str(partial))
        partial.replace(path)
    except OSError as exc:
        raise SlidesError(f"the slides could not be written to {path}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return path


# ---- slide builders ------------------------------------------------------------------------------------


def _place(shape, left: float, top: float, width: float, height: float) -> None:
    """Position a shape in inches (the template's placeholders are laid out for 4:3)."""
    from pptx.util import Inches

    shape.left, shape.top, shape.width, shape.height = Inches(left), Inches(top), Inches(width), Inches(height)


def _title_slide(prs, title: str, subtitle: str) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    _place(slide.shapes.title, 0.9, 2.0, 11.5, 1.8)
    slide.shapes.title.text = title
    body = slide.placeholders[1]
    _place(body, 0.9, 4.0, 11.5, 1.4)
    if subtitle:
        body.text = subtitle
    else:
        body.element.getparent().remove(body.element)  # an empty placeholder shows "Click to add text"


def _set_title(slide, title: str) -> None:
    from pptx.util import Pt

    _place(slide.shapes.title, 0.6, 0.35, 12.1, 1.1)
    slide.shapes.title.text = title
    size = 36 if len(title) <= 40 else 28 if len(title) <= 70 else 22
    for paragraph in slide.shapes.title.text_frame.paragraphs:
        for run in paragraph.runs:
            run.font.size = Pt(size)


def _content_slide(prs, spec: SlideSpec, small: bool = False) -> None:
    """Title and content layout filled with bullets, a table or code."""
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Inches, Pt

    slide = prs.slides.add_slide(prs.slide_layouts[1] if spec.bullets else prs.slide_layouts[5])
    _set_title(slide, spec.title)
    if spec.bullets:
        body = slide.placeholders[1]
        _place(body, 0.6, 1.6, 12.1, 5.5)
        frame = body.text_frame
        frame.word_wrap = True
        frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE  # viewers shrink text that still overflows
        words = sum(b.words for b in spec.bullets)
        base = 18 if small or words > 70 else 20 if words > 45 else 24
        for n, bullet in enumerate(spec.bullets):
            paragraph = frame.paragraphs[0] if n == 0 else frame.add_paragraph()
            paragraph.level = max(0, min(4, bullet.level))
            size = Pt(max(14, base - 2 * paragraph.level))
            if bullet.term:
                run = paragraph.add_run()
                run.text = bullet.term + (": " if bullet.text else "")
                run.font.bold, run.font.size = True, size
            if bullet.text:
                run = paragraph.add_run()
                run.text = bullet.text
                run.font.size = size
    elif spec.table:
        columns = max(len(row) for row in spec.table)
        rows = len(spec.table)
        shape = slide.shapes.add_table(rows, columns, Inches(0.6), Inches(1.7), Inches(12.1), Inches(0.5 * rows))
        for r, row in enumerate(spec.table):
            for c in range(columns):
                cell = shape.table.cell(r, c)
                cell.text = row[c] if c < len(row) else ""
                for paragraph in cell.text_frame.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(16 if columns <= 4 else 12)
                        run.font.bold = r == 0
    elif spec.code:
        box = slide.shapes.add_textbox(Inches(0.6), Inches(1.6), Inches(12.1), Inches(5.5))
        frame = box.text_frame
        frame.word_wrap = True
        for n, line in enumerate(spec.code.splitlines() or [""]):
            paragraph = frame.paragraphs[0] if n == 0 else frame.add_paragraph()
            run = paragraph.add_run()
            run.text = line
            run.font.name, run.font.size = "Courier New", Pt(14)
    if spec.notes:
        slide.notes_slide.notes_text_frame.text = spec.notes

