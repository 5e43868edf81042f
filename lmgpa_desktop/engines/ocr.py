"""OCR with tesseract through pytesseract, with page clean-up; the only module importing pytesseract."""

from __future__ import annotations

import logging
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from lmgpa_desktop.engines.errors import ModelError

log = logging.getLogger(__name__)

TESSERACT_ENV = "LMGPA_TESSERACT"  # path of the tesseract program when it is not on PATH
# Below this mean word confidence a page may be sideways or upside down: ask tesseract's OSD.
ORIENTATION_CHECK_BELOW = 65.0
# Tesseract copes with a few degrees of skew by itself; straighten only beyond this.
DESKEW_FROM_DEGREES = 2.0
MAX_SKEW_DEGREES = 15.0
SKEW_SAMPLE = 15_000  # ink pixels the skew search looks at
MIN_INK_PIXELS = 200  # fewer dark pixels than this (on a page reduced to 1200 px) is a blank page
# Paper brightness varying by more than this many grey levels across a page means a photo's uneven light.
UNEVEN_LIGHT_LEVELS = 40.0
# OSD looks at up to 5x this many characters; 20 (default 50) found every turn of the shared pages in 60% of the time.
OSD_CONFIG = "-c min_characters_to_try=20"
# Text lines shorter than this (pixels, ascender to descender) are scaled up towards TARGET_LINE_PX.
SMALL_LINE_PX = 14.0
TARGET_LINE_PX = 30.0
MAX_UPSCALE = 4.0
MAX_PIXELS = 60_000_000  # a scaled-up page stays within tesseract's comfortable memory use
_LANGUAGE = re.compile(r"^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$")
_EXIF_ORIENTATION = 0x0112
_TEXT_FORMATS = {"TIFF", "PNG", "JPEG", "BMP", "PPM", "GIF", "WEBP"}  # what tesseract's leptonica reads itself


class OcrError(ModelError):
    """Tesseract or its language data is missing, or tesseract failed on the image."""


class _NoLanguageData(OcrError):
    """Tesseract lacks the data for a language (for OSD: orientation detection is skipped)."""


class _TesseractFailed(OcrError):
    """Tesseract ran and gave up on this image (OSD does on blank or tiny images)."""


class ImageReadError(ValueError):
    """The file is not an image Pillow can read (message is for the student)."""


@dataclass(frozen=True)
class OcrPage:
    """The text tesseract found on one image, with word boxes in the image's own pixel coordinates."""

    text: str
    words: list[tuple[int, int, int, int, str, float]]  # x, y, w, h, text, confidence 0..100
    confidence: float  # mean word confidence 0..100 (0 when no word was found)
    width: int
    height: int
    rotated_by: int = 0  # degrees clockwise the page was turned to read it upright
    deskewed_by: float = 0.0  # degrees counter-clockwise the page was straightened after that
    scale: float = 1.0  # how much the page was enlarged for recognition
    steps: tuple[str, ...] = field(default=())  # what was done, in order (for logs and benchmarks)


def read_image(path: Path, frame: int = 0) -> Image.Image:
    """One frame of an image file, turned the way its EXIF says (as viewers show it)."""
    path = Path(path)
    if path.suffix.lower() in (".heic", ".heif"):
        _enable_heif()
    try:
        image = Image.open(path)
        image.seek(frame)
        image.load()
    except EOFError as exc:
        raise ImageReadError(f"{path.name} has no frame {frame + 1}") from exc
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        raise _unreadable(path, exc) from exc
    if image.getexif().get(_EXIF_ORIENTATION, 1) in (None, 1):
        return image  # as it is, so tesseract can read the file itself
    turned = ImageOps.exif_transpose(image)
    if image.info.get("dpi"):
        turned.info["dpi"] = image.info["dpi"]
    return turned


def frame_count(path: Path) -> int:
    """Pages in a multi-page TIFF (1 for other images: an animated GIF is read by its first frame)."""
    path = Path(path)
    if path.suffix.lower() in (".heic", ".heif"):
        _enable_heif()
    try:
        with Image.open(path) as image:
            return int(getattr(image, "n_frames", 1)) if image.format == "TIFF" else 1
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        raise _unreadable(path, exc) from exc


def _unreadable(path: Path, exc: Exception) -> ImageReadError:
    """Why Pillow could not open an image, in the student's terms."""
    if isinstance(exc, Image.DecompressionBombError):
        return ImageReadError(f"{path.name} is too large an image ({exc}); scale it down and add it again")
    if path.suffix.lower() in (".heic", ".heif") and not _heif_available():
        return ImageReadError(f"{path.name} is a HEIC photo and this installation cannot read HEIC "
                              f"(it needs the pillow-heif package); export it as JPEG and add that")
    return ImageReadError(f"{path.name} is damaged or not a readable image ({exc})")


