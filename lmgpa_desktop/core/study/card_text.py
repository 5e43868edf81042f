"""A card's text as the student studies it: HTML faces (a cloze hidden on the question, marked on the answer)
and one-line plain previews for lists; shared by the reviewer, the "To review" tab and the card browser."""

from __future__ import annotations

import html
import re

from lmgpa_desktop.core.study.anki.note_types import CLOZE, HTML_TAG, render_cloze

GAP = "[...]"
_HIDDEN_BLOCKS = re.compile(r"<(style|script)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_LINE_BREAKS = re.compile(r"<br\s*/?>|</(?:div|p|li|tr|h\d)\s*>", re.IGNORECASE)


def plain_to_html(text: str) -> str:
    """Plain text as safe HTML: markup escaped, line breaks kept."""
    return html.escape(text).replace("\n", "<br>")


def faces(kind: str, front: str, back: str, ordinal: int = 0, is_html: bool = False) -> tuple[str, str]:
    """(question, answer) HTML as the reviewer shows a card: plain text escaped (so typed markup cannot inject
    anything), a cloze's deletion shown as [...] (or its hint) on the question and marked on the answer, followed
    by the back's extra text; is_html: the card is an imported Anki card whose text is HTML already."""
    if kind == "cloze" and not is_html and CLOZE.search(front):
        question = render_cloze(plain_to_html(front), ordinal, answer=False)
        answer = render_cloze(plain_to_html(front), ordinal, answer=True)
        if back:
            answer += "<br>" + plain_to_html(back)
        return question, answer
    if is_html:
        return front, back
    return plain_to_html(front), plain_to_html(back)


def html_to_text(text: str) -> str:
    """HTML as one line of plain text: tags and style/script blocks dropped, entities decoded, spaces collapsed."""
    text = _HIDDEN_BLOCKS.sub("", text)
    text = _LINE_BREAKS.sub(" ", text)
    return " ".join(html.unescape(HTML_TAG.sub("", text)).split())


def cloze_text(text: str, ordinal: int = 0, answer: bool = False) -> str:
    """A cloze's text on one line: its active deletion as [...] (or [hint]), or as the answer; others shown."""
    active = ordinal + 1

    def one(m: re.Match) -> str:
        if int(m.group(1)) != active or answer:
            return m.group(2)
        return f"[{m.group(3)}]" if m.group(3) else GAP

    previous = None
    while previous != text:  # innermost deletions first, as render_cloze does
        previous, text = text, CLOZE.sub(one, text)
    return text


def cloze_answers(text: str, ordinal: int = 0) -> str:
    """What a cloze card hides ("1455", or "1455, Constantinople" when one card hides two parts)."""
    return ", ".join(m.group(2) for m in CLOZE.finditer(text) if int(m.group(1)) == ordinal + 1)


def preview(kind: str, front: str, back: str, ordinal: int = 0, is_html: bool = False) -> tuple[str, str]:
    """(question, answer) as one-line plain text for a list column: a cloze with its gap as [...] and its hidden
    part as the answer; HTML stripped."""
    if is_html:
        return html_to_text(front), html_to_text(back)
    if kind == "cloze" and CLOZE.search(front):
        hidden = cloze_answers(front, ordinal)
        question = " ".join(cloze_text(front, ordinal).split())
        return question, " ".join((hidden + (" — " + back if back else "")).split())
    return " ".join(front.split()), " ".join(back.split())
