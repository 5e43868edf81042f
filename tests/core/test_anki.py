"""Anki interop on the real shared decks: every note arrives with its fields, tags and media (checked against
each deck's contents.json), re-import updates instead of duplicating, scheduling maps to FSRS, and an export
re-imports to the same notes and opens in Anki itself (Anki's own backend, the `anki` package)."""

from __future__ import annotations

import json
import os
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lmgpa_desktop.core.study.anki import exporting as anki_export
from lmgpa_desktop.core.study.anki import importing as anki_import
from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.core.job_progress import JobError
from lmgpa_desktop.storage import cards_repo
from lmgpa_desktop.storage import review_logs_repo

DECKS = ["ultimate-geography/UG_EN_textonly.apkg", "ultimate-geography/UG_EN_textonly.colpkg",
         "anki-pylib/update1.apkg", "anki-pylib/update2.apkg", "anki-pylib/media.apkg",
         "anki-pylib/diffmodels2-1.apkg", "anki-pylib/diffmodels2-2.apkg", "anki-pylib/diffmodeltemplates-1.apkg",
         "anki-pylib/diffmodeltemplates-2.apkg", "anki-pylib/anki2-alpha.anki2", "ankipandas/collection.anki2",
         "ankipandas/collection_v1.anki2"]


def _truth(path: Path) -> dict:
    return json.loads(path.with_name(path.name + ".contents.json").read_text())


def _notes(ctx) -> list[tuple]:
    """Every imported note as (note type, fields, tags), from its cards."""
    by_guid = {}
    for deck in cards_repo.decks(ctx.db):
        for card in cards_repo.cards_of_deck(ctx.db, deck.id):
            if card.anki_fields is None:
                continue
            by_guid[card.anki_guid] = (card.anki_model, tuple(v for _, v in card.anki_fields),
                                       tuple(sorted(card.tags.split())))
    return sorted(by_guid.values())


def _cards_per_deck(ctx) -> dict[str, int]:
    sizes = cards_repo.deck_sizes(ctx.db)
    return {d.name: sizes.get(d.id, 0) for d in cards_repo.decks(ctx.db) if sizes.get(d.id)}


@pytest.mark.parametrize("name", DECKS)
def test_every_note_arrives_with_fields_tags_and_media(ctx, shared, name):
    path = shared / "anki" / name
    truth = _truth(path)
    result = anki_import.import_file(ctx, path)
    assert (result.notes, result.cards, result.skipped) == (truth["note_count"], truth["card_count"], 0)
    assert result.cards_added == truth["card_count"]
    assert result.review_logs == truth["revlog_count"]
    expected = sorted((n["model"], tuple(n["fields"]), tuple(sorted(n["tags"]))) for n in truth["notes"])
    assert _notes(ctx) == expected
    assert _cards_per_deck(ctx) == truth["cards_per_deck"]
    media = [v for v in truth["media_map"].values() if isinstance(v, str)]
    assert result.media == len(media)
    for deck_name in truth["cards_per_deck"]:
        deck = cards_repo.deck_named(ctx.db, deck_name)
        assert deck.media_dir and Path(deck.media_dir).is_relative_to(ctx.home / "media" / "anki")
        for file_name in media:
            assert (Path(deck.media_dir) / file_name).is_file(), file_name
    # Every card shows something on its question side.
    for deck in cards_repo.decks(ctx.db):
        for card in cards_repo.cards_of_deck(ctx.db, deck.id):
            assert review.faces(ctx, card).question.strip()


def test_modern_package_renders_templates_and_keeps_order(ctx, shared):
    anki_import.import_file(ctx, shared / "anki" / "ultimate-geography" / "UG_EN_textonly.apkg")
    deck = cards_repo.deck_named(ctx.db, "Ultimate Geography [EN] (text-only)")
    cards = cards_repo.cards_of_deck(ctx.db, deck.id)
    england = [c for c in cards if c.anki_fields[0][1] == "England"]
    assert sorted(c.anki_ord for c in england) == [0, 1]
    country_to_capital = next(c for c in england if c.anki_ord == 0)
    assert "England" in country_to_capital.front and "London" not in country_to_capital.front
    assert "London" in country_to_capital.back and "England" not in country_to_capital.back  # after <hr id=answer>
    assert country_to_capital.tags == "UG::Europe" and country_to_capital.kind == "basic"
    capital_to_country = next(c for c in england if c.anki_ord == 1)
    assert "London" in capital_to_country.front and "Hint: Not a sovereign country" in capital_to_country.front
    assert "{{" not in capital_to_country.front + capital_to_country.back
    first = review.next_card(ctx, deck.id)
    assert first.anki_fields[0][1] == "England" and first.is_new  # the deck's own new-card order


