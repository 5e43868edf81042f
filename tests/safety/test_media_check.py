"""The media report: files rows point to that are gone, files nothing points to; listed, never deleted."""

from __future__ import annotations

import shutil
from pathlib import Path

from support import ROOT

from lmgpa_desktop import paths
from lmgpa_desktop.core.safety.media_check import media_report
from lmgpa_desktop.storage import cards_repo, sources_repo, transcripts_repo


def _stored(home, name: str, data: bytes) -> str:
    folder = paths.media_dir(home) / name.split(".")[0]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return str(folder / name)


def test_missing_and_unused_media_are_listed_and_nothing_is_deleted(ctx, home):
    pdf = paths.media_dir(home) / "a1" / "handout.pdf"
    pdf.parent.mkdir(parents=True)
    shutil.copyfile(ROOT / "resources" / "samples" / "sample_handout.pdf", pdf)
    kept = sources_repo.create(ctx.db, kind="pdf", title="Handout", stored_path=str(pdf))
    gone = sources_repo.create(ctx.db, kind="audio", title="Lecture 3", stored_path=_stored(home, "lecture3.ogg", b"x"))
    (paths.media_dir(home) / "lecture3" / "lecture3.ogg").unlink()  # deleted behind the app's back
    photo_path = _stored(home, "board.jpg", b"jpeg")
    photo = transcripts_repo.add_photo(ctx.db, kept.id, None, None, photo_path)
    lost_photo = transcripts_repo.add_photo(ctx.db, kept.id, None, None, str(paths.media_dir(home) / "nowhere.jpg"))
    stray = paths.media_dir(home) / "b2" / "copy.part"  # an interrupted copy nothing points to
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"partial")

    deck_media = paths.media_dir(home) / "anki" / "deck1"
    deck_media.mkdir(parents=True)
    (deck_media / "heart.png").write_bytes(b"png")
    (deck_media / "_template_font.ttf").write_bytes(b"font")  # used by a template, in the deck's folder: in use
    deck = cards_repo.create_deck(ctx.db, "Anatomy", media_dir=str(deck_media))
    shown = cards_repo.create_card(ctx.db, deck.id, 'The heart <img src="heart.png">', "[sound:beat.mp3]")
    cards_repo.create_card(ctx.db, deck.id, '<img src="https://example.org/x.png"> web images are not deck media')

    report = media_report(ctx)

    assert sorted(report.missing) == sorted([
        ("source", gone.id, str(paths.media_dir(home) / "lecture3" / "lecture3.ogg")),
        ("photo", lost_photo, str(paths.media_dir(home) / "nowhere.jpg")),
        ("card", shown.id, str(deck_media / "beat.mp3")),
    ])
    assert report.orphans == [stray]
    assert report.files == 5 and not report.ok
    assert "3 file(s) the data points to are missing" in report.summary()
    assert "1 file(s) in the media folder are not used" in report.summary()
    for path in (pdf, photo_path, stray, deck_media / "heart.png", deck_media / "_template_font.ttf"):
        assert Path(path).is_file()  # listed only: nothing deleted
    assert photo not in [row_id for what, row_id, _ in report.missing if what == "photo"]


def test_an_empty_profile_reports_nothing(ctx):
    report = media_report(ctx)
    assert report.ok and report.missing == [] and report.orphans == [] and report.files == 0
    assert "All 0 media files" in report.summary()
