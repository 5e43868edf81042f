"""The study half of `lmgpa demo`: notes, a reviewed deck, a graded practice test and exports from one source."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop.cli.common import run_queued_with_bar

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext


def _plain(card_html: str) -> str:
    """A card face as one line of text."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", card_html)).split())


def _generate(ctx: AppContext, what: str, source_id: int, count: int | None) -> dict:
    """Run one generation job here and return its result."""
    from lmgpa_desktop.core.study.items import generate

    job_id = generate.queue(ctx, what, [source_id], count=count)
    return run_queued_with_bar(ctx, job_id, f"generating {what}").result


def run(ctx: AppContext, source_id: int, out: Path, step: int) -> int:
    """Print each study step from `step` on; returns the next step number."""
    from lmgpa_desktop.core.study.anki import exporting as anki_export
    from lmgpa_desktop.core.study.items import drafts
    from lmgpa_desktop.core.study import practice
    from lmgpa_desktop.core.study import read_aloud
    from lmgpa_desktop.core.study import review
    from lmgpa_desktop.core.study import slides

    out.mkdir(parents=True, exist_ok=True)
    made = _generate(ctx, "notes", source_id, None)
    note = drafts.accept_note(ctx, made["note_id"])
    lines = [line for line in note.body_md.splitlines() if line.strip()]
    print(f"{step}. Notes written from the lecture (accepted): {len(lines)} lines, each point linked to its second")
    for line in lines[1:7]:
        print(f"   {line[:150]}")

    made = _generate(ctx, "flashcards", source_id, 8)
    drafts.accept_cards(ctx, made["card_ids"])
    deck_id = made["deck_id"]
    print(f"{step + 1}. Flashcards (accepted into deck #{deck_id}): {len(made['card_ids'])}; reviewing them with FSRS:")
    reviewed = 0
    while (card := review.next_card(ctx, deck_id)) is not None and reviewed < len(made["card_ids"]):
        faces = review.faces(ctx, card)
        # The demo knows every answer on the first go: Good for all, so each card moves to a later day.
        result = review.answer(ctx, card.id, 3)
        reviewed += 1
        if reviewed <= 3:
            print(f"   Q: {_plain(faces.question)[:90]}\n   A: {_plain(faces.answer)[:90]}  -> Good, next in "
                  f"{review.format_interval(result.interval)}")
    counts = review.counts(ctx, deck_id)
    print(f"   reviewed {reviewed}; left today: {counts.new} new, {counts.learning} learning, {counts.review} due")

    made = _generate(ctx, "quiz", source_id, 5)
    test = drafts.accept_test(ctx, made["test_id"])
    attempt = practice.start(ctx, test.id)
    questions = practice.questions(ctx, test.id)
    for n, q in enumerate(questions):
        # Every answer right except the last, typed with a small slip in the first, to show fuzzy grading.
        response = "I am not sure" if n == len(questions) - 1 else q.answer
        if n == 0 and q.kind == "short" and len(response) > 5:
            response = response[:-1]
        practice.record(ctx, attempt.id, q.id, response)
    result = practice.finish(ctx, attempt.id)
    print(f"{step + 2}. Practice test “{test.title}”: {len(questions)} questions; scored "
          f"{result.score:g}/{result.max_score:g} ({result.percent:.0f}%)")
    for item in result.wrong:
        print(f"   wrong: {item.question.prompt[:90]} -> {item.question.answer} ({item.location})")

    apkg = anki_export.export_deck(ctx, deck_id, out / "demo-deck.apkg")
    pptx = slides.export_note_pptx(ctx, note.id, out / "demo-notes.pptx")
    # The first key points only: enough to hear the voice without synthesizing the whole note.
    opening = "\n".join(note.body_md.splitlines()[:12])
    wav = read_aloud.export_audio(ctx, opening, out / "demo-notes.wav")
    print(f"{step + 3}. Exported: {apkg.path} ({apkg.notes} Anki notes), {pptx} (slides), {wav} (notes read aloud)")
    return step + 4
