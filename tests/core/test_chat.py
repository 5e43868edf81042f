"""Grounded chat on a real transcribed lecture and a book with the real default GGUF (an instruct model with a chat
template): full-sentence answers whose citations point at passages that hold the answer, every sentence checked
before it is shown, "not in your library" when nothing is relevant or the passages do not answer, conversations,
regenerate, stop, context budget, and `lmgpa ask`."""

from __future__ import annotations

import argparse
import json
import re
import threading

import pytest

from chat_support import LONG_QUESTION, make_lecture_profile
from support import SHARED

from lmgpa_desktop.cli import commands_chat, run_handler
from lmgpa_desktop.core.study.chat import ask as chat
from lmgpa_desktop.core.study.chat import check as chat_check
from lmgpa_desktop.core.study.chat import prompt as chat_prompt
from lmgpa_desktop.core.study.chat import retrieval as chat_retrieval
from lmgpa_desktop.core.study.chat import conversations
from lmgpa_desktop.core.library.search import Scope
from lmgpa_desktop.engines.llm import LlamaEngine
from lmgpa_desktop.storage import chat_repo, library_repo, search_repo

pytestmark = pytest.mark.slow

# William Morris, "Printing" (LJSpeech reading in ../shared/data), as our Whisper transcribes it.
ANSWERED = [
    ("When was the Gutenberg Bible printed?", "1455"),
    ("Who printed the first dated Bible?", "schofer"),
    ("In which year was the first dated Bible printed?", "1462"),
    ("What did the Chinese take impressions from?", "wood blocks"),
    ("What did the Middle Ages bring to perfection?", "calligraphy"),
    ("Which cities used type similar to Schofer's?", "paris"),
]
ABSENT = ["What is photosynthesis?", "Explain Newton's second law of motion.", "What is the capital of France?"]
# Think Python chapters 1-2: a question and words its answer and cited page must hold.
BOOK_ANSWERED = [("What is a bug?", "error"), ("What is an assignment statement?", "variable")]
# On the subject of the material, so retrieval finds passages, but not answered by them: the model must say so.
NOT_ANSWERED = ["How many copies of the Gutenberg Bible were printed?", "How much did the first dated Bible cost?",
                "Where is the Gutenberg Bible kept today?", "Who created the Python programming language?",
                "In what year was Python 3 first released?", "How do you write a for loop in Python?"]


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    ctx, source, book = make_lecture_profile(tmp_path_factory.mktemp("chat") / "home", SHARED)
    yield ctx, source, book
    ctx.close()


@pytest.fixture
def lecture(profile):
    return profile[:2]


def _run(events) -> tuple[list[str], chat.ChatEvent]:
    tokens, done = [], None
    for event in events:
        if event.kind == "token":
            tokens.append(event.text)
        else:
            done = event
    return tokens, done


def _chunk_text(ctx, chunk_id: int) -> str:
    return search_repo.chunks_by_id(ctx.db, [chunk_id])[chunk_id].text.lower()


def test_answers_cite_the_passage_that_holds_the_answer(lecture):
    """Every answer is shown only as checked sentences, cites the passages it used, and most hold the expected
    fact (a 0.5B model misses some: the share is the quality bar, each property below holds for every answer)."""
    ctx, source = lecture
    right = []
    for question, answer in ANSWERED:
        conv = conversations.new_conversation(ctx)
        tokens, done = _run(chat.ask(ctx, conv.id, question))
        message = done.message
        assert "".join(tokens).strip() == message.content  # only checked sentences were shown, none taken back
        assert message.grounded and message.id is not None, (question, message.content)
        assert message.content[0].isupper() and message.content.endswith((".", "!", ")")), message.content
        assert message.citations, (question, message.content)
        first = message.citations[0]
        assert first.number == 1 and "[1]" in message.content
        assert first.source_id == source.id and first.source_title == source.title
        assert first.snippet.lower().rstrip("…") in _chunk_text(ctx, first.chunk_id)
        assert first.start_s is not None and first.end_s > first.start_s and first.location
        assert {int(n) for n in re.findall(r"\[(\d+)\]", message.content)} == \
            {c.number for c in message.citations}  # every [n] has a citation and every citation is used
        if answer in message.content.lower() and any(answer in _chunk_text(ctx, c.chunk_id) for c in message.citations):
            right.append(question)
    assert len(right) >= len(ANSWERED) - 2, right


