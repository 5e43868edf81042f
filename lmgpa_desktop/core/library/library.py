"""The library: import any file (documents through extraction, audio through transcription), organise,
trash and restore; every change keeps the search index in step."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop import paths
from lmgpa_desktop.core import activity
from lmgpa_desktop.core.capture import document_text
from lmgpa_desktop.core.library.indexing import queue_index
from lmgpa_desktop.core.jobs import JobRun, job_kind
from lmgpa_desktop.core.capture.media_import import MEDIA_SUFFIXES, copy_into_profile, sha256_of
from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.core import disk_space
from lmgpa_desktop.storage import documents_repo, library_repo, search_repo, sources_repo
from lmgpa_desktop.storage.base import utcnow
from lmgpa_desktop.storage.documents_repo import PageRow
from lmgpa_desktop.storage.sources_repo import SourceRecord

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

SUPPORTED = MEDIA_SUFFIXES | document_text.DOCUMENT_SUFFIXES


@dataclass(frozen=True)
class LibraryItem:
    """A source with its tags and class, for lists."""

    source: SourceRecord
    tags: list[str]
    course: str | None


def check_supported(path: Path) -> None:
    """Raise ValueError for a file the library cannot take."""
    if not path.is_file():
        raise ValueError(f"{path} does not exist or is not a file")
    if path.suffix.lower() not in SUPPORTED:
        raise ValueError(f"{path.name}: this type of file is not supported "
                         f"(supported: {', '.join(sorted(s.lstrip('.') for s in SUPPORTED))})")


def queue_import(ctx: AppContext, path: Path, course_id: int | None = None, title: str | None = None) -> int:
    """Queue the right import job for a file (titled after the file unless a title is given); returns the job id."""
    path = Path(path).expanduser()
    check_supported(path)
    kind = "import.media" if path.suffix.lower() in MEDIA_SUFFIXES else "import.document"
    return ctx.jobs.submit(kind, {"path": str(path.resolve()), "course_id": course_id, "title": title},
                           title=f"Importing {title or path.name}")


@job_kind("import.document")
def import_document_job(run: JobRun, payload: dict):
    """Extract a document's pages (OCR where needed); only a complete extraction joins the library."""
    services = run.services
    path = Path(payload["path"])
    try:
        check_supported(path)
        sha = sha256_of(path)
        existing = sources_repo.find_by_sha256(services.db, sha)
        if existing is not None:
            yield Progress(1, 1, f"already in your library as {existing.title!r}")
            return {"source_id": existing.id, "duplicate": True}
        # Its copy and about as much again for its text and search rows, checked before minutes of OCR.
        disk_space.ensure_free(paths.media_dir(services.home), 2 * path.stat().st_size, f"import {path.name}")
        total = document_text.page_count(path)
        language = services.settings.get("ocr.language") or "eng"
        pages: list[PageRow] = []
        yield Progress(0, total, f"reading {path.name}")
        for page in document_text.extract(path, ocr_language=language):
            pages.append(PageRow(page.page_no, page.text, page.method, page.confidence, page.width, page.height,
                                 page.words))
            how = "OCR" if page.method == "ocr" else "text"
            yield Progress(len(pages), max(total, len(pages)), f"page {page.page_no} of {total} ({how})")
        stored = copy_into_profile(services, path)
    except (document_text.ExtractError, ValueError, OSError) as exc:
        raise JobError(str(exc)) from exc
    try:
        source = documents_repo.create_with_pages(services.db, dict(
            kind=document_text.kind_of(path), title=payload.get("title") or path.stem,
            course_id=payload.get("course_id"),
            original_path=str(path), stored_path=str(stored), sha256=sha, size_bytes=path.stat().st_size,
            status="ready", page_count=len(pages)), pages)
    except Exception:
        shutil.rmtree(stored.parent, ignore_errors=True)  # keep the profile as it was
        raise
    queue_index(services, source.id, source.title)
    ocr_pages = sum(p.method == "ocr" for p in pages)
    yield Progress(len(pages), len(pages), f"added {len(pages)} pages" + (f", {ocr_pages} by OCR" if ocr_pages else ""))
    activity.record(run.services, "import", course_id=source.course_id, ref_id=source.id)
    return {"source_id": source.id, "duplicate": False, "pages": len(pages), "ocr_pages": ocr_pages}