def _heif_available() -> bool:
    """Whether the pillow-heif plug-in is installed."""
    try:
        import pillow_heif  # noqa: F401
    except ImportError:
        return False
    return True


def _enable_heif() -> None:
    """Pillow reads HEIC photos only through the pillow-heif plug-in, when it is installed."""
    try:
        import pillow_heif
    except ImportError:
        return
    pillow_heif.register_heif_opener()


def available_languages() -> list[str]:
    """Language codes tesseract has data for (for Settings); raises OcrError when tesseract is missing."""
    pytesseract = _pytesseract()
    try:
        return sorted(lang for lang in pytesseract.get_languages() if lang != "osd")
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrError(_NOT_INSTALLED) from exc


def recognize(image: Image.Image | Path | str, language: str = "eng", orient: bool = True) -> OcrPage:
    """Recognise the text on one image: straighten, enlarge small text, turn upright pages, keep word boxes."""
    if not _LANGUAGE.match(language or ""):
        raise OcrError(f"'{language}' is not a tesseract language code (such as eng or eng+deu)")
    source_path = Path(image) if isinstance(image, (str, Path)) else None
    picture = read_image(source_path) if source_path else image
    steps: list[str] = []
    gray = _flatten(picture)
    # A file tesseract can read as it is spares writing a copy when nothing needs changing.
    direct = source_path if source_path and _readable_as_is(picture) else None
    # A bilevel scan has been thresholded already: there is no light left to even out.
    even = gray if picture.mode == "1" else _even_out_lighting(gray)
    if even is not gray:
        steps.append("even out lighting")
        gray, direct = even, None
    layout = _analyse(gray)
    if layout.ink == 0:  # a single grey level: nothing to read, no need to start tesseract
        return OcrPage("", [], 0.0, gray.width, gray.height, steps=("blank",))
    rotation = 0
    if orient and layout.sideways:
        rotation = _osd_rotation(gray, steps)
    page = _recognize_turned(gray, rotation, language, direct, steps, None if rotation else layout)
    if orient and page.confidence < ORIENTATION_CHECK_BELOW and layout.ink >= MIN_INK_PIXELS:
        # Poor reading: ask OSD (upright guess), or try the other way round (OSD mistook left for right).
        turn = _osd_rotation(gray, steps) if rotation == 0 else (rotation + 180) % 360
        if turn != rotation:
            turned = _recognize_turned(gray, turn, language, None, steps)
            if turned.confidence > page.confidence:
                page = turned
    return OcrPage(page.text, page.words, page.confidence, gray.width, gray.height, page.rotated_by,
                   page.deskewed_by, page.scale, tuple(steps))


_NOT_INSTALLED = ("tesseract is not installed or not on PATH: install tesseract-ocr "
                  "(Debian/Ubuntu: apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd)")


def _pytesseract():
    """pytesseract pointed at the configured program, running it on one thread."""
    import pytesseract

    pytesseract.pytesseract.tesseract_cmd = os.environ.get(TESSERACT_ENV) or "tesseract"
    # Tesseract's OpenMP build spins 4 threads per page: 2-3x the CPU time on 2 cores and worse next to
    # Whisper. pytesseract has no per-call environment (pytesseract issue 429), so it gets its own copy
    # of os.environ; the limit never leaks into this process (ctranslate2's OpenMP reads it at load).
    env = dict(os.environ)
    env.setdefault("OMP_THREAD_LIMIT", "1")
    pytesseract.pytesseract.environ = env
    return pytesseract


def _run(call, *args, **kwargs):
    """Call pytesseract, turning a missing program or missing language data into OcrError."""
    pytesseract = _pytesseract()
    try:
        return call(*args, **kwargs)
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrError(_NOT_INSTALLED) from exc
    except pytesseract.TesseractError as exc:
        message = str(exc.message or exc)
        if "Failed loading language" in message or "Error opening data file" in message:
            lang = kwargs.get("lang") or "?"
            missing = re.findall(r"Failed loading language '([^']+)'", message) or lang.split("+")
            packages = " ".join(f"tesseract-ocr-{code.lower()}" for code in missing)
            raise _NoLanguageData(f"tesseract has no language data for {'+'.join(missing)}: install {packages} "
                           f"(or choose another OCR language in Settings)") from exc
        raise _TesseractFailed(f"tesseract failed: {message.strip()[:300]}") from exc