def test_reimport_updates_instead_of_duplicating(ctx, shared):
    pylib = shared / "anki" / "anki-pylib"
    first = anki_import.import_file(ctx, pylib / "update1.apkg")
    card = cards_repo.cards_of_deck(ctx.db, first.deck_ids[0])[0]
    review.answer(ctx, card.id, 3)
    second = anki_import.import_file(ctx, pylib / "update2.apkg")
    assert (second.cards_added, second.cards_updated) == (0, 1)
    cards = cards_repo.cards_of_deck(ctx.db, first.deck_ids[0])
    assert len(cards) == 1 and cards[0].id == card.id
    assert cards[0].anki_fields == [["Front", "goodbye"], ["Back", "world"]] and cards[0].front == "goodbye"
    assert cards[0].state != 0  # the review done here is kept

    # A note type that gained a template: the same note gets its second card, the first stays the same row.
    one = anki_import.import_file(ctx, pylib / "diffmodels2-1.apkg")
    two = anki_import.import_file(ctx, pylib / "diffmodels2-2.apkg")
    assert (one.cards_added, two.cards_added, two.cards_updated) == (1, 1, 1)
    again = anki_import.import_file(ctx, shared / "anki" / "ultimate-geography" / "UG_EN_textonly.apkg")
    colpkg = anki_import.import_file(ctx, shared / "anki" / "ultimate-geography" / "UG_EN_textonly.colpkg")
    assert (again.cards_added, colpkg.cards_added, colpkg.cards_updated) == (438, 0, 438)


def test_sound_note_brings_its_file_and_plays_from_the_back(ctx, shared):
    path = shared / "anki" / "anki-pylib" / "media.apkg"
    anki_import.import_file(ctx, path)
    deck = cards_repo.deck_named(ctx.db, "Default")
    card = cards_repo.cards_of_deck(ctx.db, deck.id)[0]
    faces = review.faces(ctx, card)
    assert faces.question_sounds == ("foo.wav",) and 'href="sound:foo.wav"' in faces.question
    with zipfile.ZipFile(path) as z:
        assert (Path(faces.media_dir) / "foo.wav").read_bytes() == z.read("0")


def test_scheduling_and_review_history_map_to_fsrs(ctx, shared):
    path = shared / "anki" / "ankipandas" / "collection.anki2"
    anki_import.import_file(ctx, path)
    testing = cards_repo.deck_named(ctx.db, "Testing")
    cards = {c.front: c for c in cards_repo.cards_of_deck(ctx.db, testing.id)}
    basic = cards["Basic: Front"]
    # Anki: review card, interval 4 days, due on day 17 after the collection's creation (2019-04-18).
    assert basic.state == 2 and basic.stability == 4.0 and basic.difficulty == 5.0
    assert basic.due == datetime(2019, 5, 5, 2, 0, tzinfo=UTC)
    assert basic.last_review == datetime(2019, 5, 1, 10, 26, 8, 375000, tzinfo=UTC)  # its last revlog row
    assert cards["No tag front"].state == 0
    logs = review_logs_repo.review_logs(ctx.db)
    assert len(logs) == 6 and [log.rating for log in logs] == [2, 1, 3, 2, 3, 3]
    assert {log.card_id for log in logs} <= {c.id for c in cards.values()}
    # Overdue since 2019: due today, and FSRS carries on from the imported state.
    assert review.counts(ctx, testing.id).review == 3
    due = review.next_card(ctx, testing.id)
    result = review.answer(ctx, due.id, 3)
    assert result.state == 2 and result.stability > due.stability
    assert anki_import.import_file(ctx, path).review_logs == 0  # the same history is not added twice


