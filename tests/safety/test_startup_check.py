"""The start-up check: quick_check before migrating, a damaged file refused and left as it was, `lmgpa check`."""

from __future__ import annotations

import json

import pytest
from damage import add_cards, overwrite_pages, sha256

from lmgpa_desktop import paths
from lmgpa_desktop.cli import main
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.core.safety import integrity


@pytest.fixture
def closed_profile(ctx, home):
    """A profile with 3,000 cards in two decks, closed (its WAL folded into the file)."""
    add_cards(ctx, 2000)
    add_cards(ctx, 1000, deck="History", start=2000)
    ctx.close()
    return home


def _cli(capsys, *args) -> tuple[int, str, str]:
    """Run the CLI in this process (as `lmgpa ARGS`): exit status, standard output and error."""
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_quick_check_passes_a_sound_profile_and_finds_garbage_pages(closed_profile):
    db_path = paths.database_path(closed_profile)
    sound = integrity.quick_check(db_path)
    assert sound.ok and sound.problems == [] and sound.seconds >= 0
    assert integrity.full_check(db_path).ok
    assert overwrite_pages(db_path) > 10
    before = sha256(db_path)
    quick, full = integrity.quick_check(db_path), integrity.full_check(db_path)
    assert not quick.ok and quick.problems
    assert not full.ok and full.problems
    assert sha256(db_path) == before  # checking never writes to the file


def test_a_damaged_profile_is_refused_before_migrating_and_left_untouched(closed_profile):
    db_path = paths.database_path(closed_profile)
    overwrite_pages(db_path)
    before = sha256(db_path)
    names = sorted(p.name for p in closed_profile.iterdir())
    with pytest.raises(integrity.DamagedProfile) as caught:
        open_app(closed_profile)
    damaged = caught.value
    assert damaged.db_path == db_path and damaged.home == closed_profile and damaged.problems
    assert damaged.newest_backup is None  # this profile has never been backed up
    text = str(damaged)
    assert "damaged" in text and "Nothing has been changed or deleted" in text and "lmgpa backup list" in text
    assert sha256(db_path) == before
    assert set(names) <= {p.name for p in closed_profile.iterdir()}  # nothing deleted or moved
    assert not (closed_profile / "damaged").exists()  # kept in place until the student chooses a restore


def test_an_overwritten_header_is_damage_too(closed_profile):
    db_path = paths.database_path(closed_profile)
    with open(db_path, "r+b") as f:
        f.write(b"\0" * 100)  # the "SQLite format 3" header gone
    result = integrity.quick_check(db_path)
    assert not result.ok and "not a database" in result.problems[0]


def test_a_new_profile_has_nothing_to_check(home):
    ctx = open_app(home)  # no file yet: created and migrated as before
    try:
        assert integrity.quick_check(ctx.db.path).ok
    finally:
        ctx.close()


def test_lmgpa_check_reports_a_sound_profile_and_a_damaged_one(closed_profile, capsys):
    code, out, err = _cli(capsys, "check", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["database"]["ok"] is True and report["media"]["missing"] == []
    overwrite_pages(paths.database_path(closed_profile))
    before = sha256(paths.database_path(closed_profile))
    code, out, err = _cli(capsys, "check")
    assert code == 1
    assert "is damaged" in out and "lmgpa backup list" in out and "Traceback" not in err
    code, out, _err = _cli(capsys, "check", "--json")
    report = json.loads(out)
    assert code == 1 and report["database"]["ok"] is False and report["database"]["problems"]
    code, _out, err = _cli(capsys, "sources")  # any other command refuses the damaged profile the same way
    assert code == 1 and "is damaged" in err and "lmgpa check" in err
    assert sha256(paths.database_path(closed_profile)) == before