def _flatten(image: Image.Image) -> Image.Image:
    """8-bit grayscale on white (transparent areas become paper), keeping the resolution."""
    dpi = image.info.get("dpi")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, rgba)
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit scans: stretch to 8 bits instead of clipping everything above 255 to white.
        image = ImageOps.autocontrast(image.convert("I").point(lambda v: v * (1 / 256)).convert("L"))
    gray = image if image.mode == "L" else image.convert("L")
    if dpi:
        gray.info["dpi"] = dpi
    return gray


def _even_out_lighting(gray: Image.Image) -> Image.Image:
    """Divide out a shadow or a lamp's gradient (photos of pages and boards); scans come back unchanged."""
    factor = max(1, math.ceil(max(gray.size) / 400))
    small = gray.reduce(factor) if factor > 1 else gray
    pixels = np.asarray(small, dtype=np.uint8)
    if (pixels < _otsu(pixels)).mean() > 0.5:
        return gray  # light writing on a dark board: tesseract inverts such lines itself
    # The brightest pixel nearby is paper; blurred, it is the light falling on the page.
    paper = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(8))
    light = np.asarray(paper, dtype=np.float32)
    if np.percentile(light, 98) - np.percentile(light, 2) < UNEVEN_LIGHT_LEVELS:
        return gray
    light = np.asarray(paper.resize(gray.size, Image.Resampling.BILINEAR), dtype=np.float32)
    flat = np.asarray(gray, dtype=np.float32) * 255.0 / np.maximum(light, 1.0)
    even = Image.fromarray(np.clip(flat, 0, 255).astype(np.uint8), mode="L")
    if gray.info.get("dpi"):
        even.info["dpi"] = gray.info["dpi"]
    return even


def _readable_as_is(image: Image.Image) -> bool:
    """A plain single-frame file with no alpha and no EXIF turn."""
    exif_turn = image.getexif().get(_EXIF_ORIENTATION, 1)
    return (image.format in _TEXT_FORMATS and image.mode in ("1", "L", "RGB")
            and getattr(image, "n_frames", 1) == 1 and exif_turn in (None, 1))


@dataclass(frozen=True)
class _Layout:
    """What a cheap look at the ink says: skew of the text lines, their height, and whether they run sideways."""

    skew: float
    line_px: float | None
    sideways: bool
    ink: int  # ink pixels seen (on the reduced page); almost none means a blank page


def _analyse(gray: Image.Image) -> _Layout:
    """Projection profiles of a sample of ink pixels: the angle with the sharpest rows is the line angle."""
    factor = max(1, math.ceil(max(gray.size) / 1200))
    small = gray.reduce(factor) if factor > 1 else gray
    pixels = np.asarray(small, dtype=np.uint8)
    threshold = _otsu(pixels)
    dark = pixels < threshold
    # Ink is the smaller class, so chalk on a blackboard works like pen on paper.
    ink = dark if dark.mean() <= 0.5 else ~dark
    ys, xs = np.nonzero(ink)
    if len(xs) < MIN_INK_PIXELS:
        return _Layout(0.0, None, False, len(xs))
    all_xs, all_ys = xs.astype(np.float64), ys.astype(np.float64)
    xs, ys = all_xs, all_ys
    if len(xs) > SKEW_SAMPLE:  # a fixed sample keeps the angle search cheap; the profiles stay sharp
        keep = np.random.default_rng(0).choice(len(xs), SKEW_SAMPLE, replace=False)
        xs, ys = xs[keep], ys[keep]
    coarse = np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 0.01, 1.0)
    scores = [_sharpness(xs, ys, a) for a in coarse]
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - 1.0, best + 1.01, 0.1)
    fine_scores = [_sharpness(xs, ys, a) for a in fine]
    best = float(fine[int(np.argmax(fine_scores))])
    across = max(_sharpness(ys, xs, a) for a in coarse[::2])  # the same, for lines running up the page
    sideways = across > 1.5 * max(fine_scores)
    line_px = _line_height(all_xs, all_ys, best)
    return _Layout(best, line_px * factor if line_px else None, sideways, int(ink.sum()))


def _otsu(pixels: np.ndarray) -> int:
    """Otsu's threshold from the histogram."""
    hist = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    weight = np.cumsum(hist)
    mean = np.cumsum(hist * np.arange(256))
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean[-1] * weight / total - mean) ** 2 / (weight * (total - weight))
    between = between[:-1]
    if not np.isfinite(between).any():
        return int(pixels.min())  # one grey level only: a blank page, nothing counts as ink
    return int(np.nanargmax(between)) + 1