def items(ctx: AppContext, trashed: bool = False, kinds: tuple[str, ...] | None = None, course_id: int | None = None,
          tag: str | None = None) -> list[LibraryItem]:
    """Sources with tags and class, filtered."""
    tags = library_repo.tags_by_source(ctx.db)
    courses = {c.id: c.name for c in library_repo.courses(ctx.db)}
    out = []
    for src in sources_repo.listing(ctx.db, kinds=kinds, trashed=trashed):
        if course_id is not None and src.course_id != course_id:
            continue
        if tag and tag not in tags.get(src.id, []):
            continue
        out.append(LibraryItem(src, tags.get(src.id, []), courses.get(src.course_id)))
    return out


def rename(ctx: AppContext, source_id: int, title: str) -> None:
    """Give a source a new title."""
    if not title.strip():
        raise ValueError("a title cannot be empty")
    sources_repo.update(ctx.db, source_id, title=title.strip())


def assign_course(ctx: AppContext, source_id: int, course_name: str | None) -> None:
    """Put a source in a class (created when new), or in none."""
    course = library_repo.course_named(ctx.db, course_name) if course_name and course_name.strip() else None
    sources_repo.update(ctx.db, source_id, course_id=course.id if course else None)
    search_repo.sync_source_scope(ctx.db, source_id)


def set_tags(ctx: AppContext, source_id: int, tags: list[str]) -> None:
    """Replace a source's tags."""
    library_repo.set_tags(ctx.db, source_id, tags)


def trash(ctx: AppContext, source_id: int) -> None:
    """Move to the trash: out of lists and search, restorable."""
    sources_repo.update(ctx.db, source_id, deleted_at=utcnow())
    search_repo.sync_source_scope(ctx.db, source_id)


def restore(ctx: AppContext, source_id: int) -> None:
    """Bring a source back from the trash."""
    sources_repo.update(ctx.db, source_id, deleted_at=None)
    search_repo.sync_source_scope(ctx.db, source_id)


def empty_trash(ctx: AppContext) -> int:
    """Delete trashed sources, their passages and their files for good; returns how many."""
    count, files = library_repo.purge_trashed(ctx.db)
    media = paths.media_dir(ctx.home).resolve()
    for stored in files:
        folder = Path(stored).resolve().parent
        # Only a source's own folder inside this profile's media folder: a row from an imported or crafted
        # database may point anywhere, and a student's own folder must never be removed.
        if folder != media and folder.is_relative_to(media) and folder.parent in (media, media / "recordings"):
            shutil.rmtree(folder, ignore_errors=True)
    return count


def get(ctx: AppContext, source_id: int) -> SourceRecord | None:
    """One source."""
    return sources_repo.get(ctx.db, source_id)


def sources(ctx: AppContext, kinds: tuple[str, ...] | None = None) -> list[SourceRecord]:
    """Sources of these kinds (all when None) outside the trash, newest first, without tags or class."""
    return sources_repo.listing(ctx.db, kinds=kinds)


def items_by_id(ctx: AppContext, source_id: int) -> LibraryItem:
    """One source with its tags and class."""
    src = sources_repo.get(ctx.db, source_id)
    courses = {c.id: c.name for c in library_repo.courses(ctx.db)}
    return LibraryItem(src, library_repo.tags_by_source(ctx.db).get(source_id, []), courses.get(src.course_id))


def pages(ctx: AppContext, source_id: int) -> list[PageRow]:
    """A document's pages (text and OCR word boxes)."""
    return documents_repo.pages(ctx.db, source_id)


def courses(ctx: AppContext):
    """Every class."""
    return library_repo.courses(ctx.db)


def tags(ctx: AppContext) -> list[str]:
    """Tags in use."""
    return library_repo.all_tags(ctx.db)


def page_image(ctx: AppContext, source_id: int, page_no: int, dpi: int = 110):
    """The picture of a page (PDF page rendered, or the photo itself) as a Pillow image; None for text files."""
    src = sources_repo.get(ctx.db, source_id)
    if src is None or not src.stored_path or not Path(src.stored_path).is_file():
        return None
    if src.kind == "pdf":
        from lmgpa_desktop.engines import pdf

        with pdf.PdfDocument(Path(src.stored_path)) as doc:
            return doc.render(page_no - 1, dpi) if 1 <= page_no <= len(doc) else None
    if src.kind == "image":
        from PIL import Image

        image = Image.open(src.stored_path)
        image.load()
        return image
    return None


def ocr_languages() -> list[str]:
    """Tesseract languages installed on this computer (for the Settings menu); raises OcrError without tesseract."""
    from lmgpa_desktop.engines.ocr import available_languages

    return [code for code in available_languages() if code != "osd"]
