"""Evidence: the second of the sentence a hit or a citation matched, and the words to mark on its page."""

# A passage is about a minute of speech or half a page: opening it at its start, or outlining all of it, leaves the
# student to hunt for the sentence. A search hit or a citation always names one sentence (the snippet shown, the
# quote cited); these functions find that sentence in the recording (its first word's second) or on the page (its
# lines and the words searched for, as PDFium's text search or the OCR word boxes place them).

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop.core.capture import transcripts
from lmgpa_desktop.core.words import content_words, tokens

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

Box = tuple[float, float, float, float]  # x, y, width, height from the page's top-left

# A word ending a sentence: its end mark, then any closing quote or bracket.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
UNPUNCTUATED_WORDS = 40  # a transcript without end marks: a segment's end closes a sentence this long
_MARKED = re.compile(r"\[([^\[\]]+)\]")
PROBE_WORDS = 6  # words of a sentence's start and end searched for when the whole sentence is not found as written
MAX_WORD_BOXES = 40


@dataclass(frozen=True)
class TimedSentence:
    """A sentence of a recording and the second its first word is spoken."""

    start: float
    text: str


@dataclass(frozen=True)
class PageMarks:
    """What to mark on a page picture of width x height (points of a PDF page, or pixels of an OCR'd image)."""

    width: float
    height: float
    sentence: list[Box] = field(default_factory=list)  # the lines of the matched sentence
    words: list[Box] = field(default_factory=list)  # the words searched for, in that sentence


# -- recordings ------------------------------------------------------------------------------------------------
def timed_sentences(segments) -> tuple[TimedSentence, ...]:
    """Sentences of transcript segments, each at its first word's second.

    Word timings are used where Whisper gave them; a segment without them, or one the student edited (its words no
    longer match the timings), gives its own start to every sentence beginning in it.
    """
    out: list[TimedSentence] = []
    words: list[str] = []
    start = 0.0
    for seg in segments:
        timed = seg.words if seg.edited_text is None and seg.words else [(seg.start, seg.end, w)
                                                                           for w in seg.shown.split()]
        for timing in timed:
            word = str(timing[2]).strip()
            if not word:
                continue
            if not words:
                start = float(timing[0])
            words.append(word)
            if _SENTENCE_END.search(word):
                out.append(TimedSentence(start, " ".join(words)))
                words = []
        if len(words) >= UNPUNCTUATED_WORDS:
            out.append(TimedSentence(start, " ".join(words)))
            words = []
    if words:
        out.append(TimedSentence(start, " ".join(words)))
    return tuple(out)


def passage_sentences(ctx: AppContext, source_id: int, start_s: float | None,
                      end_s: float | None) -> tuple[TimedSentence, ...]:
    """The timed sentences of an audio passage (empty when the transcript it came from is gone)."""
    if start_s is None:
        return ()
    segments = transcripts.current_segments_between(ctx, source_id, start_s, end_s if end_s is not None else start_s)
    return timed_sentences(segments)


def best_sentence(sentences, matched: str):
    """The sentence that best matches a quote or the words searched for, None when none shares a word.

    A sentence holding the quote word for word comes first, then the one sharing most content words, then the one
    made mostly of them (a short quote is not matched to a long sentence that merely contains its words), then the
    earliest.
    """
    wanted = content_words(matched)
    if not wanted or not sentences:
        return None
    phrase = f" {' '.join(tokens(matched))} "

    def score(item):
        index, sentence = item
        have = content_words(sentence.text)
        shared = len(wanted & have)
        return (shared > 0 and phrase in f" {' '.join(tokens(sentence.text))} ", shared,
                shared / len(wanted | have), -index)

    index, sentence = max(enumerate(sentences), key=score)
    return sentence if score((index, sentence))[1] else None


def sentence_start(sentences, matched: str, default: float | None) -> float | None:
    """The second of the sentence matching a quote or search words; default (the passage's start) if none does."""
    best = best_sentence(sentences, plain(matched))
    return best.start if best is not None else default


# -- snippets --------------------------------------------------------------------------------------------------
def plain(snippet: str) -> str:
    """A snippet's text without its [marks], and without a word cut short by "…"."""
    text = _MARKED.sub(r"\1", snippet).strip()
    if text.endswith("…"):
        text = text[:-1].rsplit(None, 1)[0] if " " in text else text[:-1]
    return text


