"""Inputs the fuzzers broke the importers with, replayed: each now imports or stops with one clear error, inside its
time and memory limits, writing nothing outside the profile (regressions/<target>/<what it does>.<suffix>)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuzz_harness import Worker, run_with_timeout

REGRESSIONS = Path(__file__).resolve().parent / "regressions"
CASES = sorted(REGRESSIONS.glob("*/*"))


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.close()


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_replayed(worker, path):
    outcome = run_with_timeout(worker, path.parent.name, path.read_bytes(), path.suffix)
    assert not outcome.failed, f"{path.name}: {outcome.status}\n{outcome.detail}"


def test_modern_package_media_arrive_and_stay_in_the_deck_folder(ctx):
    """A modern package's media list (protobuf, no legacy zip names) is read: it raised "does not have presence"."""
    from lmgpa_desktop.core.study.anki import importing
    from lmgpa_desktop.storage import cards_repo

    result = importing.import_file(ctx, REGRESSIONS / "anki" / "modern-media-map-no-presence.apkg")
    assert result.media > 0
    folder = Path(cards_repo.get_deck(ctx.db, result.deck_ids[0]).media_dir)
    written = sorted(p.name for p in folder.iterdir())
    assert {"x", "abs", "notetypes.json"} <= set(written)
    assert all(p.resolve().parent == folder.resolve() for p in folder.iterdir())


def test_media_named_like_our_note_types_does_not_replace_them(ctx):
    """A media file called notetypes.json (or with a NUL) is skipped; importing again still reads our note types."""
    from lmgpa_desktop.core.study.anki import importing

    package = REGRESSIONS / "anki" / "media-map-escaping-names-nul-notetypes-json.apkg"
    first = importing.import_file(ctx, package)
    again = importing.import_file(ctx, package)
    assert first.cards == again.cards > 0
    assert again.cards_updated == again.cards


def test_markdown_comments_removed_as_before():
    from lmgpa_desktop.core.capture.document_text import _without_comments

    assert _without_comments("a<!-- x -->b<!-- y\n -->c<!-- open") == "abc<!-- open"