def _rows(xs: np.ndarray, ys: np.ndarray, degrees: float) -> np.ndarray:
    """How many ink pixels fall on each row when the page is turned by degrees."""
    angle = math.radians(degrees)
    rows = np.round(ys * math.cos(angle) - xs * math.sin(angle)).astype(np.int64)
    return np.bincount(rows - rows.min())


def _sharpness(xs: np.ndarray, ys: np.ndarray, degrees: float) -> float:
    """Sum of squared row counts: largest when the rows follow the text lines."""
    counts = _rows(xs, ys, degrees).astype(np.float64)
    return float(np.dot(counts, counts))


def _line_height(xs: np.ndarray, ys: np.ndarray, degrees: float) -> float | None:
    """Median height of the bands of rows holding ink: the height of a text line."""
    counts = _rows(xs, ys, degrees)
    filled = counts > max(1.0, 0.15 * counts[counts > 0].mean())
    edges = np.flatnonzero(np.diff(np.concatenate(([0], filled.astype(np.int8), [0]))))
    heights = edges[1::2] - edges[::2]
    heights = heights[heights >= 2]
    if len(heights) < 3:
        return None
    return float(np.median(heights))


def _osd_rotation(gray: Image.Image, steps: list[str]) -> int:
    """Degrees clockwise that turn the page upright, by tesseract's orientation detection (0 if unsure)."""
    pytesseract = _pytesseract()
    with _temporary_image(gray) as path:
        try:
            osd = _run(pytesseract.image_to_osd, str(path), config=OSD_CONFIG, output_type=pytesseract.Output.DICT)
        except (_TesseractFailed, _NoLanguageData) as exc:
            # Too little text (small or blank images) or no osd data: read the page as it is.
            log.info("orientation not detected: %s", exc)
            steps.append("orientation unknown")
            return 0
    rotate = int(osd.get("rotate", 0)) % 360
    confidence = float(osd.get("orientation_conf", 0.0))
    steps.append(f"orientation: turn {rotate} (confidence {confidence:.1f})")
    return rotate if confidence >= 1.0 else 0


@dataclass(frozen=True)
class _Turned:
    """One tesseract reading of the page at one orientation, boxes already mapped back."""

    text: str
    words: list
    confidence: float
    rotated_by: int
    deskewed_by: float
    scale: float


_TURN = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}


