"""Chat page: Enter sends, the answer streams in piece by piece on a worker thread and Stop ends it; a citation
click emits open_location with the source and second; conversations, scope, regenerate, copy."""

from __future__ import annotations

import pytest
from chat_support import LONG_QUESTION, answer_area, assert_nothing_taken_back, make_lecture_profile
from support import SHARED
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication, QTextCursor

from lmgpa_desktop.app import build_window
from lmgpa_desktop.core.study.chat import ask as chat
from lmgpa_desktop.core.study.chat import retrieval as chat_retrieval
from lmgpa_desktop.core.study.chat import conversations
from lmgpa_desktop.core.library.search import Scope
from lmgpa_desktop.storage import library_repo, search_repo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    ctx, source, book = make_lecture_profile(tmp_path_factory.mktemp("gui_chat") / "home", SHARED)
    yield ctx, source, book
    ctx.close()


@pytest.fixture
def page(qtbot, lecture):
    ctx = lecture[0]
    win = build_window(ctx)
    qtbot.addWidget(win)
    win.show()
    win.show_area("chat")
    chat_page = win.pages["chat"]
    yield chat_page
    chat_page.shutdown()
    win.close()


def _ask(qtbot, page, question: str) -> None:
    page.input.setFocus()
    qtbot.keyClicks(page.input, question)
    qtbot.keyClick(page.input, Qt.Key.Key_Return)


