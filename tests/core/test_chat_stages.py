"""The chat flow says what it is doing while nothing checked can be shown yet: finding passages, the model reading
them, writing (with how many sentences were left out so far); the answer's own events carry only checked text."""

from __future__ import annotations

from chat_support import ScriptedModel

from lmgpa_desktop.core.library.search import Hit
from lmgpa_desktop.core.study.chat import ask as chat
from lmgpa_desktop.core.study.chat import conversations
from lmgpa_desktop.core.study.chat.retrieval import Passage, sentences_of

LECTURE = "The Gutenberg Bible was printed in 1455 with movable types of great beauty."


def _one_passage(monkeypatch) -> None:
    hit = Hit(chunk_id=1, source_id=1, source_title="Printing", source_kind="audio", text=LECTURE, snippet=LECTURE,
              page_no=None, start_s=36.0, end_s=41.0, region=None, score=1.0)
    passage = Passage(hit, 0.9, sentences_of(LECTURE)[0])
    monkeypatch.setattr(chat, "relevant_passages", lambda ctx, q, scope=None: [passage])


def test_stages_come_before_the_checked_text_and_count_what_was_left_out(ctx, monkeypatch):
    _one_passage(monkeypatch)
    written = "It was printed by Johannes Gutenberg in Mainz [1]. The Gutenberg Bible was printed in 1455 [1]. "
    monkeypatch.setattr(ctx.models, "llm", lambda: ScriptedModel(written))
    conv = conversations.new_conversation(ctx)
    events = list(chat.ask(ctx, conv.id, "When was the Gutenberg Bible printed?"))
    kinds = [e.kind for e in events]
    assert kinds[:3] == ["stage", "stage", "stage"] and kinds[-1] == "done" and kinds.count("done") == 1
    stages = [e.text for e in events if e.kind == "stage"]
    assert stages[:3] == [chat.FINDING.format(where="your library"),
                          chat.READING.format(count="1 passage", where="your library"),
                          chat.WRITING.format(where="your library")]
    assert stages[3] == chat.WRITING.format(where="your library") + chat.HELD_SO_FAR.format(n=1)
    assert kinds.index("token") > kinds.index("stage") + 3  # the held sentence was reported before any text
    shown = "".join(e.text for e in events if e.kind == "token")
    assert "Johannes" not in shown and shown.strip() == events[-1].message.content


def test_nothing_found_says_so_after_looking(ctx, monkeypatch):
    monkeypatch.setattr(chat, "relevant_passages", lambda ctx, q, scope=None: [])
    events = list(chat.answer(ctx, "What is photosynthesis?"))
    assert [e.kind for e in events] == ["stage", "token", "done"]
    assert events[1].text == chat.NOT_FOUND.format(where="your library") == events[2].message.content
