"""Chat never shows as the answer text it takes back: while a model writes an invented sentence and a supported one,
every state of the answer area holds only a muted progress line and checked sentences (never bold, never the
invented one), and the finished answer's citations are links readable in the light and the dark theme."""

from __future__ import annotations

import pytest
from chat_support import ScriptedModel, answer_area, assert_nothing_taken_back
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication

from lmgpa_desktop.core.library.search import Hit
from lmgpa_desktop.core.study.chat import ask as chat
from lmgpa_desktop.core.study.chat import check as chat_check
from lmgpa_desktop.core.study.chat import conversations
from lmgpa_desktop.core.study.chat.retrieval import Passage, sentences_of
from lmgpa_desktop.ui.shell import theme
from lmgpa_desktop.ui.study.chat_answer_view import ANSWER_LABEL, contrast
from lmgpa_desktop.ui.study.chat_page import ChatPage

QUESTION = "When was the Gutenberg Bible printed?"
LECTURE = ("The Gutenberg Bible was printed in 1455 with movable types of great beauty. "
           "The first dated Bible was printed by Schoeffer in 1462.")
INVENTED = "It was printed by Johannes Gutenberg in Mainz in 1450 [1]. "  # names and a year the lecture never says
SUPPORTED = "The Gutenberg Bible was printed in 1455 [1]. "


@pytest.fixture
def lecture_passage(monkeypatch):
    """Retrieval finds one passage of a lecture (retrieval itself is tested with real material elsewhere)."""
    hit = Hit(chunk_id=1, source_id=1, source_title="Printing", source_kind="audio", text=LECTURE, snippet=LECTURE,
              page_no=None, start_s=36.0, end_s=52.0, region=None, score=1.0)
    passage = Passage(hit, 0.9, sentences_of(LECTURE)[0])
    monkeypatch.setattr(chat, "relevant_passages", lambda ctx, question, scope=None: [passage])


@pytest.fixture
def themed(qtbot, request):
    app = QApplication.instance()
    theme.apply(app, request.param)
    yield request.param
    theme.apply(app, "light")


def _ask_and_watch(qtbot, page, model_text, monkeypatch) -> list[list[tuple[str, object]]]:
    """Ask QUESTION while the model writes model_text; every state of the answer area until it is stored."""
    monkeypatch.setattr(page.ctx.models, "llm", lambda: ScriptedModel(model_text))
    qtbot.waitUntil(lambda: page.ops.pending == 0)  # the conversation list has been read
    states = []
    page.body.textChanged.connect(lambda: page.body.writing and states.append(answer_area(page.body, QUESTION)))
    page.input.setPlainText(QUESTION)
    page.send()
    qtbot.waitUntil(lambda: not page.busy and page.ops.pending == 0)
    return states


def _assert_nothing_is_taken_back(page, states, stored) -> list[str]:
    return assert_nothing_taken_back(page.body, states, stored, forbidden=("Johannes", "Mainz", "1450"))


@pytest.fixture
def page(qtbot, ctx):
    page = ChatPage(ctx, None)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    yield page
    page.shutdown()  # a model still waiting is stopped, even when the test failed


@pytest.mark.parametrize("themed", ["light", "dark"], indirect=True)
def test_only_checked_sentences_are_shown_and_citations_are_readable_links(qtbot, themed, page, ctx,
                                                                          lecture_passage, monkeypatch):
    states = _ask_and_watch(qtbot, page, INVENTED + SUPPORTED, monkeypatch)
    stored = conversations.messages(ctx, page.conversation_id)[-1]
    progress_seen = _assert_nothing_is_taken_back(page, states, stored)
    assert stored.role == "assistant" and stored.content.startswith("The Gutenberg Bible was printed in 1455 [1].")
    assert "Johannes" not in stored.content and "One sentence left out" in stored.content
    assert progress_seen and progress_seen[0] != progress_seen[-1]  # the student saw it move on
    assert any("left out so far" in p for p in progress_seen)  # the invented sentence was held, and said so
    assert any(chat.WRITING.format(where="your library") in p for p in progress_seen)
    first_answer = next(i for i, s in enumerate(states) if any(t == ANSWER_LABEL for t, _ in s))
    assert any(states[i] for i in range(first_answer))  # progress came before any answer text

    # The finished answer: only the checked text, its citations links at a readable color on this theme.
    shown = "".join(t for t, _ in answer_area(page.body, QUESTION))
    assert "Johannes" not in shown and "Writing" not in shown and "Sources:" in shown
    doc = page.body.document()
    mark = doc.find("[1]", doc.find(QUESTION))
    inside = QTextCursor(mark)
    inside.setPosition(mark.selectionStart() + 1)
    fmt = inside.charFormat()
    assert fmt.isAnchor() and fmt.anchorHref() == f"cite:{stored.id}:1"
    base = page.body.palette().base().color()
    assert contrast(fmt.foreground().color(), base) >= 4.5, fmt.foreground().color().name()

    other = "dark" if themed == "light" else "light"  # switching theme recolors the links already shown
    theme.apply(QApplication.instance(), other)
    fmt = inside.charFormat()
    base = page.body.palette().base().color()
    assert contrast(fmt.foreground().color(), base) >= 4.5, (other, fmt.foreground().color().name(), base.name())


def test_when_nothing_written_is_supported_only_progress_shows_then_the_lecture_is_quoted(qtbot, page, ctx,
                                                                                        lecture_passage, monkeypatch):
    states = _ask_and_watch(qtbot, page, INVENTED + "Mainz was the capital of printing for 80 years. ", monkeypatch)
    stored = conversations.messages(ctx, page.conversation_id)[-1]
    assert any("1 left out so far" in p for p in _assert_nothing_is_taken_back(page, states, stored))
    assert stored.content.startswith(chat_check.QUOTE_INTRO.format(where="your library")) and stored.citations
    shown = page.body.toPlainText()
    assert "Johannes" not in shown and "“The Gutenberg Bible was printed in 1455" in shown


def test_stop_before_any_checked_sentence_shows_nothing_as_the_answer(qtbot, page, ctx, lecture_passage,
                                                                     monkeypatch):
    monkeypatch.setattr(ctx.models, "llm", lambda: ScriptedModel(INVENTED + "It ", then_wait=True))
    qtbot.waitUntil(lambda: page.ops.pending == 0)
    page.input.setPlainText(QUESTION)
    page.send()
    qtbot.waitUntil(lambda: any("left out so far" in t for t, _ in answer_area(page.body, QUESTION)))
    qtbot.keyClick(page.input, Qt.Key.Key_Escape)  # Esc stops the answer
    qtbot.waitUntil(lambda: not page.busy and page.ops.pending == 0)
    assert page.status.text() == "Stopped." and "Johannes" not in page.body.toPlainText()
    assert [m.role for m in conversations.messages(ctx, page.conversation_id)] == ["user"]