@pytest.mark.parametrize(("question", "answer"), BOOK_ANSWERED)
def test_answers_from_a_book_cite_the_page(profile, question, answer):
    ctx, _, book = profile
    _, done = _run(chat.answer(ctx, question))
    message = done.message
    assert message.grounded and answer in message.content.lower()
    first = message.citations[0]
    assert first.source_id == book.id and first.start_s is None
    assert first.page_no is not None and first.location == f"page {first.page_no}"
    text = _chunk_text(ctx, first.chunk_id)
    assert answer in text and question.split()[-1].rstrip("?").lower() in text


@pytest.mark.parametrize("question", ABSENT)
def test_nothing_relevant_says_so_without_citations(lecture, question):
    ctx, _ = lecture
    conv = conversations.new_conversation(ctx)
    _, done = _run(chat.ask(ctx, conv.id, question))
    assert not done.message.grounded and done.message.citations == []
    assert done.message.content.startswith("I couldn't find anything about this in your library")


def test_a_source_scope_that_does_not_cover_the_question_says_so(lecture):
    ctx, source = lecture
    _, done = _run(chat.answer(ctx, ANSWERED[0][0], Scope(source_id=source.id)))
    assert done.message.grounded
    course = library_repo.course_named(ctx.db, "Biology")
    _, done = _run(chat.answer(ctx, ANSWERED[0][0], Scope(course_id=course.id)))
    assert not done.message.grounded and "the class Biology" in done.message.content


def test_conversation_is_kept_renamed_regenerated_and_deleted(lecture):
    ctx, _ = lecture
    conv = conversations.new_conversation(ctx)
    _run(chat.ask(ctx, conv.id, ANSWERED[0][0]))
    assert conversations.conversation(ctx, conv.id).title == ANSWERED[0][0]
    assert conversations.conversations(ctx)[0].id == conv.id
    _, again = _run(chat.regenerate(ctx, conv.id))
    stored = conversations.messages(ctx, conv.id)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[-1].id == again.message.id and stored[-1].grounded
    cancel = threading.Event()
    cancel.set()  # stopped before a word was written: the previous answer stays
    _, done = _run(chat.regenerate(ctx, conv.id, cancel=cancel))
    assert done.stopped and done.message is None
    assert [m.id for m in conversations.messages(ctx, conv.id)] == [m.id for m in stored]
    conversations.rename(ctx, conv.id, "Gutenberg")
    assert conversations.conversation(ctx, conv.id).title == "Gutenberg"
    conversations.delete(ctx, conv.id)
    assert conv.id not in [c.id for c in conversations.conversations(ctx)]
    assert chat_repo.messages(ctx.db, conv.id) == []


def test_a_follow_up_question_uses_the_earlier_one(lecture):
    ctx, _ = lecture
    conv = conversations.new_conversation(ctx)
    _run(chat.ask(ctx, conv.id, "Who printed the first dated Bible?"))
    _, done = _run(chat.ask(ctx, conv.id, "In what year was that?"))
    assert "1462" in done.message.content and "1462" in _chunk_text(ctx, done.message.citations[0].chunk_id)
    _, done = _run(chat.ask(ctx, conv.id, "What is photosynthesis?"))  # a new topic does not lean on the old one
    assert not done.message.grounded


