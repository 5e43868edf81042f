"""OCR on the shared page images: no worse than the tesseract command, upright and straight, boxes, errors, CLI."""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image, ImageFilter

from lmgpa_desktop.cli import commands_ocr, run_handler
from lmgpa_desktop.core.text_metrics import char_error_rate
from lmgpa_desktop.engines import ocr

IMAGES = [
    ("phototest.tif", "phototest.txt"),
    ("phototest_2.tif", "phototest.txt"),
    ("phototest-rotated-180.png", "phototest.txt"),
    ("phototest-rotated-L.png", "phototest.txt"),
    ("eurotext.tif", "eurotext.txt"),
    pytest.param("8087_054.3B.tif", "8087_054.3B.txt", marks=pytest.mark.slow),
    pytest.param("thinkpython2_pdfpage21_200dpi.png", "thinkpython2_pdfpage21_200dpi.textlayer.txt",
                 marks=pytest.mark.slow),
]


@pytest.fixture(scope="module", autouse=True)
def tesseract_installed():
    if shutil.which("tesseract") is None:
        pytest.fail("the tesseract command is needed: apt-get install tesseract-ocr tesseract-ocr-eng "
                    "tesseract-ocr-osd (./test does this)")


def cli_tsv(path) -> list[dict]:
    """The tesseract command's own words and boxes, default settings."""
    out = subprocess.run(["tesseract", str(path), "stdout", "tsv"], capture_output=True, text=True, check=True,
                         env={**os.environ, "OMP_THREAD_LIMIT": "1"}).stdout
    lines = out.splitlines()
    header = lines[0].split("\t")
    rows = [dict(zip(header, line.split("\t"))) for line in lines[1:]]
    return [r for r in rows if r.get("level") == "5" and r.get("text", "").strip()]


def cli_text(path) -> str:
    """What `tesseract IMAGE stdout` prints with default settings (threads limited only for speed)."""
    return subprocess.run(["tesseract", str(path), "stdout"], capture_output=True, text=True, check=True,
                          env={**os.environ, "OMP_THREAD_LIMIT": "1"}).stdout


def box_of(page: ocr.OcrPage, word: str) -> tuple[int, int, int, int]:
    matches = [w[:4] for w in page.words if w[4].strip(".,") == word]
    assert matches, f"{word!r} not among the words found: {[w[4] for w in page.words][:40]}"
    return matches[0]


def assert_boxes_inside(page: ocr.OcrPage) -> None:
    assert page.words
    for x, y, w, h, text, conf in page.words:
        assert 0 <= x and 0 <= y and w > 0 and h > 0, (x, y, w, h, text)
        assert x + w <= page.width and y + h <= page.height, (x, y, w, h, text, page.width, page.height)
        assert 0 <= conf <= 100


@pytest.mark.parametrize("image, reference", IMAGES)
def test_character_error_rate_no_worse_than_the_tesseract_command(shared, image, reference):
    path = shared / "ocr" / image
    truth = (shared / "ocr" / reference).read_text(encoding="utf-8")
    ours = ocr.recognize(path)
    theirs = char_error_rate(truth, cli_text(path))
    cer = char_error_rate(truth, ours.text)
    assert cer <= theirs + 1e-9, f"{image}: ours {cer:.3f} vs tesseract {theirs:.3f} ({ours.steps})"
    assert_boxes_inside(ours)
    assert 0 < ours.confidence <= 100
    assert (ours.width, ours.height) == Image.open(path).size


def test_absolute_accuracy_and_orientation(shared):
    truth = (shared / "ocr" / "phototest.txt").read_text(encoding="utf-8")
    upright = ocr.recognize(shared / "ocr" / "phototest.tif")
    assert char_error_rate(truth, upright.text) < 0.02
    assert upright.rotated_by == 0
    upside_down = ocr.recognize(shared / "ocr" / "phototest-rotated-180.png")
    assert char_error_rate(truth, upside_down.text) < 0.05
    assert upside_down.rotated_by == 180
    left = ocr.recognize(shared / "ocr" / "phototest-rotated-L.png")
    assert char_error_rate(truth, left.text) < 0.05
    assert left.rotated_by == 90
    assert upright.confidence > 85 and upside_down.confidence > 85 and left.confidence > 85


