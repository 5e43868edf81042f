"""How "To review" shows a generated item: as the student will study it (a card's two sides, a question's choices
with the right one marked), every text escaped so generated or typed markup shows as text."""

from __future__ import annotations

import html

from PySide6.QtGui import QPalette

from lmgpa_desktop.core.study import card_text

KIND_NAMES = {"basic": "card", "cloze": "cloze", "mcq": "multiple choice", "tf": "true/false", "short": "short answer"}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def style_sheet(palette: QPalette) -> str:
    """The preview's style: a cloze's answer stands out on the back, in the theme's accent colour."""
    accent = palette.color(QPalette.ColorRole.Link).name()
    return (f".cloze {{ font-weight: bold; color: {accent}; }}"
            f" .side {{ font-size: small; font-weight: bold; }}"
            f" .right {{ font-weight: bold; color: {accent}; }}")


def card_line(card) -> tuple[str, str]:
    """(question, answer) of a card on one line for the list: a cloze with its gap as [...], its answer apart."""
    question, answer = card_text.preview(card.kind, card.front, card.back)
    return f"{question}  [{KIND_NAMES.get(card.kind, card.kind)}]", answer


def question_line(q) -> tuple[str, str]:
    """(prompt, answer) of a practice question on one line for the list."""
    return f"{' '.join(q.prompt.split())}  [{KIND_NAMES.get(q.kind, q.kind)}]", " ".join(q.answer.split())


def card_html(card, deck: str | None) -> str:
    """A card's front and back as the reviewer will show them, and where accepting puts it."""
    front, back = card_text.faces(card.kind, card.front, card.back)
    goes = deck or card.deck_name
    kind = "Cloze card" if card.kind == "cloze" else "Flashcard"
    return (f"<p class='side'>{kind} · front</p><p style='font-size:large'>{front}</p><hr>"
            f"<p class='side'>Back</p><p style='font-size:large'>{back}</p>"
            f"<p>Accepting puts it in the deck “{html.escape(goes)}”.</p>")


def question_html(q) -> str:
    """A practice question as the test will ask it: its choices lettered, the right one marked, then the answer."""
    e = card_text.plain_to_html
    out = f"<p class='side'>Practice question · {html.escape(KIND_NAMES.get(q.kind, q.kind))}</p>" \
          f"<p style='font-size:large'>{e(q.prompt)}</p>"
    if q.choices:
        rows = []
        for letter, choice in zip(LETTERS, q.choices):
            if choice == q.answer:
                rows.append(f"<li class='right'>✓ {letter}. {e(choice)} (right answer)</li>")
            else:
                rows.append(f"<li>{letter}. {e(choice)}</li>")
        out += "<ul style='list-style-type:none'>" + "".join(rows) + "</ul>"
    else:
        out += f"<p><b>Answer:</b> <span class='right'>{e(q.answer)}</span></p>"
    if q.explanation:
        out += f"<p><b>Explanation:</b> {e(q.explanation)}</p>"
    return out


def test_html(test) -> str:
    """A draft practice test: how many questions wait and how many it has."""
    return (f"<h3>{html.escape(test.title)}</h3><p>{test.pending} question{'s' if test.pending != 1 else ''} to "
            f"review, {test.active} accepted. Accepting the test accepts every question still waiting.</p>")


def source_html(link: str, where: str, quote: str | None) -> str:
    """Where an item came from, as a link that opens the source there, and the passage it rests on."""
    out = f"<p><b>From</b> <a href='{html.escape(link, quote=True)}'>{html.escape(where or 'the source')}</a></p>"
    if quote:
        out += f"<blockquote>{card_text.plain_to_html(quote)}</blockquote>"
    return out


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def accept_all_question(pending, keys: list[tuple], deck: str | None) -> str:
    """"Accept all 23 items into the deck “Biology”?" and what goes where, before anything is accepted."""
    listed = set(keys)
    cards = [c for c in pending.cards if ("card", c.id) in listed]
    n_questions = sum(1 for k, _ in keys if k == "question")
    n_notes = sum(1 for k, _ in keys if k == "note")
    decks = sorted({deck} if deck else {c.deck_name for c in cards})
    into = f" into the deck “{decks[0]}”" if cards and len(decks) == 1 else ""
    parts = []
    if cards:
        parts.append(_count(len(cards), "flashcard") + " to " + (f"“{decks[0]}”" if len(decks) == 1
                                                                  else f"{len(decks)} decks named after their sources"))
    if n_questions:
        parts.append(_count(n_questions, "question") + " to their practice tests")
    if n_notes:
        parts.append(_count(n_notes, "note") + " to your notes")
    what = "; ".join(parts)
    return (f"Accept all {_count(len(keys), 'item')}{into}?\n\n{what[:1].upper()}{what[1:]}.\n"
            "Undo (Ctrl+Z) takes it back.")