def test_stopping_keeps_what_was_written(lecture):
    ctx, _ = lecture
    question = LONG_QUESTION
    full_tokens, full = _run(chat.answer(ctx, question))
    assert full_tokens and full.message.content
    conv = conversations.new_conversation(ctx)
    cancel = threading.Event()
    seen = []
    done = None
    for event in chat.ask(ctx, conv.id, question, cancel=cancel):
        if event.kind == "token":
            seen.append(event.text)
            cancel.set()
        else:
            done = event
    assert seen and len(seen) <= len(full_tokens)
    stored = conversations.messages(ctx, conv.id)[-1]
    assert stored.role == "assistant" and stored.content == "".join(seen).strip()  # what was shown, nothing more
    if len(full_tokens) >= 2:  # the model wrote more than one sentence: Stop came before the rest
        assert done.stopped and full.message.content.startswith(stored.content)

    conv2 = conversations.new_conversation(ctx)
    events = chat.ask(ctx, conv2.id, question)
    first = next(e for e in events if e.kind == "token")
    events.close()  # the caller walks away: the partial answer is kept and the model is free again
    assert conversations.messages(ctx, conv2.id)[-1].content == first.text.strip()
    _, done = _run(chat.answer(ctx, question))
    assert done.message.content and done.message.content.split()[:1] == full.message.content.split()[:1]


def test_history_and_passages_fit_a_small_context_window(lecture, monkeypatch):
    ctx, _ = lecture
    small = LlamaEngine(ctx.models.path("llm"), n_ctx=384, threads=ctx.settings.threads())
    monkeypatch.setattr(ctx.models, "llm", lambda: small)
    conv = conversations.new_conversation(ctx)
    long_answer = "The Gutenberg Bible was printed in 1455 with movable types of great beauty. " * 12
    for _ in range(4):
        chat_repo.add_message(ctx.db, conv.id, "user", "Who printed the Gutenberg Bible and when?")
        chat_repo.add_message(ctx.db, conv.id, "assistant", long_answer + "[1]",
                              [{"number": 1, "source_id": 1, "chunk_id": 1}])
    question = "When was it printed? " + "Please answer precisely about the Gutenberg Bible. " * 30
    _, done = _run(chat.ask(ctx, conv.id, question))
    assert done.message.grounded and "1455" in done.message.content


def test_each_sentence_is_checked_before_it_is_shown(lecture):
    ctx, _ = lecture
    passages = chat_retrieval.relevant_passages(ctx, "When was the Gutenberg Bible printed?")
    plan = chat_prompt.Plan(passages[:2], "your library")
    text, cites = chat_check.check_answer("It was printed in 1455 [7].", plan)
    assert text == "It was printed in 1455 [1]." and len(cites) == 1 and "1455" in _chunk_text(ctx, cites[0].chunk_id)

    # Streamed piece by piece: the supported sentence is shown once complete, the invented one never.
    checker = chat_check.Checker(plan)
    raw = "The Gutenberg Bible was printed in 1455 [1]. It was printed by Johannes Gutenberg in Mainz [1]. "
    shown = [checker.feed(raw[i:i + 3]) for i in range(0, len(raw), 3)]
    first = next(i for i, pieces in enumerate(shown) if pieces)
    assert shown[first] == ["The Gutenberg Bible was printed in 1455 [1]."]
    assert 3 * first < raw.index("It was") + 3  # right after it ended, before the next sentence was written
    assert sum(shown, []) == shown[first] and "Johannes" not in "".join(sum(shown, []))
    tail = checker.finish(stopped=False)
    text, cites = checker.result()
    assert "".join(shown[first] + tail) == text and "Johannes" not in text and "Mainz" not in text
    assert text.endswith("(One sentence left out: not found in your library.)") and len(cites) == 1

    text, cites = chat_check.check_answer("It was printed in 1871 by Napoleon [1].", plan)  # nothing supported: quotes
    assert text.startswith("Here is what your library says") and cites and "1871" not in text
    text, cites = chat_check.check_answer("", plan)
    assert cites and "“" in text
    text, cites = chat_check.check_answer("The passages do not say who printed it.", plan)
    assert text.startswith("Your library doesn't say.") and cites == []
    text, cites = chat_check.check_answer("It was printed in 1455 [1]. It was", plan, stopped=True)
    assert text == "It was printed in 1455 [1]."  # a half-sentence cut off by Stop is not shown