def test_word_boxes_are_where_the_words_are(shared):
    upright_path = shared / "ocr" / "phototest.tif"
    width, height = Image.open(upright_path).size
    reference = {r["text"]: tuple(int(r[k]) for k in ("left", "top", "width", "height")) for r in cli_tsv(upright_path)}
    upright = ocr.recognize(upright_path)
    assert box_of(upright, "point") == reference["point"]  # words that occur once on the page
    # The same word on the page turned upside down: the box is the upright one mirrored through the centre.
    x, y, w, h = reference["types"]
    turned = box_of(ocr.recognize(shared / "ocr" / "phototest-rotated-180.png"), "types")
    assert np.allclose(turned, (width - x - w, height - y - h, w, h), atol=3), turned
    # On the page turned a quarter to the left, x comes from y and y from the right edge.
    left = box_of(ocr.recognize(shared / "ocr" / "phototest-rotated-L.png"), "types")
    assert np.allclose(left, (y, width - x - w, h, w), atol=3), left


def _skewed(image: Image.Image, degrees: float) -> Image.Image:
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def test_skewed_page_is_straightened_and_boxes_follow_the_skew(shared, tmp_path):
    truth = (shared / "ocr" / "phototest.txt").read_text(encoding="utf-8")
    upright = Image.open(shared / "ocr" / "phototest.tif").convert("L")
    skewed = _skewed(upright, 8)
    skewed.save(tmp_path / "skewed.png")
    ours = ocr.recognize(skewed)
    assert abs(ours.deskewed_by + 8) < 1.0, ours.steps
    assert char_error_rate(truth, ours.text) < 0.02
    assert char_error_rate(truth, cli_text(tmp_path / "skewed.png")) > 0.3  # the command alone cannot read it
    assert_boxes_inside(ours)
    # Where "point" is on the upright page, turned 8 degrees counter-clockwise about the centre like Pillow does.
    x, y, w, h = box_of(ocr.recognize(upright), "point")
    cx, cy = x + w / 2 - upright.width / 2, y + h / 2 - upright.height / 2
    a = math.radians(8)
    expected = (cx * math.cos(a) + cy * math.sin(a) + skewed.width / 2,
                -cx * math.sin(a) + cy * math.cos(a) + skewed.height / 2)
    bx, by, bw, bh = box_of(ours, "point")
    assert abs(bx + bw / 2 - expected[0]) < 4 and abs(by + bh / 2 - expected[1]) < 4


def test_small_text_is_enlarged(shared, tmp_path):
    truth = (shared / "ocr" / "phototest.txt").read_text(encoding="utf-8")
    upright = Image.open(shared / "ocr" / "phototest.tif").convert("L")
    small = upright.resize((round(upright.width * 0.35), round(upright.height * 0.35)), Image.Resampling.LANCZOS)
    small.save(tmp_path / "small.png")
    ours = ocr.recognize(tmp_path / "small.png")
    assert ours.scale > 2, ours.steps
    assert char_error_rate(truth, ours.text) < 0.01
    assert char_error_rate(truth, ours.text) <= char_error_rate(truth, cli_text(tmp_path / "small.png"))
    assert_boxes_inside(ours)
    x, y, _, _ = box_of(ours, "point")
    big = box_of(ocr.recognize(upright), "point")
    assert abs(x - big[0] * 0.35) < 3 and abs(y - big[1] * 0.35) < 3


