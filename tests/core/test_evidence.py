"""Evidence lands on evidence: a search hit or a chat citation in a recording opens at the second its sentence is
spoken (checked against the transcript's own word timings), and a PDF hit marks the words searched for and the
sentence they are in, not the whole page or passage."""

from __future__ import annotations

import pytest
from evidence_support import make_evidence_profile, passages_of, spoken_at

from lmgpa_desktop.core.capture import transcripts
from lmgpa_desktop.core.library import evidence, library
from lmgpa_desktop.core.library.search import Scope, search
from lmgpa_desktop.core.study.chat import check as chat_check
from lmgpa_desktop.core.study.chat.prompt import Plan
from lmgpa_desktop.core.study.chat.retrieval import relevant_passages, sentences_of
from lmgpa_desktop.core.words import content_words
from lmgpa_desktop.storage.transcripts_repo import SegmentRow

TOLERANCE_S = 0.5


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    ctx, lecture, book = make_evidence_profile(tmp_path_factory.mktemp("evidence") / "home")
    yield ctx, lecture, book
    ctx.close()


def _inner_sentences(ctx, lecture):
    """(passage, sentence, second spoken) for sentences well inside a passage: not its first, 3+ content words."""
    segments = transcripts.current(ctx, lecture.id).segments
    out = []
    for passage in passages_of(ctx, lecture.id):
        for sentence in sentences_of(passage.text)[1:]:
            if len(content_words(sentence)) >= 3 and not sentence.endswith("?"):
                at = spoken_at(segments, sentence, after=passage.start_s)
                if at - passage.start_s > 5:  # well inside: the passage's start would be a different place
                    out.append((passage, sentence, at))
    return out


@pytest.mark.slow
def test_a_search_hit_opens_at_the_second_its_sentence_is_spoken(profile):
    ctx, lecture, _ = profile
    inner = _inner_sentences(ctx, lecture)
    assert len(inner) >= 6, inner
    checked = 0
    for passage, sentence, at in inner:
        hits = search(ctx, sentence, k=3, scope=Scope(source_id=lecture.id))
        hit = next((h for h in hits if h.chunk_id == passage.id), None)
        if hit is None:
            continue  # the sentence also opens the next passage (they overlap), where it came first
        assert evidence.plain(hit.snippet) in sentence or sentence.startswith(evidence.plain(hit.snippet)), hit
        assert abs(hit.start_s - at) <= TOLERANCE_S, (sentence, hit.start_s, at)
        assert hit.start_s != passage.start_s and hit.end_s == passage.end_s
        checked += 1
    assert checked >= 5


@pytest.mark.slow
def test_a_chat_citation_opens_at_the_cited_sentence_not_the_passage_or_the_question(profile):
    """The issue's case: a citation to a lecture opened at 0:00 though the cited sentence is spoken later."""
    ctx, lecture, _ = profile
    inner = _inner_sentences(ctx, lecture)
    checked = 0
    for passage, cited, at in inner:
        # The question matches another sentence of the same passage, so neither the passage's start nor the
        # question's sentence is the right second: only the quoted one is.
        question = next((s for s in sentences_of(passage.text) if s != cited
                         and len(content_words(s)) >= 3 and not content_words(s) & content_words(cited)), None)
        if question is None:
            continue
        plan = Plan(relevant_passages(ctx, question, Scope(source_id=lecture.id))[:3], "the lecture", question)
        assert plan.passages, question
        if not any(cited in p.hit.text for p in plan.passages):
            continue
        text, cites = chat_check.check_answer(f"{cited.rstrip('.')} [1].", plan)
        assert cites and text, (question, cited)
        cite = next(c for c in cites if cited in c.snippet or c.snippet.rstrip("…") in cited)
        assert abs(cite.start_s - at) <= TOLERANCE_S, (cited, cite.start_s, at)
        assert cite.start_s != passage.start_s
        question_at = spoken_at(transcripts.current(ctx, lecture.id).segments, question, after=passage.start_s)
        assert abs(cite.start_s - question_at) > TOLERANCE_S
        checked += 1
    assert checked >= 3


def _segment(start, end, text, words=(), edited=None):
    return SegmentRow(0, 0, start, end, text, edited, [list(w) for w in words])