@pytest.mark.parametrize("question", NOT_ANSWERED)
def test_when_the_passages_do_not_answer_nothing_is_made_up(profile, question):
    ctx = profile[0]
    assert chat_retrieval.relevant_passages(ctx, question)  # the material is on the subject: the model has to decide
    tokens, done = _run(chat.answer(ctx, question))
    content = done.message.content
    # Said plainly, or the passages' own words in quotes: never an answer the model made up.
    assert content.startswith(("Your library doesn't say.", "Here is what your library says about it:")), content
    assert "".join(tokens).strip() == content


def test_engine_is_reusable_after_a_stopped_stream(lecture):
    ctx, _ = lecture
    engine = ctx.models.llm()
    prompt = "Question: Why do leaves change colour in autumn?\nAnswer:"
    full = "".join(engine.complete(prompt, max_tokens=24))
    stream = engine.complete(prompt, max_tokens=24)
    next(stream)
    stream.close()
    # The next run works from the stopped state; the KV cache it reuses may round differently from a fresh
    # evaluation, so the text can drift after a few tokens, but it starts the same and runs its full length.
    again = "".join(engine.complete(prompt, max_tokens=24))
    assert again.split()[:1] == full.split()[:1] and len(again) >= 0.5 * len(full)
    cancel = threading.Event()
    pieces = []
    for piece in engine.complete(prompt, max_tokens=24, cancel=cancel):
        pieces.append(piece)
        cancel.set()
    assert len(pieces) == 1
    assert list(engine.complete(prompt, max_tokens=24, cancel=cancel)) == []  # already stopped: nothing runs
    assert engine.context_size == 4096 and "<|im_start|>" in engine.chat_template  # the default speaks ChatML


def test_engine_serves_threads_one_generation_at_a_time(lecture):
    ctx, _ = lecture
    engine = ctx.models.llm()
    prompts = ["Question: What is a river?\nAnswer:", "Question: Why do birds sing?\nAnswer:"]
    alone = ["".join(engine.complete(p, max_tokens=20)) for p in prompts]
    together: dict[int, str] = {}

    def write(i: int) -> None:
        together[i] = "".join(engine.complete(prompts[i], max_tokens=20))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [together[0], together[1]] == alone


def _cli(ctx, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home")
    commands_chat.register(parser.add_subparsers())
    args = parser.parse_args(["--home", str(ctx.home), *argv])
    return run_handler(args.handler, args)


def test_cli_ask_json_and_text(lecture, capsys):
    ctx, source = lecture
    assert _cli(ctx, "ask", "Who printed the first dated Bible?", "--json", "--source", str(source.id)) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["grounded"] and "schofer" in data["answer"].lower()
    cite = data["citations"][0]
    assert cite["n"] == 1 and cite["source_id"] == source.id and cite["title"] == source.title
    assert cite["start"] is not None and cite["end"] > cite["start"] and cite["page"] is None and cite["location"]
    assert cite["snippet"]
    assert _cli(ctx, "ask", "What is photosynthesis?") == 0
    out = capsys.readouterr().out
    assert out.startswith("I couldn't find anything") and "[1]" not in out
    assert _cli(ctx, "ask", "Who printed the first dated Bible?") == 0
    out = capsys.readouterr().out
    assert "[1]" in out and f"(source {source.id})" in out
    assert _cli(ctx, "ask", "anything", "--source", "999") == 1
    assert "no source 999" in capsys.readouterr().err