def test_photo_with_uneven_light_blur_noise_and_tilt(shared, tmp_path):
    """A phone photo of a page: a lamp on one side, soft focus, sensor noise, held at a slant."""
    truth = (shared / "ocr" / "eurotext.txt").read_text(encoding="utf-8")
    page = _skewed(Image.open(shared / "ocr" / "eurotext.tif").convert("L"), 6).filter(ImageFilter.GaussianBlur(1.2))
    pixels = np.asarray(page, dtype=np.float64)
    light = 0.55 + 0.45 * np.linspace(0, 1, pixels.shape[1])[None, :]
    noise = np.random.default_rng(1).normal(0, 12, pixels.shape)
    photo = Image.fromarray(np.clip(pixels * light + noise, 0, 255).astype(np.uint8))
    photo.save(tmp_path / "photo.png")
    ours = ocr.recognize(tmp_path / "photo.png")
    assert "even out lighting" in ours.steps
    theirs = char_error_rate(truth, cli_text(tmp_path / "photo.png"))
    assert char_error_rate(truth, ours.text) < 0.05 < theirs


def test_blank_and_tiny_images_give_no_text_without_failing():
    for image in (Image.new("L", (800, 600), 255), Image.new("RGB", (12, 9), (200, 30, 30))):
        page = ocr.recognize(image)
        assert page.text == "" and page.words == [] and page.confidence == 0
    specks = Image.new("L", (300, 200), 255)
    for x in range(0, 300, 37):
        specks.putpixel((x, 100), 0)
    assert ocr.recognize(specks).text.strip() == ""


def test_transparent_png_is_read_on_white(shared, tmp_path):
    page = Image.open(shared / "ocr" / "phototest.tif").convert("L")
    # Black text on a fully transparent background: naive conversion would make the page black.
    rgba = Image.new("RGBA", page.size, (0, 0, 0, 0))
    rgba.putalpha(Image.eval(page, lambda v: 255 - v))
    rgba.save(tmp_path / "transparent.png")
    truth = (shared / "ocr" / "phototest.txt").read_text(encoding="utf-8")
    assert char_error_rate(truth, ocr.recognize(tmp_path / "transparent.png").text) < 0.02


def test_missing_tesseract_and_missing_language_data_are_clear(shared, monkeypatch):
    image = shared / "ocr" / "phototest.tif"
    with pytest.raises(ocr.OcrError, match="no language data for xyz.*tesseract-ocr-xyz"):
        ocr.recognize(image, language="xyz")
    with pytest.raises(ocr.OcrError, match="not a tesseract language code"):
        ocr.recognize(image, language="eng; rm -rf /")
    monkeypatch.setenv(ocr.TESSERACT_ENV, "/nonexistent/tesseract")
    with pytest.raises(ocr.OcrError, match="install tesseract-ocr"):
        ocr.recognize(image)


def test_available_languages():
    languages = ocr.available_languages()
    assert "eng" in languages and "osd" not in languages


def _run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="lmgpa")
    commands_ocr.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["ocr", *argv])
    return run_handler(args.handler, args)


def test_cli_prints_text_and_json(shared, capsys):
    assert _run_cli(str(shared / "ocr" / "phototest-rotated-180.png")) == 0
    out = capsys.readouterr().out
    assert "The quick brown dog jumped over the" in out
    assert _run_cli(str(shared / "ocr" / "phototest-rotated-L.png"), "--json", "--language", "eng") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rotated_by"] == 90 and data["confidence"] > 85 and "lazy fox" in data["text"]
    assert all(len(word) == 6 for word in data["words"]) and data["words"][0][4] == "This"


def test_cli_errors_are_one_line(shared, tmp_path, capsys):
    assert _run_cli(str(tmp_path / "missing.png")) == 1
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "notes.docx").write_bytes(b"PK")
    assert _run_cli(str(tmp_path / "notes.docx")) == 1
    assert "not an image" in capsys.readouterr().err
    assert _run_cli(str(shared / "ocr" / "phototest.tif"), "--language", "xyz") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tesseract-ocr-xyz" in err
