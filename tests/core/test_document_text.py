"""Per-page text from PDF (OCR where no text layer), Word, PowerPoint, Markdown, text, HTML and images; clear errors."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from lmgpa_desktop.core.capture import document_text
from lmgpa_desktop.core.capture.document_text import ExtractError, PageText
from lmgpa_desktop.core.text_metrics import char_error_rate

PDF = "documents/pdf/thinkpython2_ch01-02.pdf"
CHAPTER_1_PAGES = range(1, 9)  # the subset's pages 1-8; chapter 2 starts on page 9


def reference_pages(shared) -> list[str]:
    """The pdfium reference text, one string per page (U+FFFE marks a hyphen pdfium removed at a line end)."""
    text = (shared / PDF).with_suffix(".pdfium-text.txt").read_text(encoding="utf-8").replace("\ufffe", "")
    return re.split(r"=== page \d+ of subset[^\n]*===\n", text)[1:]


def words_of(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def plain(line: str) -> str:
    """A Markdown line without its heading, list, emphasis and numbering marks, spaces collapsed."""
    line = re.sub(r"^\s*(#+|[-*+]|\d+\.)\s+", "", line)
    line = re.sub(r"^(\d+\.)+\s*", "", line)
    line = line.replace("*", "").replace("\\_", "_").replace("\u200b", "")
    return " ".join(line.split())


def test_pdf_text_layer_matches_the_pdfium_reference(shared):
    path = shared / PDF
    assert document_text.kind_of(path) == "pdf"
    assert document_text.page_count(path) == 16
    pages = list(document_text.extract(path))
    assert [p.page_no for p in pages] == list(range(1, 17))
    assert all(p.method == "text" and p.confidence is None and p.words is None for p in pages)
    reference = reference_pages(shared)
    ours = "\n".join(pages[n - 1].text for n in CHAPTER_1_PAGES)
    theirs = "\n".join(reference[n - 1] for n in CHAPTER_1_PAGES)
    assert char_error_rate(theirs, ours) < 0.05
    for n in CHAPTER_1_PAGES:
        assert char_error_rate(reference[n - 1], pages[n - 1].text) < 0.05, n
    first = pages[0].text
    assert "Thewayoftheprogram" not in "\n".join(p.text for p in pages)  # pypdf glues these words
    assert "The way of the program" in first and "accurately" in first  # words kept apart, hyphenation undone


def _image_pdf(shared, tmp_path, name="scan.pdf"):
    """A scanned page: the shared 200 dpi page image as the only content of a PDF (no text layer)."""
    image = Image.open(shared / "ocr" / "thinkpython2_pdfpage21_200dpi.png").convert("L")
    path = tmp_path / name
    image.save(path, "PDF", resolution=200)
    return path


@pytest.mark.slow
def test_pdf_page_without_text_layer_is_ocrd(shared, tmp_path):
    path = _image_pdf(shared, tmp_path)
    pages = list(document_text.extract(path, ocr_dpi=200))
    assert len(pages) == 1
    page = pages[0]
    assert page.method == "ocr" and page.confidence > 80
    truth = (shared / "ocr" / "thinkpython2_pdfpage21_200dpi.textlayer.txt").read_text(encoding="utf-8")
    assert char_error_rate(truth, page.text) < 0.05
    assert (page.width, page.height) == (1700, 2200)  # the rendered image, at 200 dpi
    for x, y, w, h, text, conf in page.words:
        assert 0 <= x and x + w <= page.width and 0 <= y and y + h <= page.height


@pytest.mark.slow
def test_mixed_pdf_uses_the_text_layer_where_it_has_one(shared, tmp_path):
    import pypdf

    writer = pypdf.PdfWriter()
    writer.append(str(shared / PDF), pages=(0, 1))
    writer.append(str(_image_pdf(shared, tmp_path)))
    writer.write(tmp_path / "mixed.pdf")
    pages = list(document_text.extract(tmp_path / "mixed.pdf", ocr_dpi=150))
    assert [p.method for p in pages] == ["text", "ocr"]
    assert pages[1].width == pytest.approx(1275, abs=1) and pages[1].height == pytest.approx(1650, abs=1)  # at 150 dpi
    assert "The way of the program" in pages[1].text  # the scanned page is chapter 1's first page


def test_encrypted_corrupt_empty_and_unsupported_files(shared, tmp_path):
    import pypdf

    writer = pypdf.PdfWriter(clone_from=str(shared / PDF))
    writer.encrypt(user_password="secret", owner_password="owner")
    writer.write(tmp_path / "locked.pdf")
    for call in (document_text.page_count, lambda p: list(document_text.extract(p))):
        with pytest.raises(ExtractError, match="password-protected"):
            call(tmp_path / "locked.pdf")
    data = (shared / PDF).read_bytes()
    (tmp_path / "truncated.pdf").write_bytes(data[: len(data) // 3])
    (tmp_path / "fake.pdf").write_bytes(b"%PDF-1.7\nthis is not really a PDF\n")
    for name in ("truncated.pdf", "fake.pdf"):
        with pytest.raises(ExtractError, match="damaged or not a PDF"):
            list(document_text.extract(tmp_path / name))
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(ExtractError, match="empty"):
        list(document_text.extract(tmp_path / "empty.txt"))
    (tmp_path / "blank.md").write_text("\n\n  \n", encoding="utf-8")
    with pytest.raises(ExtractError, match="no text found"):
        list(document_text.extract(tmp_path / "blank.md"))
    (tmp_path / "data.xyz").write_text("hello", encoding="utf-8")
    with pytest.raises(ExtractError, match="not supported"):
        list(document_text.extract(tmp_path / "data.xyz"))
    with pytest.raises(ExtractError, match="not supported"):
        document_text.kind_of(tmp_path / "song.flac")
    with pytest.raises(ExtractError, match="does not exist"):
        list(document_text.extract(tmp_path / "missing.pdf"))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(ExtractError, match="not a readable image"):
        list(document_text.extract(tmp_path / "broken.png"))
    (tmp_path / "broken.docx").write_bytes(b"not a zip at all")
    with pytest.raises(ExtractError, match="not a DOCX"):
        list(document_text.extract(tmp_path / "broken.docx"))
    (tmp_path / "old.pptx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(ExtractError, match="password-protected or in the old binary"):
        list(document_text.extract(tmp_path / "old.pptx"))
    (tmp_path / "binary.txt").write_bytes(b"abc\x00\x01\x02" * 50)
    with pytest.raises(ExtractError, match="does not look like a text file"):
        list(document_text.extract(tmp_path / "binary.txt"))


def test_blank_scan_has_no_text(tmp_path):
    Image.new("L", (850, 1100), 255).save(tmp_path / "blank.pdf", "PDF", resolution=100)
    with pytest.raises(ExtractError, match="no text found in blank.pdf"):
        list(document_text.extract(tmp_path / "blank.pdf"))
    Image.new("RGB", (400, 300), (250, 250, 250)).save(tmp_path / "wall.jpg")
    with pytest.raises(ExtractError, match="no text found in wall.jpg"):
        list(document_text.extract(tmp_path / "wall.jpg"))


def test_enormous_files_name_the_limit(shared, tmp_path, monkeypatch):
    monkeypatch.setattr(document_text, "MAX_BYTES", 50_000)
    with pytest.raises(ExtractError, match=r"too large .*the limit is 0 MB"):
        list(document_text.extract(shared / PDF))
    monkeypatch.setattr(document_text, "MAX_BYTES", 300 * 2**20)
    monkeypatch.setattr(document_text, "MAX_PAGES", 10)
    with pytest.raises(ExtractError, match=r"16 pages; the limit is 10"):
        document_text.page_count(shared / PDF)
    with pytest.raises(ExtractError, match=r"the limit is 10"):
        list(document_text.extract(shared / PDF))


@pytest.mark.parametrize("name", ["docx_lists.docx", "equations.docx", "lorem_ipsum.docx", "unit_test_headers.docx",
                                  "word_sample.docx", "word_tables.docx"])
def test_docx_text_holds_the_ground_truth(shared, name):
    path = shared / "documents" / "docx" / name
    truth = (shared / "documents" / "docx" / f"{name}.docling-groundtruth.md").read_text(encoding="utf-8")
    pages = list(document_text.extract(path))
    assert document_text.page_count(path) == len(pages) >= 1
    assert all(p.method == "text" for p in pages)
    text = "\n".join(p.text for p in pages)
    flat = " ".join(text.split())
    our_headings = {plain(line) for line in text.splitlines() if line.startswith("#")}
    checked = 0
    for line in truth.splitlines():
        if not line.strip() or "$" in line or line.startswith("<!--") or set(line) <= set("|- "):
            continue  # equations are LaTeX in the ground truth, the symbols themselves here
        if line.startswith("|"):
            for cell in (c.strip() for c in line.strip("|").split("|")):
                assert not cell or cell in flat, (name, cell)
            checked += 1
            continue
        if line.startswith("#"):
            assert plain(line) in our_headings, (name, line, our_headings)
        assert plain(line) in flat, (name, line)
        checked += 1
    assert checked >= 3


def test_docx_structure_marks(shared):
    text = "\n".join(p.text for p in document_text.extract(shared / "documents" / "docx" / "docx_lists.docx"))
    assert "# Test Document" in text and "### Test 1:" in text
    assert "- List item 1\n- List item 2\n    - List item 1.1" in text
    assert "1. List item a\n2. List item b\n3. List item c" in text
    text = "\n".join(p.text for p in document_text.extract(shared / "documents" / "docx" / "word_tables.docx"))
    assert "| Cell 1.0 | Merged Cell 1.1 1.2 | Merged Cell 1.1 1.2 |" in text
    text = "\n".join(p.text for p in document_text.extract(shared / "documents" / "docx" / "equations.docx"))
    assert "E=mc2" in text and "πr2" in text  # equation symbols are kept, so the page can be found


@pytest.mark.parametrize("name", ["duck.md", "inline_and_formatting.md", "mixed.md", "nested.md", "wiki.md"])
def test_markdown_holds_the_ground_truth(shared, name):
    path = shared / "documents" / "markdown" / name
    truth = (shared / "documents" / "markdown" / f"{name}.docling-groundtruth.md").read_text(encoding="utf-8")
    pages = list(document_text.extract(path))
    assert document_text.kind_of(path) == "md" and document_text.page_count(path) == len(pages)
    text = "\n".join(p.text for p in pages)
    ours = set(words_of(text))
    missing = [w for w in words_of(truth.replace("\\_", "_")) if w not in ours]
    assert not missing, (name, missing[:10])
    for line in truth.replace("\\_", "_").splitlines():
        if line.startswith("#"):
            assert line in text.splitlines(), (name, line)
    assert "Table nesting apparently" not in text  # an HTML comment is not shown to a reader


def test_long_text_is_split_into_parts_at_paragraphs(shared, tmp_path):
    wiki = (shared / "documents" / "markdown" / "wiki.md").read_text(encoding="utf-8")
    pages = list(document_text.extract(shared / "documents" / "markdown" / "wiki.md"))
    assert len(pages) == 2 and [p.page_no for p in pages] == [1, 2]
    assert all(len(p.text) <= document_text.PART_CHARS for p in pages)
    assert " ".join(" ".join(p.text for p in pages).split()) == " ".join(wiki.split())
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", wiki) if p.strip()]
    for page in pages:  # every part is made of whole paragraphs
        for chunk in re.split(r"\n\s*\n", page.text):
            assert " ".join(chunk.split()) in paragraphs
    # One enormous paragraph is cut between sentences, never inside a word.
    sentence = "The mitochondria is the powerhouse of the cell. "
    (tmp_path / "long.txt").write_text(sentence * 400, encoding="utf-8")
    parts = list(document_text.extract(tmp_path / "long.txt"))
    assert len(parts) == document_text.page_count(tmp_path / "long.txt") >= 6
    assert all(p.text.endswith("cell.") and len(p.text) <= document_text.PART_CHARS for p in parts)
    assert sum(p.text.count("mitochondria") for p in parts) == 400


def test_text_files_are_decoded_robustly(tmp_path):
    samples = {
        "utf8.txt": "Café “quoted” — naïve".encode(),
        "bom.txt": b"\xef\xbb\xbf" + "Café “quoted” — naïve".encode(),
        "utf16.txt": "Café “quoted” — naïve".encode("utf-16"),
        "windows.txt": "Café “quoted” — naïve".encode("cp1252"),
    }
    for name, data in samples.items():
        (tmp_path / name).write_bytes(data)
        [page] = document_text.extract(tmp_path / name)
        assert page.text == "Café “quoted” — naïve", name
    (tmp_path / "latin1.text").write_bytes(b"caf\xe9 \x81\x8d")  # bytes Windows-1252 leaves undefined
    [page] = document_text.extract(tmp_path / "latin1.text")
    assert page.text.startswith("café")


def test_html_to_text(tmp_path):
    html = ("<html><head><meta charset='windows-1252'><title>x</title><style>p{color:red}</style></head><body>"
            "<h1>Cell biology</h1><p>The <b>nucleus</b> holds DNA &amp; RNA.</p><script>var hidden = 1;</script>"
            "<ul><li>Mitochondria</li><li>Ribosomes</li></ul>"
            "<table><tr><th>Organelle</th><th>Job</th></tr><tr><td>Golgi</td><td>Packaging</td></tr></table>"
            "<p>Caf\u00e9</p></body></html>")
    (tmp_path / "page.html").write_bytes(html.encode("cp1252"))
    [page] = document_text.extract(tmp_path / "page.html")
    assert page.text.startswith("# Cell biology")
    assert "The **nucleus** holds DNA & RNA." in page.text
    assert "- Mitochondria\n- Ribosomes" in page.text
    assert "| Organelle | Job |" in page.text and "| Golgi | Packaging |" in page.text
    assert "Café" in page.text
    assert "hidden" not in page.text and "color" not in page.text


def test_pptx_round_trip(tmp_path):
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])  # title and content
    slide.shapes.title.text = "Photosynthesis"
    body = slide.placeholders[1].text_frame
    body.text = "Light reactions"
    sub = body.add_paragraph()
    sub.text = "happen in the thylakoid"
    sub.level = 1
    slide.notes_slide.notes_text_frame.text = "Mention chlorophyll."
    second = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    second.shapes.title.text = "Summary table"
    table = second.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(6), Inches(1.5)).table
    for (r, c), value in {(0, 0): "Stage", (0, 1): "Place", (1, 0): "Calvin cycle", (1, 1): "stroma"}.items():
        table.cell(r, c).text = value
    box = second.shapes.add_textbox(Inches(1), Inches(5), Inches(6), Inches(1))
    box.text_frame.text = "Remember: light in, sugar out"
    deck.slides.add_slide(deck.slide_layouts[6])  # a blank slide keeps its number
    deck.save(tmp_path / "lecture.pptx")

    path = tmp_path / "lecture.pptx"
    assert document_text.kind_of(path) == "pptx" and document_text.page_count(path) == 3
    pages = list(document_text.extract(path))
    assert [p.page_no for p in pages] == [1, 2, 3]
    assert pages[0] == PageText(1, "# Photosynthesis\n\nLight reactions\n    happen in the thylakoid\n\n"
                                   "Notes:\nMention chlorophyll.", "text", None, None, None, None)
    assert pages[1].text.startswith("# Summary table")
    assert "| Stage | Place |" in pages[1].text and "| Calvin cycle | stroma |" in pages[1].text
    assert pages[1].text.index("Calvin cycle") < pages[1].text.index("Remember: light in, sugar out")
    assert pages[2].text == ""


@pytest.mark.slow
def test_images_multipage_tiff_and_exif_rotation(shared, tmp_path):
    phototest = Image.open(shared / "ocr" / "phototest.tif").convert("L")
    eurotext = Image.open(shared / "ocr" / "eurotext.tif").convert("L")
    phototest.save(tmp_path / "two.tiff", save_all=True, append_images=[eurotext])
    assert document_text.page_count(tmp_path / "two.tiff") == 2
    pages = list(document_text.extract(tmp_path / "two.tiff"))
    assert [p.page_no for p in pages] == [1, 2] and all(p.method == "ocr" for p in pages)
    assert "quick brown dog" in pages[0].text and "quick" in pages[1].text
    assert (pages[1].width, pages[1].height) == eurotext.size
    # A phone photo stored sideways with an EXIF "turn 90 clockwise to view": boxes are in the upright view.
    stored = phototest.transpose(Image.Transpose.ROTATE_90).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(tmp_path / "phone.jpg", quality=95, exif=exif)
    [page] = document_text.extract(tmp_path / "phone.jpg")
    assert (page.width, page.height) == phototest.size
    truth = (shared / "ocr" / "phototest.txt").read_text(encoding="utf-8")
    assert char_error_rate(truth, page.text) < 0.02
    for x, y, w, h, text, conf in page.words:
        assert x + w <= page.width and y + h <= page.height


def test_heic_photo_is_read_or_explained(shared, tmp_path):
    try:
        import pillow_heif
    except ImportError:
        (tmp_path / "photo.heic").write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64)
        with pytest.raises(ExtractError, match="pillow-heif"):
            list(document_text.extract(tmp_path / "photo.heic"))
        return
    pillow_heif.register_heif_opener()
    Image.open(shared / "ocr" / "phototest.tif").convert("RGB").save(tmp_path / "photo.heic", quality=90)
    [page] = document_text.extract(tmp_path / "photo.heic")
    assert page.method == "ocr" and "quick brown dog" in page.text


def test_text_layer_quality_check():
    usable = document_text._usable_text_layer
    assert usable("1.1 What is a program? . . . . . . . . . . . . . . . 1\n1.2 Running Python ..........2")
    assert usable("def f(x):\n    return x ** 2  # squares")
    assert not usable("")
    assert not usable("\ue000\ue001\ue002\ue003 \ue004\ue005 ab")  # a font without a Unicode map
    assert not usable("!#$%&'()*+,-./:;<=>?@[]^_`{|}~" * 3)


def test_suffixes_and_kinds():
    assert {".pdf", ".docx", ".pptx", ".md", ".markdown", ".txt", ".text", ".html", ".htm", ".png", ".jpg", ".jpeg",
            ".tif", ".tiff", ".heic", ".webp", ".bmp", ".gif"} <= document_text.DOCUMENT_SUFFIXES
    assert {document_text.kind_of(f"a{s}") for s in document_text.DOCUMENT_SUFFIXES} == {"pdf", "docx", "pptx", "md", "txt",
                                                                             "html", "image"}