def test_round_trip_gives_the_same_notes(tmp_path, shared, monkeypatch):
    source = shared / "anki" / "ultimate-geography" / "UG_EN_textonly.apkg"
    first = open_app(tmp_path / "one")
    try:
        imported = anki_import.import_file(first, source)
        extra = cards_repo.create_deck(first.db, "Mine")
        cards_repo.create_card(first.db, extra.id, "What is ATP?", "The cell's energy currency", tags="bio")
        exported = anki_export.export_deck(first, imported.deck_ids[0], tmp_path / "ug.apkg")
        mine = anki_export.export_deck(first, extra.id, tmp_path / "mine")
        assert (exported.notes, exported.cards) == (219, 438) and mine.path.endswith("mine.apkg")
        notes_before = _notes(first)
        guids = {c.anki_guid for c in cards_repo.cards_of_deck(first.db, imported.deck_ids[0])}
        again = anki_import.import_file(first, Path(exported.path))
        assert (again.cards_added, again.cards_updated) == (0, 438)
        assert anki_import.import_file(first, Path(mine.path)).cards_added == 0  # our own card comes back as itself
    finally:
        first.close()
    second = open_app(tmp_path / "two")
    try:
        back = anki_import.import_file(second, Path(exported.path))
        assert (back.notes, back.cards, back.cards_added) == (219, 438, 438)
        assert back.decks == ["Ultimate Geography [EN] (text-only)"]
        assert _notes(second) == notes_before
        assert {c.anki_guid for c in cards_repo.cards_of_deck(second.db, back.deck_ids[0])} == guids
        original = sorted((c.anki_guid, c.anki_ord, c.front, c.back) for c in
                          cards_repo.cards_of_deck(second.db, back.deck_ids[0]))
        assert all("{{" not in front for _, _, front, _ in original)
    finally:
        second.close()


def test_export_opens_in_anki_with_media_and_cloze(ctx, shared, tmp_path):
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    anki_import.import_file(ctx, shared / "anki" / "anki-pylib" / "media.apkg")
    anki_import.import_file(ctx, shared / "anki" / "ankipandas" / "collection.anki2")
    deck = cards_repo.deck_named(ctx.db, "Default")
    cards_repo.create_card(ctx.db, deck.id, "The {{c1::mitochondria}} is the {{c2::powerhouse}} of the cell",
                           "biology", kind="cloze", tags="bio")
    cards_repo.create_card(ctx.db, deck.id, "2 + 2", "4")
    out = anki_export.export_deck(ctx, deck.id, tmp_path / "default.apkg")
    assert (out.notes, out.media) == (3, 1)
    (tmp_path / "anki").mkdir()
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        col.import_anki_package(ImportAnkiPackageRequest(package_path=out.path, options=ImportAnkiPackageOptions()))
        assert col.note_count() == 3 and col.card_count() == 4  # the cloze note makes two cards
        assert os.listdir(col.media.dir()) == ["foo.wav"]
        fields = sorted(tuple(col.get_note(nid).fields) for nid in col.find_notes(""))
        assert fields == sorted([("[sound:foo.wav]", ""), ("2 + 2", "4"),
                                 ("The {{c1::mitochondria}} is the {{c2::powerhouse}} of the cell", "biology")])
        cloze = col.get_note(col.find_notes("mitochondria")[0])
        assert cloze.note_type()["type"] == 1 and cloze.tags == ["bio"]
    finally:
        col.close()

    # A reversed note type keeps both cards in Anki (its templates were kept beside the media).
    german = cards_repo.deck_named(ctx.db, "EnglishGerman")
    out = anki_export.export_deck(ctx, german.id, tmp_path / "german.apkg")
    (tmp_path / "anki2").mkdir()
    col = Collection(str(tmp_path / "anki2" / "collection.anki2"))
    try:
        col.import_anki_package(ImportAnkiPackageRequest(package_path=out.path, options=ImportAnkiPackageOptions()))
        assert (col.note_count(), col.card_count()) == (4, 8)
        card = col.get_card(col.find_cards("Baum card:2")[0])
        assert "Baum" in card.question() and "Tree" in card.answer()
    finally:
        col.close()


