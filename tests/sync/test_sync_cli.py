"""`lmgpa sync setup|status|conflicts|resolve|delete-server-data`, `lmgpa sync`, `lmgpa cards` and `lmgpa review rate`
on two profiles of one student against the real server (SQLite), run in this process."""

from __future__ import annotations

import io
import json
from contextlib import contextmanager

import pytest
from sync_world import PASSPHRASE, live_sync_server
from online_support import email
from server_fixtures import PASSWORD

from lmgpa_desktop.cli import main
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.storage import cards_repo, study_repo


@pytest.fixture
def server(tmp_path):
    srv = live_sync_server(f"sqlite:///{tmp_path / 'server.sqlite3'}", tmp_path / "server-blobs")
    srv.start()
    yield srv
    srv.stop()


def lmgpa(capsys, monkeypatch, home, *args, stdin: str | None = None) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of one CLI run; stdin given as lines that are not a terminal."""
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin if stdin is not None else ""))
    code = main(["--home", str(home), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@contextmanager
def profile(home):
    ctx = open_app(home)
    try:
        yield ctx
    finally:
        ctx.close()


def test_two_devices_set_up_review_conflict_and_delete_through_the_cli(server, tmp_path, dict_keyring, capsys,
                                                                       monkeypatch):
    laptop, desktop = tmp_path / "laptop", tmp_path / "desktop"
    address = email("student")
    run = lambda home, *a, stdin=None: lmgpa(capsys, monkeypatch, home, *a, stdin=stdin)  # noqa: E731
    assert run(laptop, "account", "signup", "--server", server.url, "--email", address, "--name", "Sam",
               "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    assert run(desktop, "account", "signin", "--server", server.url, "--email", address, "--password-stdin",
               stdin=PASSWORD + "\n")[0] == 0

    code, out, _ = run(laptop, "sync", "status", "--json")
    status = json.loads(out)
    assert code == 0 and status["enabled"] is False and status["message"] == "sync is not set up on this device"
    with profile(laptop) as ctx:
        deck = cards_repo.create_deck(ctx.db, "Biology")
        for i in range(2):
            cards_repo.create_card(ctx.db, deck.id, f"What is organelle {i}?", f"answer {i}")
        note = study_repo.create_note(ctx.db, "Cell", "The cell is the unit of life.")

    code, out, _ = run(laptop, "sync", "setup", "--json", stdin=PASSPHRASE + "\n")
    made = json.loads(out)
    assert code == 0 and made["created"] is True and made["recovery_key"] and made["sync"]["status"] == "ok"
    assert made["merged"] >= 4 and made["sync"]["pushed"] == made["merged"]

    code, _, err = run(desktop, "sync", "setup", stdin="not the passphrase at all\n")
    assert code == 1 and "not your sync passphrase" in err
    code, out, _ = run(desktop, "sync", "setup", stdin=PASSPHRASE + "\n")
    assert code == 0 and "this device joined" in out and "synced: received" in out

    code, out, _ = run(desktop, "cards", "--json")
    there = json.loads(out)
    code, out, _ = run(laptop, "cards", "--deck", "Biology", "--json")
    here = json.loads(out)
    assert [c["uuid"] for c in there] == [c["uuid"] for c in here] and len(here) == 2
    assert {"id", "uuid", "front", "back", "due", "state"} <= set(here[0])

    code, out, _ = run(laptop, "review", "rate", str(here[0]["id"]), "good", "--json")
    rated = json.loads(out)
    assert code == 0 and rated["rating"] == 3
    code, out, _ = run(laptop, "sync", "--json")
    result = json.loads(out)
    assert code == 0 and result["personal"]["status"] == "ok" and result["personal"]["pushed"] >= 2
    code, out, _ = run(desktop, "sync")
    assert code == 0 and "personal study data: synced: received" in out
    code, out, _ = run(desktop, "cards", "--deck", "Biology", "--json")
    first = next(c for c in json.loads(out) if c["uuid"] == here[0]["uuid"])
    assert first["due"] == rated["due"] and first["state"] == rated["state"]

    # The same note edited on both devices before either synced: the later edit wins, the other is kept.
    with profile(laptop) as ctx:
        study_repo.update_note(ctx.db, note.id, body_md="Edited on the laptop.")
    with profile(desktop) as ctx:
        there_note = next(n for n in study_repo.notes(ctx.db) if n.title == "Cell")
        study_repo.update_note(ctx.db, there_note.id, body_md="Edited on the desktop.")
    for home in (laptop, desktop, laptop):
        assert run(home, "sync")[0] == 0
    code, out, _ = run(desktop, "sync", "conflicts", "--json")
    listed = json.loads(out)
    assert code == 0 and len(listed) == 1
    conflict = listed[0]
    assert {conflict["kept_value"], conflict["lost_value"]} == {"Edited on the laptop.", "Edited on the desktop."}
    code, out, _ = run(desktop, "sync", "resolve", str(conflict["id"]), "both")
    assert code == 0 and "resolved" in out
    for home in (desktop, laptop):
        assert run(home, "sync")[0] == 0
    merged = f"{conflict['kept_value']}\n\n{conflict['lost_value']}"
    for home in (laptop, desktop):
        with profile(home) as ctx:
            assert next(n for n in study_repo.notes(ctx.db) if n.title == "Cell").body_md == merged
    code, out, _ = run(laptop, "sync", "status")
    assert code == 0 and "Personal sync is on for" in out and "waiting to send: 0 change(s)" in out
    assert "conflicts to look at: 0" in out

    code, out, _ = run(laptop, "sync", "delete-server-data", "--yes", "--json")
    assert code == 0 and json.loads(out)["messages"] > 0
    assert json.loads(run(laptop, "sync", "status", "--json")[1])["enabled"] is False
    code, out, _ = run(desktop, "sync", "--json")
    assert code == 1 and json.loads(out)["personal"]["status"] == "reset"
