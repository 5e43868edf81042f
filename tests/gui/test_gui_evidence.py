"""Opening evidence from the Search page: an audio hit plays from the second its sentence is spoken (the transcript
shows that sentence's segment), a PDF hit marks the words searched for on the page picture and in its text."""

from __future__ import annotations

import pytest
from evidence_support import make_evidence_profile, passages_of, spoken_at
from PySide6.QtCore import Qt

from lmgpa_desktop.app import build_window
from lmgpa_desktop.core.capture import transcripts
from lmgpa_desktop.core.library import evidence
from lmgpa_desktop.core.study.chat.retrieval import sentences_of
from lmgpa_desktop.core.words import content_words
from lmgpa_desktop.ui.kit.operations import Operations

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    ctx, lecture, book = make_evidence_profile(tmp_path_factory.mktemp("gui_evidence") / "home")
    yield ctx, lecture, book
    ctx.close()


@pytest.fixture
def window(qtbot, profile):
    win = build_window(profile[0])
    qtbot.addWidget(win)
    win.show()
    yield win
    if "record" in win.pages:
        win.pages["record"].view.player.stop()
    win.close()


def _search(qtbot, window, query: str):
    window.show_area("search")
    page = window.pages["search"]
    page.box.setFocus()  # as a student clicks into the box: keys go to whatever has the focus
    page.box.clear()
    qtbot.keyClicks(page.box, query)
    qtbot.waitUntil(lambda: page.results.count() > 0 and not page.ops.pending, timeout=60_000)
    return page


def _idle(qtbot, window):
    qtbot.waitUntil(lambda: all(ops.pending == 0 for ops in window.findChildren(Operations)), timeout=30_000)


def test_an_audio_hit_plays_from_its_sentence(window, qtbot, profile):
    ctx, lecture, _ = profile
    segments = transcripts.current(ctx, lecture.id).segments
    passage = passages_of(ctx, lecture.id)[0]
    # A sentence in the middle of the first passage, with enough words of its own to be found first.
    sentence = next(s for s in sentences_of(passage.text)[3:] if len(content_words(s)) >= 6)
    at = spoken_at(segments, sentence)
    assert at - passage.start_s > 10
    page = _search(qtbot, window, sentence)
    assert page.hits[0].source_id == lecture.id
    qtbot.keyClick(page.box, Qt.Key.Key_Return)
    _idle(qtbot, window)
    assert window.current_area() == "record"
    view = window.pages["record"].view
    qtbot.waitUntil(lambda: view.source is not None and view.source.id == lecture.id, timeout=10_000)
    # The file may still be loading: the view seeks as soon as the player can.
    qtbot.waitUntil(lambda: abs(view.player.position() - at * 1000) < 500, timeout=10_000)
    segment = view.transcript.segments[view.current_segment()]
    assert segment.start <= at + 0.01 and segment.end >= at


def test_a_pdf_hit_marks_the_words_on_the_page(window, qtbot, profile):
    _, _, book = profile
    page = _search(qtbot, window, "why are programming errors called bugs")
    row = next(i for i, h in enumerate(page.hits) if h.source_id == book.id)
    hit = page.hits[row]
    page.results.setCurrentRow(row)
    page.open_current()
    _idle(qtbot, window)
    viewer = window.pages["library"].viewer
    assert window.current_area() == "library" and viewer.current_page() == hit.page_no
    marks = viewer.marks
    assert marks is not None and marks.words
    assert sum(w * h for _, _, w, h in marks.words) < 0.01 * marks.width * marks.height
    # the text beside the picture marks the same words, in yellow, and nothing outside the matched sentence
    doc = viewer.text.document()
    marked = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().background().color().name() == "#ffe58a":
                marked.append(fragment.text().lower())
            it += 1
        block = block.next()
    assert sorted(set(marked)) == sorted({w.lower() for w in evidence.marked_words(hit.snippet)})
