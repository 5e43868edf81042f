"""Pages of documents and images (text layer or OCR, with word boxes)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import DocumentPage, Source
from lmgpa_desktop.storage.sources_repo import SourceRecord, to_record


@dataclass(frozen=True)
class PageRow:
    """One page as plain data."""

    page_no: int
    text: str
    method: str
    ocr_confidence: float | None
    width: float | None
    height: float | None
    words: list | None


def create_with_pages(db: Database, source_fields: dict, pages: list[PageRow]) -> SourceRecord:
    """A new source and all its pages in one transaction (nothing is left behind if it fails)."""
    with db.write() as s:
        source = Source(**source_fields)
        s.add(source)
        s.flush()
        s.add_all(DocumentPage(source_id=source.id, page_no=p.page_no, text=p.text, method=p.method,
                               ocr_confidence=p.ocr_confidence, width=p.width, height=p.height, words=p.words)
                  for p in pages)
        s.flush()
        return to_record(source)


def pages(db: Database, source_id: int) -> list[PageRow]:
    """A source's pages in order."""
    with db.read() as s:
        rows = s.scalars(select(DocumentPage).where(DocumentPage.source_id == source_id)
                         .order_by(DocumentPage.page_no))
        return [PageRow(p.page_no, p.text, p.method, p.ocr_confidence, p.width, p.height, p.words) for p in rows]
