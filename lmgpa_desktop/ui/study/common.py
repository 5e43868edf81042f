"""Small pieces shared by the Study page's tabs: a background runner for short work, labels, links."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from lmgpa_desktop.core.study.items import source_locations
from lmgpa_desktop.core.library import library

EMPTY_LIBRARY = ("Your library is empty. Import a lecture or PDF in Library first (or record one on the Record "
                 "page), then come back here to turn it into notes, flashcards and practice tests.")


def empty_text(ctx, text: str) -> str:
    """An empty state's advice, starting from the library when it is empty too."""
    if library.items(ctx):
        return text
    return "Your library is empty: import a lecture or PDF in Library first. Then: " + text[:1].lower() + text[1:]


def message_label(text: str = "") -> QLabel:
    """A wrapping, selectable label for what happened or what to do next."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def section_title(text: str) -> QLabel:
    """A heading inside a tab."""
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    return label


def location(ctx, source_id, page_no, start_s, end_s=None) -> str:
    """"“Title”, page 3" or "“Title”, 1:05–1:12" (empty when the item has no source)."""
    return source_locations.describe_location(ctx, source_id, page_no, start_s, end_s)


def source_link(source_id, page_no, start_s) -> str:
    """The lmgpa:// address of a source location, as notes use it."""
    return source_locations.link(source_id, page_no, start_s)


def parse_link(url: str):
    """(source id, page, second) of an lmgpa:// address, or None."""
    return source_locations.parse_link(url)


def names_by_uuid(url: str) -> bool:
    """Whether an lmgpa:// address names its source by sync uuid (resolve it with resolve_link, off the UI thread)."""
    return source_locations.names_by_uuid(url)


def resolve_link(ctx, url: str):
    """(this computer's source id, page, second) of an address naming its source by uuid; SourceNotHere if absent."""
    return source_locations.resolve_link(ctx, url)


def percent(score: float | None, max_score: float | None) -> str:
    """"3 / 4 (75%)" for a score."""
    if score is None or not max_score:
        return ""
    return f"{score:g} / {max_score:g} ({100.0 * score / max_score:.0f}%)"