def test_files_that_are_not_anki_get_a_clear_message(ctx, tmp_path):
    text_file = tmp_path / "notes.apkg"
    text_file.write_text("hello")
    with pytest.raises(JobError, match="not an Anki package"):
        anki_import.import_file(ctx, text_file)
    empty_zip = tmp_path / "empty.apkg"
    with zipfile.ZipFile(empty_zip, "w") as z:
        z.writestr("readme.txt", "nothing here")
    with pytest.raises(JobError, match="no Anki collection"):
        anki_import.import_file(ctx, empty_zip)
    csv = tmp_path / "deck.csv"
    csv.write_text("front,back")
    with pytest.raises(ValueError, match="not an Anki file"):
        anki_import.check_importable(csv)
    assert cards_repo.decks(ctx.db) == []


def test_import_and_export_run_as_jobs(ctx, shared, tmp_path):
    job_id = ctx.jobs.submit("deck.import", {"path": str(shared / "anki" / "anki-pylib" / "media.apkg")})
    done = ctx.jobs.run_now(job_id)
    assert done.state == "done" and done.result["notes"] == 1 and done.result["media"] == 1
    job_id = ctx.jobs.submit("deck.export", {"deck_id": done.result["deck_ids"][0],
                                             "path": str(tmp_path / "out.apkg")})
    done = ctx.jobs.run_now(job_id)
    assert done.state == "done" and Path(done.result["path"]).is_file()
    bad = ctx.jobs.run_now(ctx.jobs.submit("deck.import", {"path": str(tmp_path / "missing.apkg")}))
    assert bad.state == "failed" and "does not exist" in bad.error
    assert Counter(j.state for j in ctx.jobs.recent()) == {"done": 2, "failed": 1}


def _cli(home: Path, *argv: str) -> int:
    """Run a deck command the way `lmgpa` does (the module is registered beside the others)."""
    import argparse

    from lmgpa_desktop.cli import commands_decks, run_handler

    parser = argparse.ArgumentParser(prog="lmgpa")
    parser.add_argument("--home")
    commands_decks.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["--home", str(home), *argv])
    return run_handler(args.handler, args)


def test_cli_imports_lists_exports_and_shows_due(home, shared, tmp_path, capsys):
    deck_file = shared / "anki" / "ankipandas" / "collection.anki2"
    assert _cli(home, "deck", "import", str(deck_file)) == 0
    assert "7 notes, 12 cards (12 new, 0 updated), 0 media files, 6 reviews" in capsys.readouterr().out
    assert _cli(home, "due", "--json") == 0
    due = json.loads(capsys.readouterr().out)
    assert {d["name"]: (d["review"], d["new"]) for d in due["decks"]} == {"EnglishGerman": (0, 8),
                                                                        "Testing": (3, 1)}
    assert due["total"] == {"learning": 0, "review": 3, "new": 9, "due": 12}
    assert _cli(home, "deck", "list", "--json") == 0
    listed = {d["name"]: d for d in json.loads(capsys.readouterr().out)}
    assert listed["EnglishGerman"]["cards"] == 8
    assert _cli(home, "deck", "export", "englishgerman", "-o", str(tmp_path / "eg.apkg")) == 0
    assert "4 notes, 8 cards" in capsys.readouterr().out and (tmp_path / "eg.apkg").is_file()
    assert _cli(home, "deck", "export", str(listed["Testing"]["id"]), "-o", str(tmp_path / "t.apkg")) == 0
    capsys.readouterr()
    assert _cli(home, "deck", "export", "Nope", "-o", str(tmp_path / "x.apkg")) == 1
    assert "there is no deck 'Nope'" in capsys.readouterr().err
    assert _cli(home, "deck", "import", str(tmp_path / "missing.apkg")) == 1
    assert "does not exist" in capsys.readouterr().err
    assert _cli(home, "due") == 0
    assert "total: 0 learning, 3 review, 9 new (12 cards today)" in capsys.readouterr().out
