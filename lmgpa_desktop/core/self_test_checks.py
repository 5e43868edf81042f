"""The self-test's checks without Qt: each uses one native part (database, PDF, audio, models, OCR, keyring...)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path

from lmgpa_desktop import paths
from lmgpa_desktop.core import disk_space
from lmgpa_desktop.core.formatting import human_size
from lmgpa_desktop.core.models.registry import LLM_PACKAGE, ModelRegistry
from lmgpa_desktop.core.settings import DEFAULTS, Settings

NAMES = ("disk", "sqlite", "sqlite-vec", "pdf", "audio-decode", "ocr", "keyring", "audio-devices",
         "tts", "whisper", "embedder", "llm")
HEAVY = {"tts", "whisper", "embedder", "llm"}  # each loads a model
LOW_DISK_BYTES = 1024 ** 3  # below this a lecture recording or a model install may not fit
OCR_WORDS = ("Little", "Monster", "studies", "biology")
EMBED_DIMS = 384
WHISPER_CLIP_S = 1.5  # "Introduction to ..." at the start of the sample lecture


class CheckWarning(Exception):
    """A check found something the student should know that is not broken (no microphone, no keyring)."""


class SnapshotSettings(Settings):
    """The student's settings read once from the profile without opening it; set() is refused."""

    def __init__(self, values: dict[str, object]):  # noqa: D107 - no database behind it
        self.db = None
        self._lock = threading.Lock()
        self._values = dict(values)

    def set(self, key: str, value: object) -> None:
        raise RuntimeError("the self-test never changes a setting")


def student_settings(home: Path) -> SnapshotSettings:
    """Model settings of the profile in home, read-only (defaults when there is no profile yet)."""
    from lmgpa_desktop.storage.peek import peek_settings

    keys = [k for k in DEFAULTS if k.startswith("models.")] + [LLM_PACKAGE, "cpu.threads"]
    return SnapshotSettings(peek_settings(paths.database_path(home), keys))


def build(settings: Settings | None, home: Path | None, scratch: Path) -> list[tuple[str, Callable[[], str]]]:
    """Every check as (name, function), bound to a profile's settings, its data folder and a scratch folder."""
    home = Path(home) if home is not None else paths.data_dir()
    settings = settings if settings is not None else student_settings(home)
    registry = ModelRegistry(settings)  # its own engines: nothing the app has loaded is reused
    bound = {
        "disk": functools.partial(check_disk, home),
        "sqlite": functools.partial(check_sqlite, scratch),
        "sqlite-vec": functools.partial(check_sqlite_vec, scratch),
        "pdf": check_pdf,
        "audio-decode": check_audio_decode,
        "ocr": check_ocr,
        "keyring": check_keyring,
        "audio-devices": check_audio_devices,
        "tts": functools.partial(registry.probe, "tts"),
        "whisper": functools.partial(check_whisper, registry),
        "embedder": functools.partial(check_embedder, registry),
        "llm": functools.partial(registry.probe, "llm"),
    }
    return [(name, bound[name]) for name in NAMES]


def check_disk(home: Path) -> str:
    """The data folder and the free space on its disk."""
    free = disk_space.free_bytes(home)
    where = f"data folder {home}" + ("" if home.exists() else " (not created yet)")
    if free < LOW_DISK_BYTES:
        raise CheckWarning(f"only {human_size(free)} free for the {where}: free some space before recording")
    return f"{human_size(free)} free for the {where}"


def check_sqlite(scratch: Path) -> str:
    """sqlean: a new database file with an FTS5 table, searched."""
    from lmgpa_desktop.storage import native_check

    return native_check.fts_roundtrip(scratch / "fts.sqlite3")


def check_sqlite_vec(scratch: Path) -> str:
    """sqlite-vec loaded on a connection as the app does, and a nearest-vector query."""
    from lmgpa_desktop.storage import native_check

    return native_check.vec_roundtrip(scratch / "vec.sqlite3")


def sample(name: str) -> Path:
    """A bundled sample file (resources/samples), found the same way from source and in the bundle."""
    path = paths.resource("samples", name)
    if not path.is_file():
        raise FileNotFoundError(f"the bundled sample {name} is missing (looked in {path.parent})")
    return path