def _recognize_turned(gray: Image.Image, rotation: int, language: str, direct: Path | None,
                      steps: list[str], layout: _Layout | None = None) -> _Turned:
    """Turn by rotation, straighten and enlarge as needed, run tesseract, map the boxes back."""
    width, height = gray.size
    matrix = np.eye(3)
    work = gray
    if rotation:
        work = gray.transpose(_TURN[rotation])
        matrix = _turn_matrix(rotation, width, height) @ matrix
        direct = None
    layout = layout or _analyse(work)
    skew = layout.skew if abs(layout.skew) >= DESKEW_FROM_DEGREES else 0.0
    if skew:
        # Lines at skew degrees fall to the right for skew > 0: a counter-clockwise turn by skew levels them.
        before = work.size
        work = work.rotate(skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        matrix = _rotate_matrix(skew, before, work.size) @ matrix
        direct = None
        steps.append(f"deskew {skew:+.1f} degrees")
    scale = 1.0
    if layout.line_px and layout.line_px < SMALL_LINE_PX:
        scale = min(MAX_UPSCALE, TARGET_LINE_PX / layout.line_px,
                    math.sqrt(MAX_PIXELS / (work.width * work.height)))
        if scale > 1.05:
            size = (round(work.width * scale), round(work.height * scale))
            sx, sy = size[0] / work.width, size[1] / work.height
            work = work.resize(size, Image.Resampling.LANCZOS)
            matrix = np.diag([sx, sy, 1.0]) @ matrix
            direct = None
            steps.append(f"enlarge x{scale:.2f} (text lines {layout.line_px:.0f} px)")
        else:
            scale = 1.0
    dpi = _dpi(gray) if scale == 1.0 else None
    data = _tesseract_words(direct if direct else work, language, dpi)
    steps.append(f"ocr{' turned ' + str(rotation) if rotation else ''}")
    inverse = np.linalg.inv(matrix)
    words = []
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences = []
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        conf = float(data["conf"][i])
        if int(data["level"][i]) != 5 or not text or conf < 0:
            continue
        x, y, w, h = (_box_back(inverse, data["left"][i], data["top"][i], data["width"][i], data["height"][i],
                                width, height))
        words.append((x, y, w, h, text, round(conf, 2)))
        confidences.append(conf)
        lines.setdefault((data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(text)
    mean = float(np.mean(confidences)) if confidences else 0.0
    return _Turned(_join_lines(lines), words, round(mean, 2), rotation, skew, round(scale, 3))


def _dpi(image: Image.Image) -> float | None:
    """The image's resolution when it carries a believable one."""
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        return None
    return value if 50 <= value <= 2400 else None


def _tesseract_words(image: Image.Image | Path, language: str, dpi: float | None) -> dict:
    """Tesseract's word table (page segmentation 3, as the tesseract command does by default)."""
    pytesseract = _pytesseract()
    config = "--psm 3"
    if isinstance(image, Path):
        return _run(pytesseract.image_to_data, str(image), lang=language, config=config,
                    output_type=pytesseract.Output.DICT)
    with _temporary_image(image, dpi) as path:
        if dpi:
            config += f" --dpi {round(dpi)}"
        return _run(pytesseract.image_to_data, str(path), lang=language, config=config,
                    output_type=pytesseract.Output.DICT)


class _temporary_image:
    """The image as an uncompressed TIFF in a temporary file (PNG encoding costs more than it saves)."""

    def __init__(self, image: Image.Image, dpi: float | None = None):
        self.image = image
        self.dpi = dpi

    def __enter__(self) -> Path:
        handle, name = tempfile.mkstemp(prefix="lmgpa-ocr-", suffix=".tif")
        os.close(handle)
        self.path = Path(name)
        options = {"dpi": (self.dpi, self.dpi)} if self.dpi else {}
        self.image.save(self.path, format="TIFF", compression="raw", **options)
        return self.path

    def __exit__(self, *exc) -> None:
        self.path.unlink(missing_ok=True)


def _join_lines(lines: dict[tuple[int, int, int], list[str]]) -> str:
    """Words joined by spaces, lines by newlines, paragraphs by a blank line (as tesseract prints them)."""
    out: list[str] = []
    last_par = None
    for (block, par, _line), words in lines.items():
        if last_par is not None and (block, par) != last_par:
            out.append("")
        out.append(" ".join(words))
        last_par = (block, par)
    return "\n".join(out)


def _turn_matrix(rotation: int, width: int, height: int) -> np.ndarray:
    """Where a point lands when a width x height image is turned clockwise by rotation degrees."""
    if rotation == 90:
        return np.array([[0.0, -1.0, height], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    if rotation == 180:
        return np.array([[-1.0, 0.0, width], [0.0, -1.0, height], [0.0, 0.0, 1.0]])
    return np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, width], [0.0, 0.0, 1.0]])


def _rotate_matrix(degrees: float, before: tuple[int, int], after: tuple[int, int]) -> np.ndarray:
    """Where a point lands under Pillow's counter-clockwise rotate(degrees, expand=True)."""
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    to_origin = np.array([[1.0, 0.0, -before[0] / 2], [0.0, 1.0, -before[1] / 2], [0.0, 0.0, 1.0]])
    # Counter-clockwise on screen is clockwise in maths axes, because y grows downwards.
    turn = np.array([[cos, sin, 0.0], [-sin, cos, 0.0], [0.0, 0.0, 1.0]])
    to_center = np.array([[1.0, 0.0, after[0] / 2], [0.0, 1.0, after[1] / 2], [0.0, 0.0, 1.0]])
    return to_center @ turn @ to_origin


def _box_back(inverse: np.ndarray, left, top, w, h, width: int, height: int) -> tuple[int, int, int, int]:
    """A box on the processed image as the enclosing box on the original image, clipped to it."""
    left, top, w, h = float(left), float(top), float(w), float(h)
    corners = np.array([[left, left + w, left, left + w], [top, top, top + h, top + h], [1.0, 1.0, 1.0, 1.0]])
    back = inverse @ corners
    x0 = min(max(back[0].min(), 0.0), width)
    x1 = min(max(back[0].max(), 0.0), width)
    y0 = min(max(back[1].min(), 0.0), height)
    y1 = min(max(back[1].max(), 0.0), height)
    x, y = math.floor(x0), math.floor(y0)
    return x, y, max(1, math.ceil(x1) - x), max(1, math.ceil(y1) - y)