def _point_of(body, text: str):
    cursor = body.document().find(text)
    assert not cursor.isNull(), text
    middle = QTextCursor(cursor)
    middle.setPosition((cursor.selectionStart() + cursor.selectionEnd()) // 2)
    return body.cursorRect(middle).center()


def test_answer_streams_and_stop_keeps_the_partial_answer(page, qtbot, lecture):
    ctx = lecture[0]
    full = next(e for e in chat.answer(ctx, LONG_QUESTION) if e.kind == "done").message
    # the model wrote an answer long enough to stop halfway
    several = len(chat_retrieval.sentences_of(full.content)) >= 2
    qtbot.keyClicks(page.input, "first line")
    qtbot.keyClick(page.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert page.input.toPlainText() == "first line\n" and not page.busy  # Shift+Enter is a new line
    page.input.clear()
    pieces = []
    _ask(qtbot, page, LONG_QUESTION)
    assert page.busy and page.send_button.text() == "Stop" and page.input.toPlainText() == ""
    page.stream.token.connect(pieces.append)
    qtbot.waitUntil(lambda: len(pieces) >= 1, timeout=600_000)
    assert page.busy or not several  # a checked sentence arrives while the answer is still being written
    shown = page.streamed.strip()
    assert shown and shown in page.body.toPlainText() and full.content.startswith(shown)
    cursor = page.body.document().find(shown)
    cursor.setPosition(cursor.selectionEnd())
    assert cursor.charFormat().fontWeight() <= QFont.Weight.Normal  # the answer is not shown in bold
    qtbot.mouseClick(page.send_button, Qt.MouseButton.LeftButton)  # Stop
    qtbot.waitUntil(lambda: not page.busy and page.ops.pending == 0, timeout=600_000)
    assert page.send_button.text() == "Send" and (page.status.text() == "Stopped." or not several)
    stored = conversations.messages(ctx, page.conversation_id)
    assert [m.role for m in stored] == ["user", "assistant"] and stored[0].content == LONG_QUESTION
    assert stored[1].content == page.streamed.strip()  # what was shown is what is kept
    if several:
        assert len(stored[1].content.split()) < len(full.content.split())
    assert page.list.currentItem().text() == LONG_QUESTION  # the conversation is named after its first question


def test_citation_click_opens_the_source_where_the_answer_is(page, qtbot, lecture):
    ctx, source, book = lecture
    page.new_conversation()
    states = []  # every state of the answer area while the real model writes

    def record():
        if page.body.writing:
            states.append(answer_area(page.body, "Who printed the first dated Bible?"))

    page.body.textChanged.connect(record)
    _ask(qtbot, page, "Who printed the first dated Bible?")
    qtbot.waitUntil(lambda: not page.busy and page.ops.pending == 0, timeout=600_000)
    page.body.textChanged.disconnect(record)
    answer = page.last_answer()
    assert answer.grounded and "schofer" in answer.content.lower()
    progress = assert_nothing_taken_back(page.body, states, answer)  # only checked text, never bold, never retracted
    assert progress and progress[0] != progress[-1]  # what was happening was said while the model worked
    cite = answer.citations[0]
    assert "schofer" in search_repo.chunks_by_id(ctx.db, [cite.chunk_id])[cite.chunk_id].text.lower()
    shown = page.body.toPlainText()
    assert "[1]" in shown and "Sources:" in shown and source.title in shown
    with qtbot.waitSignal(page.open_location, timeout=5000) as signal:
        qtbot.mouseClick(page.body.viewport(), Qt.MouseButton.LeftButton, pos=_point_of(page.body, "[1]"))
    assert signal.args[:3] == [source.id, None, cite.start_s] and signal.args[4] == cite.snippet
    window = page.window()  # the main window routes the citation: the lecture, at that second
    qtbot.waitUntil(lambda: window.ops.pending == 0 and window.pages["record"].view.ops.pending == 0)
    assert window.current_area() == "record"
    view = window.pages["record"].view
    assert view.source.id == source.id
    # The file may still be loading: the view seeks as soon as the player can, so the position arrives there.
    qtbot.waitUntil(lambda: abs(view.player.position() - cite.start_s * 1000) < 1000, timeout=10_000)
    window.show_area("chat")

    _ask(qtbot, page, "What is a bug?")  # a book: the citation opens its page
    qtbot.waitUntil(lambda: not page.busy and page.ops.pending == 0, timeout=600_000)
    answer = page.last_answer()
    cite = answer.citations[0]
    assert cite.source_id == book.id and cite.page_no is not None
    cursor = page.body.document().find("[1]", page.body.document().find("What is a bug?"))
    assert not cursor.isNull()
    middle = QTextCursor(cursor)
    middle.setPosition(cursor.selectionStart() + 1)
    with qtbot.waitSignal(page.open_location, timeout=5000) as signal:
        page.body.verticalScrollBar().setValue(page.body.verticalScrollBar().maximum())
        qtbot.mouseClick(page.body.viewport(), Qt.MouseButton.LeftButton, pos=page.body.cursorRect(middle).center())
    assert signal.args[:3] == [book.id, cite.page_no, None] and signal.args[4] == cite.snippet
    qtbot.waitUntil(lambda: window.ops.pending == 0 and window.pages["library"].viewer.ops.pending == 0)
    viewer = window.pages["library"].viewer
    assert window.current_area() == "library" and viewer.current_page() == cite.page_no
    # the quoted sentence is marked on the page picture, not the whole passage
    marks = viewer.marks
    assert viewer.highlight_text == cite.snippet and marks is not None and marks.sentence
    assert sum(w * h for _, _, w, h in marks.sentence) < 0.05 * marks.width * marks.height
    window.show_area("chat")

    page.copy_answer()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith(answer.content) and book.title in copied and f"page {cite.page_no}" in copied

    page.regenerate()
    assert page.busy
    qtbot.waitUntil(lambda: not page.busy and page.ops.pending == 0, timeout=600_000)
    stored = conversations.messages(ctx, page.conversation_id)
    assert [m.role for m in stored] == ["user", "assistant"] * 2 and stored[-1].grounded
    assert stored[-1].created_at > answer.created_at  # the last answer was replaced, the first one kept


def test_nothing_relevant_is_said_plainly(page, qtbot):
    page.new_conversation()
    assert page.body.toPlainText().startswith("Ask anything about your library.") and "\\" not in \
        page.body.toPlainText()
    _ask(qtbot, page, "What is photosynthesis?")
    qtbot.waitUntil(lambda: not page.busy and page.ops.pending == 0, timeout=600_000)
    answer = page.last_answer()
    assert not answer.grounded and "couldn't find anything" in page.body.toPlainText()
    assert "Sources:" not in page.body.toPlainText()


def test_conversations_and_scope(page, qtbot, lecture):
    ctx, source, _ = lecture
    course = library_repo.course_named(ctx.db, "History of the book")
    page.refresh_scopes()
    labels = [page.scope.itemText(i) for i in range(page.scope.count())]
    assert labels[0] == "Everything in my library"
    assert "Class: History of the book" in labels and f"Source: {source.title}" in labels
    conv_id = page.new_conversation()
    page.scope.setCurrentIndex(labels.index("Class: History of the book"))
    page.scope.activated.emit(page.scope.currentIndex())
    assert conversations.scope_of(conversations.conversation(ctx, conv_id)) == Scope(course_id=course.id)
    _ask(qtbot, page, "When was the Gutenberg Bible printed?")
    qtbot.waitUntil(lambda: not page.busy and page.ops.pending == 0, timeout=600_000)
    assert "the class History of the book" in page.last_answer().content  # that class holds nothing yet
    page.rename_to("Empty class")
    qtbot.waitUntil(lambda: page.ops.pending == 0)
    assert page.list.currentItem().text() == "Empty class"
    count = page.list.count()
    page.delete_conversation(confirm=False)
    qtbot.waitUntil(lambda: page.ops.pending == 0)
    assert page.list.count() == count - 1 and conv_id not in [c.id for c in conversations.conversations(ctx)]