def check_pdf() -> str:
    """PDFium: open the sample handout and render its first page."""
    from lmgpa_desktop.engines.pdf import PdfDocument

    with PdfDocument(sample("sample_handout.pdf")) as doc:
        pages = len(doc)
        image = doc.render(0, dpi=72)
        words = len(doc.text(0).split())
    if image.width < 100 or image.height < 100 or image.getextrema()[0] == image.getextrema()[1]:
        raise RuntimeError(f"page 1 rendered as a blank {image.width}x{image.height} image")
    return f"{pages} pages; page 1 rendered at {image.width}x{image.height}, {words} words in its text layer"


def check_audio_decode() -> str:
    """PyAV (FFmpeg): probe the sample lecture and decode its first seconds to 16 kHz mono."""
    from lmgpa_desktop.engines import audio_decode

    path = sample("sample_lecture.ogg")
    info = audio_decode.probe(path)
    clip = next(audio_decode.stream(path, block_s=WHISPER_CLIP_S))
    if not len(clip) or float(abs(clip).max()) == 0.0:
        raise RuntimeError("the first seconds of the sample lecture decoded as silence")
    return (f"{info.codec} {info.sample_rate} Hz, {info.duration_s or 0:.0f} s; "
            f"decoded {len(clip) / audio_decode.SAMPLE_RATE:.1f} s to 16 kHz mono")


def check_whisper(registry: ModelRegistry) -> str:
    """faster-whisper (CTranslate2): transcribe the first seconds of the sample lecture."""
    from lmgpa_desktop.engines import audio_decode, whisper

    clip = next(audio_decode.stream(sample("sample_lecture.ogg"), block_s=WHISPER_CLIP_S))
    detail = whisper.probe(registry.path("whisper"), audio=clip, threads=registry.settings.threads())
    if ":" not in detail:  # probe() adds ": 'text'" only when words came out
        raise CheckWarning(f"the model loaded but heard no words in the sample lecture ({detail})")
    return detail


def check_embedder(registry: ModelRegistry) -> str:
    """ONNX Runtime: embed a sentence and check its size and length."""
    import math

    vector = registry.embedder().embed(["Photosynthesis turns light into chemical energy."])[0]
    norm = math.sqrt(float((vector * vector).sum()))
    if len(vector) != EMBED_DIMS or not 0.9 < norm < 1.1:
        raise RuntimeError(f"the sentence embedded as {len(vector)} numbers of length {norm:.3f} "
                           f"(expected {EMBED_DIMS}, length 1)")
    return f"a sentence embedded: {len(vector)} dims, length {norm:.3f}"


def check_ocr() -> str:
    """Tesseract with its English data (shipped with the app): read a small image of known words drawn with Pillow."""
    from PIL import Image, ImageDraw, ImageFont

    from lmgpa_desktop.engines import ocr

    text = " ".join(OCR_WORDS)
    font = ImageFont.load_default(size=36)  # Pillow's own font: no system font needed
    image = Image.new("L", (620, 90), 255)
    ImageDraw.Draw(image).text((20, 20), text, fill=0, font=font)
    page = ocr.recognize(image, language="eng", orient=False)
    read = page.text.lower()
    missing = [w for w in OCR_WORDS if w.lower() not in read]
    if missing:
        raise RuntimeError(f"tesseract read {page.text.strip()!r}: missing {', '.join(missing)}")
    return f"read {page.text.strip()!r} (confidence {page.confidence:.0f})"


def check_keyring() -> str:
    """The system keyring backend (none: signing in to a server lasts only until the app closes)."""
    from lmgpa_desktop.remote import credentials

    name = credentials.backend_name()
    if not credentials.keyring_usable():
        raise CheckWarning(f"no usable keyring ({name}): a server sign-in is kept only until the app closes")
    return name


def check_audio_devices() -> str:
    """PortAudio: list the microphones."""
    from lmgpa_desktop.engines import microphone

    devices = microphone.list_input_devices()
    if not devices:
        raise CheckWarning("no microphone found: recording needs one (importing recordings still works)")
    default = next((d.name for d in devices if d.is_default), devices[0].name)
    return f"{len(devices)} input device(s); default: {default}"
