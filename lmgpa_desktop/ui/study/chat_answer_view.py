"""The conversation as the student reads it: questions, checked answers whose citations are links, and while an
answer is being written, only its checked sentences with a muted line saying what is happening."""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QFont, QPalette, QTextBlockFormat, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextBrowser

from lmgpa_desktop.core.study.chat import conversations

WELCOME = ("Ask anything about your library. Answers come only from your own material and cite the passages "
           "they rest on: click a number like [1] to open the source at that page or second. Each sentence is "
           "checked against those passages before it appears, and one they do not support is left out. "
           "When nothing in your library covers a question, the answer says so.")
ANSWER_LABEL = "Answer:"
MIN_CONTRAST = 4.5  # WCAG AA for body text: what a link and the muted progress line must reach on the background
MUTED_SHARE = 0.62  # how far the progress line's color goes from the background toward the text color
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")
_CITE = re.compile(r"\[(\d+)\]")


def escape(text: str) -> str:
    """Text shown as written, not read as Markdown."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def answer_markdown(m: conversations.Message) -> str:
    """A stored answer as Markdown: its [n] marks and its source list link to the citations (cite:message:n)."""
    numbers = {c.number for c in m.citations}

    def link(match: re.Match) -> str:
        n = int(match.group(1))
        return f"[\\[{n}\\]](cite:{m.id}:{n})" if n in numbers else match.group(0)

    text = _CITE.sub(link, m.content.replace("<", "&lt;"))
    if not m.grounded:
        text = f"*{text}*"
    lines = [f"**{ANSWER_LABEL}** {text}"]
    if m.citations:
        lines.append("")
        lines.append("Sources:")
        lines.append("")
        for c in m.citations:
            where = f", {c.location}" if c.location else ""
            lines.append(f"- [\\[{c.number}\\] {escape(c.source_title)}{escape(where)}](cite:{m.id}:{c.number})"
                         f" — “{escape(c.snippet)}”")
    return "\n".join(lines)


def _luminance(color: QColor) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two colors (1 to 21)."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def link_color(palette: QPalette) -> QColor:
    """A link color readable on the palette's background: its Link color, else its accent, else its text color."""
    # Qt's default Link is a dark blue whatever the theme, unreadable on a dark background.
    base = palette.color(QPalette.ColorRole.Base)
    for role in (QPalette.ColorRole.Link, QPalette.ColorRole.Highlight):
        if contrast(palette.color(role), base) >= MIN_CONTRAST:
            return palette.color(role)
    return palette.color(QPalette.ColorRole.Text)


def muted_color(palette: QPalette) -> QColor:
    """The theme's placeholder color, else its text color moved toward the background: secondary, still readable."""
    text, base = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base)
    placeholder = palette.color(QPalette.ColorRole.PlaceholderText)
    if placeholder != text and contrast(placeholder, base) >= MIN_CONTRAST:
        return placeholder
    channels = zip((text.redF(), text.greenF(), text.blueF()), (base.redF(), base.greenF(), base.blueF()))
    mixed = QColor.fromRgbF(*(b + (t - b) * MUTED_SHARE for t, b in channels))
    return mixed if contrast(mixed, base) >= MIN_CONTRAST else text


class ChatView(QTextBrowser):
    """The conversation; an answer being written shows only checked sentences, never a draft to take back."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setOpenLinks(False)
        self._writing_at: int | None = None  # where the answer being written starts in the document
        self.checked = ""  # the checked sentences of the answer being written, as shown
        self.progress = ""  # what is happening, shown muted under them

    @property
    def writing(self) -> bool:
        """Whether an answer is being written below the conversation."""
        return self._writing_at is not None

    def show_conversation(self, messages: list[conversations.Message], writing: bool = False) -> None:
        """The stored messages (the welcome when there are none); `writing`: an answer to them is on its way."""
        self._writing_at = None
        if not messages and not writing:
            self.setMarkdown(escape(WELCOME))
            return
        parts = [f"**You:** {escape(m.content)}" if m.role == "user" else answer_markdown(m) for m in messages]
        self.setMarkdown("\n\n---\n\n".join(parts) + ("\n\n---\n\n" if writing else ""))
        self._color_links()
        self._writing_at = self.document().characterCount() - 1 if writing else None
        self.checked = self.progress = ""
        if writing:
            self._draw_writing()
        self._to_bottom()

    def show_writing(self, checked: str, progress: str) -> None:
        """The answer being written: its checked sentences so far, plain as they will stay, and what is happening."""
        self.checked, self.progress = checked, progress
        if self.writing:
            self._draw_writing()
            self._to_bottom()

    def _draw_writing(self) -> None:
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()  # one change for the view (and a screen reader), not one per piece
        cursor.setPosition(self._writing_at)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        plain = QTextCharFormat()
        plain.setFontWeight(QFont.Weight.Normal)  # never inherited from a bold label before it
        if self.checked:
            label = QTextCharFormat(plain)
            label.setFontWeight(QFont.Weight.Bold)
            cursor.insertBlock(QTextBlockFormat(), plain)
            cursor.insertText(ANSWER_LABEL, label)
            cursor.insertText(" " + self.checked, plain)
        if self.progress:
            muted = QTextCharFormat(plain)
            muted.setFontItalic(True)
            muted.setForeground(muted_color(self.palette()))
            cursor.insertBlock(QTextBlockFormat(), plain)
            cursor.insertText(self.progress, muted)
        cursor.endEditBlock()

    def _color_links(self) -> None:
        """Citation links in a color readable on this theme's background (Markdown import uses Qt's dark blue)."""
        color = link_color(self.palette())
        spans = []  # collected first: changing a format while walking the fragments would split them under us
        block = self.document().begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                if fragment.charFormat().isAnchor() and fragment.charFormat().foreground().color() != color:
                    spans.append((fragment.position(), fragment.position() + fragment.length()))
                it += 1
            block = block.next()
        recolor = QTextCharFormat()
        recolor.setForeground(color)
        cursor = QTextCursor(self.document())
        for start, end in spans:
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(recolor)

    def _to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def changeEvent(self, event) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):  # the theme was switched
            self._color_links()
            if self.writing:
                self._draw_writing()
        super().changeEvent(event)
