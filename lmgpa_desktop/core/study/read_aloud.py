"""Read-aloud: Markdown made speakable, spoken sentence by sentence by the Piper voice, and exported as audio."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lmgpa_desktop.core.jobs import JobRun, job_kind
from lmgpa_desktop.core.job_progress import JobError, Progress

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

__all__ = ["EXPORT_FORMATS", "AudioChunk", "Block", "Sentence", "export_audio", "export_steps", "markdown_blocks",
           "plain_inline", "sentences", "speak", "speakable", "speech_speed", "split_sentences", "warm_up"]

SPEED_SETTING = "speech.speed"
DEFAULT_SPEED = 1.0
SPEED_RANGE = (0.5, 2.5)
BLOCK_PAUSE_S = 0.3  # between headings, list items and paragraphs; Piper itself leaves almost none
MIN_PIECE_WORDS = 3  # the short first piece of a long first sentence still carries a phrase
FIRST_PIECE_WORDS = 10  # a first sentence longer than this is split at a clause boundary
RAMP_WORDS = 150  # about a minute of speech: past it, sentences are spoken whole
MAX_SENTENCE_WORDS = 100  # longer runs without a full stop are split, keeping memory and Stop latency bounded
EXPORT_FORMATS = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16"), ".ogg": ("OGG", "VORBIS")}


# ---- Markdown to blocks -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One block of a Markdown text: heading, item (of a list), paragraph, row (of a table) or code."""

    kind: str
    text: str  # inline Markdown still in place (plain_inline removes it)
    level: int = 0  # heading level (1-6) or list nesting depth (0 = top)


