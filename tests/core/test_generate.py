"""Notes, flashcards and practice tests generated with the real default model (Qwen2.5-Coder-0.5B-Instruct) from
the shared Think Python chapters and from a real lecture recording transcribed by Whisper: every item is well
formed, points at its source (page or seconds), and its answer is in the passage stored for that place (after
the same cleaning of labels and broken words); duplicates are removed; the student can accept, reject and edit;
Cancel stops a generation under way."""

from __future__ import annotations

import re
import threading
from dataclasses import replace

import pytest
from support import SHARED

from lmgpa_desktop.core.study.items import drafts
from lmgpa_desktop.core.study.items import flashcards
from lmgpa_desktop.core.study.items import generate
from lmgpa_desktop.core.study.items import generated_items
from lmgpa_desktop.core.study.items import material
from lmgpa_desktop.core.study.items import item_writer
from lmgpa_desktop.core.study.items import study_text as st
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.storage import search_repo, study_repo
from lmgpa_desktop.storage import practice_repo

pytestmark = pytest.mark.slow
LECTURE_S = 231.1  # LJ001-0001_0032_concat_16k.flac


def _norm(text: str) -> str:
    """Lower-case words only, so a quote can be found in its passage whatever the spacing and punctuation."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    """A profile with the two Think Python chapters (PDF) and the transcribed "Printing" lecture, indexed."""
    from lmgpa_desktop.core.library import library
    from lmgpa_desktop.core.profile import open_app
    from lmgpa_desktop.core.capture.media_import import import_media

    ctx = open_app(tmp_path_factory.mktemp("generate") / "home")
    book_job = ctx.jobs.run_now(library.queue_import(ctx, SHARED / "documents" / "pdf" / "thinkpython2_ch01-02.pdf"))
    assert book_job.state == "done", book_job.error
    lecture = import_media(ctx, SHARED / "audio" / "LJ001-0001_0032_concat_16k.flac").source
    assert ctx.jobs.run_now(ctx.jobs.submit("transcribe", {"source_id": lecture.id})).state == "done"
    while queued := [j for j in ctx.jobs.recent(100) if j.state == "queued"]:
        assert ctx.jobs.run_now(min(j.id for j in queued)).state == "done"
    book_id = book_job.result["source_id"]
    assert search_repo.chunk_count_of(ctx.db, book_id) >= 10 and search_repo.chunk_count_of(ctx.db, lecture.id) >= 3
    yield ctx, book_id, lecture.id
    ctx.close()


def _run(ctx, what: str, source_id: int, count: int | None = None, use_llm: bool = True) -> dict:
    job = ctx.jobs.run_now(generate.queue(ctx, what, [source_id], count=count, use_llm=use_llm))
    assert job.state == "done", job.error
    return job.result


def _passages_at(ctx, source_id: int, page: int | None, start_s: float | None, end_s: float | None) -> list[str]:
    """Texts of the stored passages at a source location: the page, or those overlapping the seconds."""
    rows = study_repo.source_chunks(ctx.db, [source_id])
    if page is not None:
        return [st.clean_passage(r.text) for r in rows if r.page_no == page]
    return [st.clean_passage(r.text) for r in rows
            if r.start_s is not None and r.start_s <= end_s + 0.5 and r.end_s >= start_s - 0.5]


def _check_linked_and_supported(ctx, source_id: int, audio: bool, items: list[tuple]) -> None:
    """Each (answer, quote, page, start, end): a location of its source, whose passage holds the quote and answer."""
    for answer, quote, page, start_s, end_s in items:
        if audio:
            assert page is None and start_s is not None and 0 <= start_s <= end_s <= LECTURE_S + 1, (start_s, end_s)
        else:
            assert start_s is None and page is not None and 1 <= page <= 16, page
        passages = [_norm(t) for t in _passages_at(ctx, source_id, page, start_s, end_s)]
        assert quote and any(_norm(quote) in p for p in passages), (quote, page, start_s)
        if answer is not None:
            words = [w for w in _norm(answer).split() if len(w) > 3 or w.isdigit()] or _norm(answer).split()
            found = sum(any(re.search(rf"\b{re.escape(w)}", p) for p in passages) for w in words)
            assert found >= 0.8 * len(words), (answer, quote)


def _card_answer(card) -> str:
    hidden = re.search(r"\{\{c\d+::(.+?)(?:::[^}]*)?\}\}", card.front)
    return hidden.group(1) if card.kind == "cloze" else card.back


def _check_cards(ctx, source_id: int, cards, audio: bool) -> None:
    assert cards
    for c in cards:
        assert c.kind in ("basic", "cloze") and c.status == "pending" and c.source_id == source_id
        if c.kind == "cloze":
            assert re.search(r"\{\{c1::[^}]+\}\}", c.front), c.front
        else:
            assert c.front.strip() and c.back.strip() and _norm(c.back) not in _norm(c.front), (c.front, c.back)
            if "llm" in (c.tags or ""):
                assert item_writer.well_formed(c.front, c.back) == "", (c.front, c.back)
    _check_linked_and_supported(ctx, source_id, audio, [(_card_answer(c), c.source_quote, c.source_page,
                                                         c.source_start_s, c.source_end_s) for c in cards])
    keys = [_norm(f"{c.front} {_card_answer(c)}") for c in cards]
    assert len(keys) == len(set(keys)), "duplicate cards"


def _check_questions(ctx, source_id: int, questions, audio: bool) -> None:
    assert questions
    for q in questions:
        assert q.kind in ("mcq", "tf", "short") and q.status == "pending" and q.source_id == source_id
        if q.kind == "mcq":
            assert q.answer in q.choices and len(set(q.choices)) == len(q.choices) >= 3
        if q.kind == "tf":
            assert q.answer in ("True", "False") and q.choices == ["True", "False"]
        assert q.explanation or q.kind == "short"
    # A "False" statement is false by design: its answer is not in the passage, its quote is.
    _check_linked_and_supported(ctx, source_id, audio, [(None if q.kind == "tf" else q.answer, q.source_quote,
                                                         q.source_page, q.source_start_s, q.source_end_s)
                                                        for q in questions])
    assert len({_norm(q.prompt + q.answer) for q in questions}) == len(questions), "duplicate questions"


def test_flashcards_from_the_book_point_at_their_page(profile):
    ctx, book, _ = profile
    result = _run(ctx, "flashcards", book, count=4)
    cards = study_repo.cards(ctx.db, None, ids=result["card_ids"])
    assert len(cards) == 4 and result["stats"]["llm_tried"] >= 2 and result["stats"]["llm_written"] >= 1
    _check_cards(ctx, book, cards, audio=False)
    # The same sources again (passages only, no model): nothing already in the deck comes back.
    again = _run(ctx, "flashcards", book, count=6, use_llm=False)
    assert again["deck_id"] == result["deck_id"] and again["stats"]["duplicates"] >= 1
    new = study_repo.cards(ctx.db, None, ids=again["card_ids"])
    before = {_norm(f"{c.front} {_card_answer(c)}") for c in cards}
    assert new and not before & {_norm(f"{c.front} {_card_answer(c)}") for c in new}


def test_a_practice_test_from_the_book(profile):
    ctx, book, _ = profile
    result = _run(ctx, "quiz", book, count=5)
    test = practice_repo.get_test(ctx.db, result["test_id"])
    assert test.status == "draft" and test.pending == 5 and test.source_ids == [book]
    assert result["stats"]["llm_tried"] >= 2
    questions = practice_repo.questions(ctx.db, test.id)
    assert {q.kind for q in questions} >= {"mcq", "tf"}
    _check_questions(ctx, book, questions, audio=False)


def test_notes_from_the_book_link_every_point_to_its_page(profile):
    ctx, book, _ = profile
    note = study_repo.get_note(ctx.db, _run(ctx, "notes", book)["note_id"])
    assert note.status == "pending" and note.body_md.startswith("# Notes: ")
    assert "## Summary" in note.body_md and "### Definitions" in note.body_md
    links = re.findall(r"\]\(lmgpa://source/(\d+)\?page=(\d+)\)", note.body_md)
    bullets = [line for line in note.body_md.splitlines() if line.startswith("- ") and "lmgpa://" in line]
    assert len(bullets) >= 10 and len(links) == len(bullets) and {int(s) for s, _ in links} == {book}
    assert note.source_refs and all(r["source_id"] == book and r["page_no"] for r in note.source_refs)
    _check_linked_and_supported(ctx, book, False, [(None, r["quote"], r["page_no"], None, None)
                                                   for r in note.source_refs])


def test_study_tools_from_a_transcribed_lecture_point_at_their_seconds(profile):
    ctx, _, lecture = profile
    cards = study_repo.cards(ctx.db, None, ids=_run(ctx, "flashcards", lecture, count=4)["card_ids"])
    _check_cards(ctx, lecture, cards, audio=True)
    # No card asks for a word Whisper was unsure of (its own probability for that word, in this recording).
    heard = material.heard_words(ctx, material.load_passages(ctx, material.Request("flashcards", [lecture], 4)))
    assert heard[lecture] and min(heard[lecture].values()) < material.HEARD_ANSWER  # some words were unsure
    for c in cards:
        for word in _norm(_card_answer(c)).split():
            assert heard[lecture].get(word, 1.0) >= material.HEARD_ANSWER, (c.front, word)
    questions = practice_repo.questions(ctx.db, ids=_run(ctx, "quiz", lecture, count=4, use_llm=False)["question_ids"])
    _check_questions(ctx, lecture, questions, audio=True)
    note = study_repo.get_note(ctx.db, _run(ctx, "notes", lecture, use_llm=False)["note_id"])
    assert re.search(r"\]\(lmgpa://source/\d+\?t=[\d.]+\)", note.body_md)
    _check_linked_and_supported(ctx, lecture, True, [(None, r["quote"], None, r["start_s"], r["end_s"])
                                                     for r in note.source_refs])


def test_near_duplicates_are_dropped(profile):
    ctx, book, _ = profile
    m = material.analyse(material.load_passages(ctx, material.Request("flashcards", [book], 10)))
    items = [i for i in flashcards.definition_cards(m) if generated_items.check(i)][:5]
    assert len(items) == 5
    reworded = [replace(i, front=i.front.replace("?", " exactly?"), score=i.score - 1) for i in items]
    kept, dropped = generated_items.dedupe(items + reworded)
    assert dropped == 5 and sorted(map(id, kept)) == sorted(map(id, items))
    kept, dropped = generated_items.dedupe(items, existing=[f"{items[0].front} {items[0].back}"])
    assert dropped == 1 and sorted(map(id, kept)) == sorted(map(id, items[1:]))


def test_accept_reject_and_edit(profile):
    ctx, book, _ = profile
    result = _run(ctx, "flashcards", book, count=4, use_llm=False)
    made = study_repo.cards(ctx.db, None, ids=result["card_ids"])
    d = next(x.id for x in made if x.kind == "basic")
    cloze = next(x.id for x in made if x.kind == "cloze")
    a, b, c = [x.id for x in made if x.id not in (d, cloze)][:2] + [cloze]
    assert drafts.accept_cards(ctx, [a, b]) == 2
    with pytest.raises(UserError, match="hidden part"):
        drafts.edit_card(ctx, cloze, "A cloze without its hidden part.", "")
    assert drafts.reject_cards(ctx, [c]) == 1
    edited = drafts.edit_card(ctx, d, "What does a variable refer to?", "A value.")
    assert (edited.front, edited.back, edited.status) == ("What does a variable refer to?", "A value.", "pending")
    assert drafts.accept_cards(ctx, [d], deck="Python basics") == 1
    rows = {r.id: r for r in study_repo.cards(ctx.db, None, ids=[a, b, c, d])}
    assert set(rows) == {a, b, d} and {rows[a].status, rows[b].status, rows[d].status} == {"active"}
    assert rows[a].deck_id == result["deck_id"] and rows[d].deck_name == "Python basics"
    with pytest.raises(UserError):
        drafts.edit_card(ctx, a, "", "")

    quiz = _run(ctx, "quiz", book, count=4, use_llm=False)
    q1, q2, *rest = practice_repo.questions(ctx.db, ids=quiz["question_ids"])
    if q1.kind == "mcq":
        with pytest.raises(UserError):
            drafts.edit_question(ctx, q1.id, q1.prompt, "not one of the choices")
    drafts.edit_question(ctx, q2.id, "Reworded: " + q2.prompt, q2.answer)
    assert practice_repo.questions(ctx.db, ids=[q2.id])[0].prompt.startswith("Reworded: ")
    drafts.reject_questions(ctx, [q1.id])
    assert practice_repo.get_test(ctx.db, quiz["test_id"]).status == "draft"  # some still wait for review
    drafts.accept_questions(ctx, [q2.id] + [q.id for q in rest])
    test = practice_repo.get_test(ctx.db, quiz["test_id"])
    assert (test.status, test.active, test.pending) == ("ready", 3, 0)
    assert all(t.id != test.id for t, _ in drafts.pending(ctx).tests)

    keep = _run(ctx, "notes", book, use_llm=False)["note_id"]
    drop = _run(ctx, "notes", book, use_llm=False)["note_id"]
    assert drafts.accept_note(ctx, keep).status == "active"
    drafts.reject_note(ctx, drop)
    assert study_repo.get_note(ctx.db, drop) is None
    assert keep not in {n.id for n in drafts.pending(ctx).notes}


def test_cancel_stops_the_generation_under_way(profile, monkeypatch):
    ctx, book, _ = profile
    engine = ctx.models.llm()
    real_chat = engine.chat
    seen: list[threading.Event | None] = []
    after_cancel = []
    started = threading.Event()

    def chat(messages, **kwargs):  # the real model; notes which cancel event it got and what came after it
        seen.append(kwargs.get("cancel"))
        for piece in real_chat(messages, **kwargs):
            started.set()
            if kwargs.get("cancel") is not None and kwargs["cancel"].is_set():
                after_cancel.append(piece)
            yield piece

    monkeypatch.setattr(engine, "chat", chat)
    tests_before = len(practice_repo.tests(ctx.db))
    job_id = generate.queue(ctx, "quiz", [book], count=10)
    threading.Thread(target=lambda: started.wait(120) and ctx.jobs.cancel(job_id), daemon=True).start()
    job = ctx.jobs.run_now(job_id)
    assert job.state == "cancelled"
    assert seen and all(isinstance(e, threading.Event) and e.is_set() for e in seen)
    assert len(seen) <= 2 and len(after_cancel) <= 1  # stopped inside the first question, not after all five
    assert len(practice_repo.tests(ctx.db)) == tests_before  # nothing half-made was stored
