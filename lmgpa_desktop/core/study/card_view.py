"""One card as the browser previews it: question and answer as the student studies them (HTML made safe to
show), its deck's media folder, and the line naming where it came from ("From Lecture 3 at 0:36")."""

from __future__ import annotations

import html
from dataclasses import dataclass
from html.parser import HTMLParser

from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.core.study import decks, review
from lmgpa_desktop.storage.cards_repo import CardRecord

# Imported Anki cards carry the HTML of their templates: formatting is kept, anything that runs, loads from the
# network or hides content (scripts, styles, frames, event handlers, javascript: links) is dropped.
ALLOWED_TAGS = {
    "a", "b", "strong", "i", "em", "u", "s", "strike", "sub", "sup", "small", "big", "br", "hr", "p", "div", "span",
    "font", "center", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th",
    "h1", "h2", "h3", "h4", "h5", "h6", "img", "code", "pre", "blockquote", "ruby", "rt", "rp", "mark",
}
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "head", "title",
                        "svg", "math", "audio", "video", "canvas", "form", "button", "select", "textarea"}
ALLOWED_ATTRS = {"href", "src", "alt", "title", "class", "style", "colspan", "rowspan", "align", "valign", "color",
                 "face", "size", "width", "height", "dir", "lang"}
SAFE_LINKS = ("sound:", "http:", "https:", "#")
VOID_TAGS = {"br", "hr", "img"}


@dataclass(frozen=True)
class CardView:
    """A card ready to preview."""

    card: CardRecord
    question: str  # HTML, sanitized
    answer: str
    media_dir: str | None
    source: str  # "From Lecture 3 at 0:36", "From Notes.pdf, page 3", or "" when it has no source


class _Sanitizer(HTMLParser):
    """Rebuilds HTML keeping only ALLOWED_TAGS and ALLOWED_ATTRS; text is escaped again."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0  # depth inside a dropped-with-content element

    def handle_starttag(self, tag, attrs) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.hidden += tag not in VOID_TAGS
            return
        if self.hidden or tag not in ALLOWED_TAGS:
            return
        kept = []
        for name, value in attrs:
            value = value or ""
            if name not in ALLOWED_ATTRS or (name == "style" and "url(" in value.lower()):
                continue
            if name == "href" and not value.strip().lower().startswith(SAFE_LINKS):
                continue
            if name == "src" and (":" in value.split("/")[0] and not value.startswith("data:image/")):
                continue  # a local media file or an inline image; never a remote or scripted source
            kept.append(f' {name}="{html.escape(value, quote=True)}"')
        if tag == "img" and not any(k.startswith(" src=") for k in kept):
            return  # an image with nothing safe to show
        self.out.append(f"<{tag}{''.join(kept)}>")

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)
        if tag in DROPPED_WITH_CONTENT and tag not in VOID_TAGS:
            self.hidden -= 1

    def handle_endtag(self, tag) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.hidden = max(0, self.hidden - 1)
        elif not self.hidden and tag in ALLOWED_TAGS and tag not in VOID_TAGS:
            self.out.append(f"</{tag}>")

    def handle_data(self, data) -> None:
        if not self.hidden:
            self.out.append(html.escape(data, quote=False))


def sanitize(text: str) -> str:
    """Card HTML safe to show: formatting kept; scripts, styles, frames, handlers and unsafe links dropped."""
    parser = _Sanitizer()
    parser.feed(text)
    parser.close()
    return "".join(parser.out)


def source_line(title: str, page: int | None, start_s: float | None) -> str:
    """Where a card came from, as the student reads it."""
    if start_s is not None:
        return f"From {title} at {clock(start_s)}"
    if page:
        return f"From {title}, page {page}"
    return f"From {title}"


def card_view(ctx, card_id: int) -> CardView | None:
    """A card's preview, or None when it is gone."""
    card = decks.get_card(ctx, card_id)
    if card is None or card.deleted_at is not None:
        return None
    faces = review.faces(ctx, card)
    source = decks.card_source(ctx, card)
    where = source_line(source.title, card.source_page, card.source_start_s) if source is not None else ""
    return CardView(card, sanitize(faces.question), sanitize(faces.answer), faces.media_dir, where)