_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^\s{0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_ITEM = re.compile(r"^(\s*)(?:[-*+•▪‣◦]|\d{1,9}[.)])\s+(.*)$")
_TASK = re.compile(r"^\[[ xX]\]\s+")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LINK_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_BLOCK = re.compile(r"^\s*</?(?:p|li|tr|h[1-6]|div|ul|ol|table|thead|tbody|blockquote|br|hr)\b", re.IGNORECASE)
_HTML_CELL_END = re.compile(r"</t[dh]>", re.IGNORECASE)


def _table_cells(line: str) -> list[str]:
    """Cells of a pipe-table row."""
    inner = line.strip()
    inner = inner.removeprefix("|")
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [c.strip() for c in re.split(r"(?<!\\)\|", inner)]


def markdown_blocks(markdown: str) -> list[Block]:
    """Split Markdown into headings, list items, paragraphs, table rows and code blocks, in order."""
    lines = _COMMENT.sub("", markdown.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    blocks: list[Block] = []
    para: list[str] = []
    indents: list[int] = []  # indentation of the open list levels
    in_item = False  # lazy continuation lines belong to the last list item

    def flush() -> None:
        nonlocal in_item
        if para:
            blocks.append(Block("paragraph", " ".join(s.strip() for s in para)))
            para.clear()
        in_item = False

    i = 0
    while i < len(lines):
        line = lines[i]
        while _QUOTE.match(line):
            line = _QUOTE.sub("", line, count=1)
        fence = _FENCE.match(line)
        if fence:
            flush()
            mark, body = fence.group(1), []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(mark[0] * len(mark)):
                body.append(lines[i])
                i += 1
            blocks.append(Block("code", "\n".join(body)))
            indents.clear()
            i += 1
            continue
        i += 1
        if not line.strip():
            flush()
            continue
        setext = _SETEXT.match(line)
        if setext and para and not in_item:
            blocks.append(Block("heading", " ".join(s.strip() for s in para), 1 if setext.group(1)[0] == "=" else 2))
            para.clear()
            continue
        if _RULE.match(line):
            flush()
            indents.clear()
            continue
        heading = _ATX.match(line)
        if heading:
            flush()
            indents.clear()
            if heading.group(2):
                blocks.append(Block("heading", heading.group(2), len(heading.group(1))))
            continue
        if _LINK_DEF.match(line):
            continue
        if _HTML_BLOCK.match(line):
            flush()  # an HTML paragraph, list item or table row is a block of its own
            line = _HTML_CELL_END.sub(", ", line)
            if not _TAG.sub("", line).strip(" ,"):
                continue
        elif "<" in line:
            line = _HTML_CELL_END.sub(", ", line)
        item = _ITEM.match(line)
        if item:
            flush()
            indent = len(item.group(1).expandtabs(4))
            while indents and indent < indents[-1]:
                indents.pop()
            if not indents or indent > indents[-1]:
                indents.append(indent)
            blocks.append(Block("item", _TASK.sub("", item.group(2).strip()), len(indents) - 1))
            in_item = True
            continue
        if "|" in line and line.strip().startswith("|") or (i < len(lines) and _TABLE_SEP.match(lines[i])
                                                             and "|" in line):
            flush()
            if not _TABLE_SEP.match(line):
                cells = [c for c in _table_cells(line) if c]
                if cells:
                    blocks.append(Block("row", " | ".join(cells)))
            continue
        if _TABLE_SEP.match(line) and "|" in line:
            continue
        if in_item and not para:
            last = blocks[-1]
            blocks[-1] = Block(last.kind, f"{last.text} {line.strip()}", last.level)
            continue
        if not line.startswith((" ", "\t")):
            indents.clear()
        para.append(line)
    flush()
    return blocks


# ---- inline Markdown to plain text ----------------------------------------------------------------------

_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<(?:https?|ftp|mailto):[^>\s]+>")
_URL = re.compile(r"\b(?:https?://|www\.)\S+[^\s.,;:!?)\]]")
_FOOTNOTE = re.compile(r"\[\^[^\]]+\]")
_CITATION = re.compile(r"\s*\[\d+(?:\s*[-–,;]\s*\d+)*\]")
_CODE = re.compile(r"(`+)(.+?)\1")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR = re.compile(r"(?<![\w*\\])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")
_EM_UNDER = re.compile(r"(?<![\w\\])_(?=\S)(.+?)(?<=\S)_(?!\w)")
_STRIKE = re.compile(r"~~(.+?)~~")
_CLOZE = re.compile(r"\{\{c\d+::(.*?)(?:::[^}]*)?\}\}")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")


def plain_inline(text: str, keep_citations: bool = False, keep_urls: bool = False) -> str:
    """Inline Markdown, HTML and Anki cloze marks removed: what a reader would see, on one line."""
    text = _CODE.sub(lambda m: m.group(2).strip(), text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _CLOZE.sub(r"\1", text)
    if not keep_urls:
        text = _AUTOLINK.sub("", text)
        text = _URL.sub("", text)
    text = _FOOTNOTE.sub("", text)
    if not keep_citations:
        text = _CITATION.sub("", text)
    text = _TAG.sub("", text)
    for pattern in (_STRONG, _STRIKE):
        text = pattern.sub(lambda m: m.group(m.lastindex), text)
    text = _EM_STAR.sub(r"\1", text)
    text = _EM_UNDER.sub(r"\1", text)
    text = _ESCAPE.sub(r"\1", html.unescape(text))
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s+([,.;:!?])", r"\1", text)


# ---- speakable sentences --------------------------------------------------------------------------------

# Words whose full stop does not end a sentence ("etc." and "no." usually do, so they are not listed).
_ABBREVIATIONS = {"e.g", "i.e", "eg", "ie", "vs", "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "fig", "figs",
                  "vol", "approx", "cf", "al", "ch", "pp", "eq", "eqs", "sec", "dept", "est", "inc", "ltd", "co",
                  "mt", "ft", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
_BOUNDARY = re.compile(r"([.!?…]+)([\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[^\s\"'“‘(\[])")
_CLAUSE = re.compile(r"[,;:—–](?=\s)|\s[-–—](?=\s)")
_TERMINAL = re.compile(r"[.!?…:;。！？：；][\"'”’)\]]*$")


@dataclass(frozen=True)
class Sentence:
    """A piece of text spoken in one go; block_start marks the first sentence of a heading, item or paragraph."""

    text: str
    block_start: bool


def _speech_text(block: Block) -> str:
    """What to say for a block ('' for code, which does not read well aloud)."""
    if block.kind == "code":
        return ""
    if block.kind == "row":
        text = ", ".join(plain_inline(c) for c in block.text.split(" | "))
    else:
        text = plain_inline(block.text)
    text = text.strip(" -–—•*,")
    if text and not _TERMINAL.search(text):
        text += "."  # a heading, item or row ends with a full stop so the voice closes it and pauses
    return text


def speakable(markdown: str) -> str:
    """The text as it will be spoken: one block per paragraph."""
    return "\n\n".join(t for t in (_speech_text(b) for b in markdown_blocks(markdown)) if t)


def split_sentences(text: str) -> list[str]:
    """Sentences of one block, at . ! ? unless the full stop belongs to an abbreviation, initial or number."""
    out, start = [], 0
    for m in _BOUNDARY.finditer(text):
        before = text[start:m.start()].rsplit(None, 1)
        word = before[-1].lower().lstrip("(\"'“‘") if before else ""
        nxt = text[m.end():m.end() + 1]
        abbreviation = word in _ABBREVIATIONS or "." in word or re.fullmatch(r"[a-z]", word)
        if m.group(1) == "." and (abbreviation or nxt.islower()):
            continue
        out.append(text[start:m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def _clause_cut(text: str, max_words: int) -> int | None:
    """Where to cut text at a clause mark: the longest head of at most max_words, else the shortest longer one."""
    total, fits, over = len(text.split()), None, None
    for m in _CLAUSE.finditer(text):
        words = len(text[:m.end()].split())
        if words < MIN_PIECE_WORDS or total - words < MIN_PIECE_WORDS:
            continue
        if words <= max_words:
            fits = m.end()
        elif over is None:
            over = m.end()
    return fits if fits is not None else over


def _cap_length(sentence: str) -> list[str]:
    """A run-on sentence split at clause marks near its middle, or between words when it has none."""
    words = sentence.split()
    if len(words) <= MAX_SENTENCE_WORDS:
        return [sentence]
    marks = [m.end() for m in _CLAUSE.finditer(sentence)]
    middle = len(sentence) // 2
    good = [c for c in marks if MIN_PIECE_WORDS <= len(sentence[:c].split()) <= len(words) - MIN_PIECE_WORDS]
    if good:
        cut = min(good, key=lambda c: abs(c - middle))
        head, tail = sentence[:cut].strip(), sentence[cut:].strip()
    else:
        head, tail = " ".join(words[:len(words) // 2]), " ".join(words[len(words) // 2:])
    return _cap_length(head) + _cap_length(tail)


def _ramp_up(sentence: str, said: int) -> list[str]:
    """A sentence as pieces no longer than ~3x the speech queued before them (at least FIRST_PIECE_WORDS)."""
    pieces, rest = [], sentence
    # At Piper's pace (about 0.2 of real time) a piece 3x longer than what is already playing is ready in time.
    while len(rest.split()) > max(FIRST_PIECE_WORDS, 3 * said):
        cut = _clause_cut(rest, max(FIRST_PIECE_WORDS, 3 * said))
        if cut is None:
            break
        head, rest = rest[:cut].strip(), rest[cut:].strip()
        pieces.append(head)
        said += len(head.split())
    return pieces + [rest]


def sentences(markdown: str, short_first: bool = True) -> list[Sentence]:
    """The speakable sentences of a Markdown text, in order; long opening sentences are split at clauses."""
    out: list[Sentence] = []
    said = 0
    for block in markdown_blocks(markdown):
        text = _speech_text(block)
        if not text:
            continue
        for n, sentence in enumerate(p for s in split_sentences(text) for p in _cap_length(s)):
            # Only the opening needs short pieces: once a minute of speech is queued, synthesis stays ahead.
            pieces = _ramp_up(sentence, said) if short_first and said < RAMP_WORDS else [sentence]
            out.extend(Sentence(p, n == 0 and k == 0) for k, p in enumerate(pieces))
            said += len(sentence.split())
    return out


# ---- speaking ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AudioChunk:
    """Audio of (part of) one sentence: int16 mono samples, ready to play."""

    samples: np.ndarray
    sample_rate: int
    sentence_index: int
    text: str
    sentence_count: int


def speech_speed(ctx: AppContext, speed: float | None = None) -> float:
    """The speed to use: the one given, else the "speech.speed" setting; checked against SPEED_RANGE."""
    value = float(speed if speed is not None else (ctx.settings.get(SPEED_SETTING) or DEFAULT_SPEED))
    low, high = SPEED_RANGE
    if not low <= value <= high:
        raise ValueError(f"speech speed {value:g} is out of range; choose {low:g} to {high:g}")
    return value


def speak(ctx: AppContext, text: str, speed: float | None = None, cancel: threading.Event | None = None,
          start: int = 0, short_first: bool = True) -> Iterator[AudioChunk]:
    """Speak Markdown or plain text sentence by sentence, yielding each sentence's audio as soon as it exists."""
    speed = speech_speed(ctx, speed)
    parts = sentences(text, short_first=short_first)
    if not parts or start >= len(parts):
        return
    engine = ctx.models.tts()
    rate = engine.sample_rate
    pause = np.zeros(int(BLOCK_PAUSE_S / speed * rate), dtype=np.int16)
    for index in range(max(0, start), len(parts)):
        if cancel is not None and cancel.is_set():
            return
        sentence, first_piece = parts[index], True
        for samples in engine.synthesize(sentence.text, speed):
            if first_piece and sentence.block_start and index > start:
                samples = np.concatenate([pause, samples])  # a breath before a new heading, item or paragraph
            first_piece = False
            yield AudioChunk(samples, rate, index, sentence.text, len(parts))
            if cancel is not None and cancel.is_set():
                return


def warm_up(ctx: AppContext) -> None:
    """Load the voice and run it once, so the first sentence asked for is not slowed by the load."""
    for _ in ctx.models.tts().synthesize("Ready.", 1.0):
        pass


# ---- export ---------------------------------------------------------------------------------------------


def _format_for(path: Path) -> tuple[str, str]:
    """soundfile format and subtype for a file name."""
    fmt = EXPORT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path.name}: choose a .wav, .flac or .ogg file name for the audio")
    return fmt


def export_steps(ctx: AppContext, text: str, path: Path, speed: float | None = None) -> Generator[Progress, None, dict]:
    """Write the spoken text to path sentence by sentence (through a .part file), yielding progress."""
    import soundfile

    path = Path(path).expanduser()
    fmt = _format_for(path)
    speed = speech_speed(ctx, speed)
    total = len(sentences(text))
    if not total:
        raise ValueError("there is nothing to read aloud in this text")
    if not path.parent.is_dir():
        raise ValueError(f"the folder {path.parent} does not exist")
    yield Progress(0, total, "loading the voice")
    rate = ctx.models.tts().sample_rate
    partial = path.with_name(path.name + ".part")
    frames, done = 0, -1
    try:
        with soundfile.SoundFile(partial, "w", samplerate=rate, channels=1, format=fmt[0], subtype=fmt[1]) as out:
            for chunk in speak(ctx, text, speed):
                # One sentence per write: memory stays bounded by the longest sentence, not the note.
                out.write(chunk.samples if fmt[1] == "PCM_16" else chunk.samples.astype(np.float32) / 32768.0)
                frames += len(chunk.samples)
                if chunk.sentence_index != done:
                    done = chunk.sentence_index
                    yield Progress(done + 1, total, f"read sentence {done + 1} of {total}")
        partial.replace(path)
    except soundfile.SoundFileError as exc:
        raise OSError(f"{path} could not be written: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return {"path": str(path), "seconds": frames / rate, "sentences": total, "sample_rate": rate}


def export_audio(ctx: AppContext, text: str, path: Path, speed: float | None = None) -> Path:
    """Speak text into an audio file (.wav, .flac or .ogg by suffix); returns its path."""
    steps = export_steps(ctx, text, path, speed)
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return Path(stop.value["path"])


def _job_text(run: JobRun, payload: dict) -> tuple[str, str]:
    """The text of an export job and a name for it: the payload's text, or a stored note's title and body."""
    if payload.get("note_id") is not None:
        from lmgpa_desktop.storage import notes_read

        note = notes_read.get_note(run.services.db, int(payload["note_id"]))
        if note is None:
            raise JobError(f"note {payload['note_id']} no longer exists")
        title, body = note
        return f"# {title}\n\n{body}", title
    return str(payload.get("text") or ""), str(payload.get("title") or "text")


@job_kind("speech.export", queue="tts")
def export_job(run: JobRun, payload: dict):
    """Export a note (payload note_id) or a text (payload text) as audio at payload path (and speed)."""
    text, name = _job_text(run, payload)
    try:
        result = yield from export_steps(run.services, text, Path(payload["path"]), payload.get("speed"))
    except ValueError as exc:
        raise JobError(str(exc)) from exc
    except OSError as exc:
        raise JobError(f"the audio of {name} could not be written: {exc.strerror or exc}") from exc
    yield Progress(result["sentences"], result["sentences"], f"saved {result['seconds']:.0f} s of audio")
    return result