def marked_words(snippet: str) -> list[str]:
    """The words a search snippet marks, like "variable" in "A [variable] is a name", each once."""
    return list(dict.fromkeys(m.strip() for m in _MARKED.findall(snippet) if m.strip()))


# -- pages -----------------------------------------------------------------------------------------------------
def page_marks(source, page, highlight: str) -> PageMarks | None:
    """Boxes of the highlighted sentence and of its [marked] words on a page (a PDF's text layer or OCR words).

    source and page are the library's records of the document and of the page shown; None when the page has no
    text to place (a PDF page whose file is gone, a page without a text layer or OCR boxes).
    """
    sentence, words = plain(highlight), marked_words(highlight)
    if not sentence:
        return None
    if source.kind == "pdf" and page.method == "text":
        if not source.stored_path or not Path(source.stored_path).is_file():
            return None
        return _pdf_marks(Path(source.stored_path), page.page_no - 1, sentence, words)
    if page.words and page.width:
        return _ocr_marks(page, sentence, words)
    return None


def _pdf_marks(path: Path, index: int, sentence: str, words: list[str]) -> PageMarks | None:
    """PDFium's text search places the sentence (whole, or by its first and last words) and then its words."""
    from lmgpa_desktop.engines import pdf

    try:
        with pdf.PdfDocument(path) as doc:
            if not 0 <= index < len(doc):
                return None
            width, height = doc.page_size(index)  # of the page as drawn, turned when the page says so
            span, lines = _pdf_sentence(doc, index, sentence)
            boxes: list[Box] = []
            for word in words:
                for start, _count, found in doc.find(index, word, whole_word=True):
                    if span is None or span[0] <= start < span[1]:
                        boxes += found
    except pdf.PdfError:
        return None
    return PageMarks(width, height, sentence=lines, words=boxes[:MAX_WORD_BOXES])


def _pdf_sentence(doc, index: int, sentence: str) -> tuple[tuple[int, int] | None, list[Box]]:
    """Character span and line boxes of a sentence on a PDF page ((None, []) when it cannot be found)."""
    found = doc.find(index, sentence, limit=1)
    if found:
        start, count, boxes = found[0]
        return (start, start + count), boxes
    # Not as written (a hyphen at a line end, a ligature, a cut snippet): its first and last words place it.
    words = sentence.split()
    head = doc.find(index, " ".join(words[:PROBE_WORDS]), limit=5)
    if not head:
        return None, []
    start, count, boxes = head[0]
    end = start + count
    if len(words) > PROBE_WORDS:
        tail = [m for m in doc.find(index, " ".join(words[-PROBE_WORDS:]), limit=5)
                if start < m[0] <= start + 2 * len(sentence)]
        if tail:
            end = tail[0][0] + tail[0][1]
            boxes = boxes + tail[0][2]
        else:
            end = start + len(sentence)
    return (start, end), boxes


def _ocr_marks(page, sentence: str, words: list[str]) -> PageMarks:
    """The OCR word boxes of the sentence (the run of words sharing most of its words) and of its marked words."""
    ocr = [(tokens(str(w[4])), (float(w[0]), float(w[1]), float(w[2]), float(w[3]))) for w in page.words]
    ocr = [(t[0] if t else "", box) for t, box in ocr]
    wanted = tokens(sentence)
    lo, hi = _best_run([t for t, _ in ocr], wanted)
    marked = {stem for w in words for stem in content_words(w) | set(tokens(w))}
    in_run = ocr[lo:hi] if hi > lo else ocr
    boxes = [box for t, box in in_run if t and (t in marked or content_words(t) & marked)]
    return PageMarks(float(page.width), float(page.height or 0), sentence=[box for _, box in ocr[lo:hi]],
                     words=boxes[:MAX_WORD_BOXES])


def _best_run(page_tokens: list[str], wanted: list[str]) -> tuple[int, int]:
    """(first, end) of the run of page words, as long as the sentence, that holds most of its words (OCR misreads
    some); (0, 0) when no run holds half of them."""
    n = len(wanted)
    if not n or not page_tokens:
        return 0, 0
    want = set(wanted)
    best, best_at = 0, 0
    for at in range(max(1, len(page_tokens) - n + 1)):
        held = len(want & set(page_tokens[at:at + n]))
        if held > best:
            best, best_at = held, at
    if best * 2 < len(want):
        return 0, 0
    return best_at, min(len(page_tokens), best_at + n)
