"""Generation jobs: notes, flashcards and practice tests made from the student's sources, stored for review."""

# What an item asks is chosen from the student's own material first: the text is cleaned (figure labels, running
# headers, headings glued to sentences), then definitions, key sentences and what in them carries meaning (a
# defined term, a name, a figure with its unit, a technical phrase, a reason; never the topic word) are found
# without a model (text_items, study_text). The instruct model then words a question for the chosen
# answer from the sentence and its neighbours, and must answer it back from the passage before it is kept
# (item_writer). Wrong choices come from the same material, of the answer's kind (distractors). Items
# that fail a check against their passage are dropped, near-duplicates removed, the best kept, and all of them
# wait for the student to accept, edit or reject (drafts).

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.jobs import Cancelled, JobRun, job_kind
from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.core.library.search import Hit
from lmgpa_desktop.core.study.items import text_items as ex
from lmgpa_desktop.core.study.items.flashcards import card_draft, flashcard_items
from lmgpa_desktop.core.study.items.generated_items import Stats
from lmgpa_desktop.core.study.items.material import WHAT, Request, analyse, heard_words, load_passages
from lmgpa_desktop.core.study.items.note_drafts import notes_markdown
from lmgpa_desktop.core.study.items.quizzes import question_draft, quiz_items
from lmgpa_desktop.core.study.items.source_locations import Locator
from lmgpa_desktop.storage import sources_repo, study_repo
from lmgpa_desktop.storage import practice_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext


def _title_of(passages: list[Hit]) -> str:
    titles = list(dict.fromkeys(p.source_title for p in passages))
    return " + ".join(titles) if len(titles) <= 3 else f"{titles[0]} and {len(titles) - 1} more"


def _relay(steps, cancel: threading.Event):
    """Pass a builder's Progress on and return the last other thing it yields (its result), unless cancelled."""
    result = None
    for out in steps:
        if isinstance(out, Progress):
            yield out
        else:
            result = out
    _store_unless_cancelled(cancel)
    return result


def _store_unless_cancelled(cancel: threading.Event) -> None:
    """Raise Cancelled when the student cancelled: a stopped generation's partial items must not be stored."""
    if cancel.is_set():
        raise Cancelled


def _run(run: JobRun, what: str, payload: dict):
    """The shared body of the three generation jobs."""
    ctx = run.services
    cancel = run.cancel_event
    request = Request.from_payload(what, payload)
    try:
        passages = load_passages(ctx, request)
    except UserError as exc:
        raise JobError(str(exc)) from exc
    stats = Stats(passages=len(passages))
    yield Progress(0, None, f"reading {len(passages)} passages")
    m = analyse(passages, heard_words(ctx, passages))
    stats.sentences, stats.definitions = len(m.sentences), len(m.definitions)
    yield Progress(0, None, f"found {len(m.terms)} key terms and {len(m.definitions)} definitions")
    locator = Locator(ctx)
    name = _title_of(passages)
    source_ids = list(dict.fromkeys(p.source_id for p in passages))
    if what == "notes":
        title, body, refs = yield from _relay(notes_markdown(ctx, m, request, stats, cancel, locator), cancel)
        note = study_repo.create_note(ctx.db, title, body, refs, status="pending")
        yield Progress(1, 1, "notes ready for review")
        return {"what": what, "note_id": note.id, "source_ids": source_ids, "stats": stats.as_dict()}
    if what == "flashcards":
        deck = study_repo.deck_named(ctx.db, name, create=False)  # created only once there are cards for it
        existing = [f"{f} {ex.cloze_answer(f) or b}" for f, b in study_repo.card_texts(ctx.db, deck.id)] if deck else []
        chosen = yield from _relay(flashcard_items(ctx, m, request, stats, cancel, existing), cancel)
        if not chosen:
            raise JobError("no flashcards could be made from these passages (they may hold too little text)")
        drafts = [card_draft(locator.place(i)) for i in chosen]
        deck = deck or study_repo.deck_named(ctx.db, name)
        ids = study_repo.add_cards(ctx.db, deck.id, drafts, status="pending")
        yield Progress(1, 1, f"{len(ids)} cards ready for review")
        return {"what": what, "deck_id": deck.id, "card_ids": ids, "source_ids": source_ids,
                "stats": stats.as_dict()}
    chosen = yield from _relay(quiz_items(ctx, m, request, stats, cancel), cancel)
    if not chosen:
        raise JobError("no questions could be made from these passages (they may hold too little text)")
    drafts = [question_draft(locator.place(i)) for i in chosen]
    test_id, ids = practice_repo.create_test(ctx.db, f"Practice: {name}", source_ids, drafts)
    yield Progress(1, 1, f"{len(ids)} questions ready for review")
    return {"what": what, "test_id": test_id, "question_ids": ids, "source_ids": source_ids,
            "stats": stats.as_dict()}


@job_kind("generate.notes", queue="llm")
def notes_job(run: JobRun, payload: dict):
    """Structured notes from sources, pending review."""
    return (yield from _run(run, "notes", payload))


@job_kind("generate.flashcards", queue="llm")
def flashcards_job(run: JobRun, payload: dict):
    """Flashcards from sources into a deck named after them, pending review."""
    return (yield from _run(run, "flashcards", payload))


@job_kind("generate.quiz", queue="llm")
def quiz_job(run: JobRun, payload: dict):
    """A draft practice test from sources, its questions pending review."""
    return (yield from _run(run, "quiz", payload))


def queue(ctx: AppContext, what: str, source_ids: list[int], count: int | None = None,
          chunk_ids: list[int] | None = None, selection: dict | None = None, submit=None, use_llm: bool = True) -> int:
    """Queue a generation job; returns its id (submit: a runner's submit, so the GUI hears of it; use_llm False:
    only what the passages themselves give, without the model's questions and summary)."""
    if what not in WHAT:
        raise UserError(f"cannot generate {what!r}; choose notes, flashcards or quiz")
    if not source_ids and not chunk_ids and not selection:
        raise UserError("choose at least one source to generate from")
    payload = {"source_ids": list(source_ids), "count": count, "chunk_ids": chunk_ids, "selection": selection,
               "use_llm": use_llm}
    titles = [s.title for s in (sources_repo.get(ctx.db, i) for i in source_ids) if s]
    label = {"notes": "Notes", "flashcards": "Flashcards", "quiz": "Practice test"}[what]
    title = f"{label} from {', '.join(titles) or 'a selection'}"
    return (submit or ctx.jobs.submit)(f"generate.{what}", payload, title)