def test_sentences_take_word_times_else_the_segment_start():
    timed = _segment(10.0, 16.0, " Plants grow. Roots drink water.",
                     [(10.0, 10.5, " Plants", 0.9), (10.5, 11.0, " grow.", 0.9), (12.2, 12.6, " Roots", 0.9),
                      (12.6, 13.0, " drink", 0.9), (13.0, 13.5, " water.", 0.9)])
    sentences = evidence.timed_sentences([timed])
    assert [(s.start, s.text) for s in sentences] == [(10.0, "Plants grow."), (12.2, "Roots drink water.")]
    assert evidence.sentence_start(sentences, "roots drink", 10.0) == 12.2
    assert evidence.sentence_start(sentences, "photosynthesis", 10.0) == 10.0  # no sentence matches: the default
    # an edited segment's words no longer match its text: its sentences start with the segment
    edited = _segment(20.0, 25.0, " Leaves are green.", [(20.4, 21.0, " Leaves", 0.9)], "Leaves look green. Why?")
    assert [s.start for s in evidence.timed_sentences([edited])] == [20.0, 20.0]
    # a transcript without end marks still has sentences: a long run closes at a segment's end
    loose = [_segment(30.0 + i, 31.0 + i, " ".join(["word"] * 20)) for i in range(4)]
    assert [s.start for s in evidence.timed_sentences(loose)] == [30.0, 32.0]


def test_a_quote_lands_on_its_own_sentence_not_a_longer_one_sharing_its_word():
    sentences = evidence.timed_sentences([_segment(0.0, 9.0, "x", [
        (1.0, 1.2, " Where", 1), (1.2, 1.4, " does", 1), (1.4, 1.6, " this", 1), (1.6, 2.0, " happen?", 1),
        (5.0, 5.2, " Each", 1), (5.2, 5.4, " stage", 1), (5.4, 5.6, " happens", 1), (5.6, 6.0, " there.", 1)])])
    assert evidence.sentence_start(sentences, "Where does this happen?", 0.0) == 1.0
    assert evidence.sentence_start(sentences, "Each stage [happens] there.", 0.0) == 5.0
    assert evidence.sentence_start(sentences, "Each stage happens th…", 0.0) == 5.0  # a snippet cut short


def _text_in(book_path, page_index: int, box) -> str:
    """The PDF's own text inside a box given from the page's top-left (what PDFium says is drawn there)."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(book_path))
    try:
        page = doc[page_index]
        height = page.get_size()[1]
        x, y, w, h = box
        return page.get_textpage().get_text_bounded(x - 0.5, height - (y + h) - 0.5, x + w + 0.5, height - y + 0.5)
    finally:
        doc.close()


@pytest.mark.slow
@pytest.mark.parametrize("query", ["why are programming errors called bugs", "what is parsing",
                                   "what is a floating-point number"])
def test_a_pdf_hit_marks_the_words_searched_for_not_a_region(profile, query):
    ctx, _, book = profile
    hit = next(h for h in search(ctx, query, k=5) if h.source_id == book.id)
    page = library.pages(ctx, book.id)[hit.page_no - 1]
    marks = evidence.page_marks(library.get(ctx, book.id), page, hit.snippet)
    assert marks is not None and marks.words and marks.sentence, hit.snippet
    page_area = marks.width * marks.height
    assert sum(w * h for _, _, w, h in marks.words) < 0.01 * page_area  # words, not a region
    assert sum(w * h for _, _, w, h in marks.sentence) < 0.1 * page_area  # one sentence, not the passage
    # A word may be drawn in pieces (PDFium gives one box per run of the same font): compare without spaces.
    marked_text = "".join("".join(_text_in(book.stored_path, hit.page_no - 1, box).split())
                          for box in marks.words).lower()
    for word in evidence.marked_words(hit.snippet):
        assert word.lower() in marked_text, (word, marked_text)
    sentence_text = " ".join(" ".join(_text_in(book.stored_path, hit.page_no - 1, box).split())
                             for box in marks.sentence)
    first_words = " ".join(evidence.plain(hit.snippet).split()[:2])
    assert first_words.lower() in sentence_text.lower(), (first_words, sentence_text)


@pytest.mark.slow
def test_an_ocr_hit_marks_the_words_not_the_passage_region(ctx, shared):
    library.queue_import(ctx, shared / "ocr" / "phototest.tif")
    while queued := [j for j in ctx.jobs.recent(100) if j.state == "queued"]:
        assert ctx.jobs.run_now(min(j.id for j in queued)).state == "done"
    hit = search(ctx, "quick brown dog jumped", k=1)[0]
    assert hit.source_kind == "image" and hit.region
    page = library.pages(ctx, hit.source_id)[hit.page_no - 1]
    marks = evidence.page_marks(library.get(ctx, hit.source_id), page, hit.snippet)
    words = {tuple(w[:4]): str(w[4]).lower() for w in page.words}
    assert sorted(words[box] for box in marks.words) == ["brown", "dog", "jumped", "quick"]  # one sentence's
    region_area = hit.region[2] * hit.region[3]
    assert sum(w * h for _, _, w, h in marks.words) < 0.2 * region_area
