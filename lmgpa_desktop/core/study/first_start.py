"""First start: whether a profile is new (no sources, no decks), the welcome once per profile, the bundled samples."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop import paths
from lmgpa_desktop.core.library import library
from lmgpa_desktop.core.study import decks

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

WELCOME_SHOWN = "ui.welcome_shown"
# The bundled material a new student can try, with the titles it gets in the library (resources/samples/README.md).
SAMPLES = (
    ("sample_lecture.ogg", "Sample lecture: photosynthesis (biology)"),
    ("sample_handout.pdf", "Sample handout: cellular respiration (biology)"),
)


def sample_files() -> list[tuple[Path, str]]:
    """The sample files that are installed, each with its library title (a build may leave the PDF out)."""
    found = [(paths.resource("samples", name), title) for name, title in SAMPLES]
    return [(path, title) for path, title in found if path.is_file()]


def is_new_profile(ctx: AppContext) -> bool:
    """Nothing of the student's yet: no sources outside the trash and no decks."""
    return not library.sources(ctx) and not decks.decks(ctx)


def claim_welcome(ctx: AppContext) -> bool:
    """True once per profile, when it is new; remembers that it was asked, so a later start does not offer it."""
    if ctx.settings.get(WELCOME_SHOWN):
        return False
    new = is_new_profile(ctx)
    ctx.settings.set(WELCOME_SHOWN, True)  # also for a profile with material: the welcome is for empty profiles
    return new


def queue_samples(ctx: AppContext) -> list[int]:
    """Queue the import of every sample (the lecture is then transcribed as a job); returns the job ids."""
    return [library.queue_import(ctx, path, title=title) for path, title in sample_files()]
