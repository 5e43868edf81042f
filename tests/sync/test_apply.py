"""Applying received sync messages: LWW per field, union of append rows, tombstones, deferred parents, conflict
copies, and the same end state whatever the order or duplication of deliveries."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from lmgpa_desktop import paths
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.core.study import review
from lmgpa_desktop.storage import progress_repo
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Bookmark, Card, Deck, Note, Source
from lmgpa_desktop.storage.progress_repo import SessionDraft
from lmgpa_desktop.storage.sync import apply_repo, conflicts_repo, json_refs, outbox_repo
from lmgpa_desktop.storage.sync.apply_repo import Incoming
from lmgpa_desktop.storage.sync.hlc import parse
from lmgpa_desktop.storage.sync.spec import SPECS

ACCOUNT = {"server_url": "http://sync.test", "email": "sam@example.edu", "user_id": 7}


# -- helpers -------------------------------------------------------------------------------------------------------
def incoming(db) -> list[Incoming]:
    """Everything a device captured and has not pushed, as the messages another device receives; marked pushed."""
    out = outbox_repo.unsent(db, limit=100_000)
    outbox_repo.mark_pushed(db, [m.id for m in out])
    return [Incoming(m.msg_id, m.hlc, parse(m.hlc)[2], m.table, m.row, m.op, m.fields, m.bases) for m in out]


def media_path_in(root: Path):
    return lambda d: str(root / "media" / d["sha256"])


def sql(db, query: str, **params) -> list:
    with db.read() as s:
        return s.execute(text(query), params).fetchall()


def snapshot(db) -> dict:
    """Every synced table by row key, references as the parent's uuid (what must be equal everywhere)."""
    out = {}
    with db.read() as s:
        uuids = {t: dict(s.execute(text(f"SELECT id, uuid FROM {t}")).all())
                 for t in {p for sp in SPECS for p in sp.refs.values()} | json_refs.NAMED_TABLES}
        for sp in SPECS:
            rows = {}
            where = f" WHERE {sp.where}" if sp.where else ""
            for row in s.execute(text(f'SELECT "{sp.key}", {", ".join(sp.fields)} FROM {sp.table}{where}')):
                values = dict(zip(sp.fields, row[1:], strict=True))
                for col, parent in sp.refs.items():
                    if values[col] is not None:
                        values[col] = uuids[parent][values[col]]
                values = json_refs.rewrite(sp.table, values, lambda t, v: uuids[t].get(v) if t else None)
                rows[row[0]] = values
            out[sp.table] = rows
    return out


class Profiles:
    """Opens new profiles (copies of the migrated database) with sync capture on; close() closes them all."""

    def __init__(self, root: Path, template: Path):
        self.root, self.template, self.opened = root, template, []

    def __call__(self, name: str):
        home = self.root / name
        home.mkdir()
        shutil.copyfile(self.template, paths.database_path(home))
        ctx = open_app(home)
        outbox_repo.reset_device(ctx.db)
        outbox_repo.enable(ctx.db, ACCOUNT)
        self.opened.append(ctx)
        return ctx

    def close(self) -> None:
        for ctx in self.opened:
            ctx.close()


@pytest.fixture
def profiles(tmp_path, migrated_database):
    """profiles(name): a new profile with capture on; all closed at the end."""
    made = Profiles(tmp_path, migrated_database)
    yield made
    made.close()


@pytest.fixture(scope="module")
def scenario_messages(tmp_path_factory, migrated_database):
    """The messages of _scenario (shared + both devices' offline work), made once for the module."""
    made = Profiles(tmp_path_factory.mktemp("scenario"), migrated_database)
    try:
        return _scenario(made)[2:]
    finally:
        made.close()


def _deck_card_note(ctx) -> tuple[int, int, int]:
    with ctx.db.write() as s:
        deck = Deck(name="Cells")
        s.add(deck)
        s.flush()
        card = Card(deck_id=deck.id, front="What is a cell?", back="The unit of life")
        note = Note(title="Mitosis", body_md="Prophase first.")
        s.add_all([card, note])
        s.flush()
        return deck.id, card.id, note.id


def _edit(ctx, model, row_id: int, **fields) -> None:
    with ctx.db.write() as s:
        row = s.get(model, row_id)
        for k, v in fields.items():
            setattr(row, k, v)


def _scenario(profiles):
    """Two devices sharing rows, then offline work on both: (a, b, shared messages, a's offline, b's offline)."""
    a, b = profiles("a"), profiles("b")
    _, card_id, note_id = _deck_card_note(a)
    shared = incoming(a.db)
    apply_repo.apply(b.db, shared, media_path_in(Path(b.home)))
    # offline on a: edit the note body, review the card, make and delete a second note
    _edit(a, Note, note_id, body_md="Prophase, then metaphase.")
    review.answer(a, card_id, 3)
    with a.db.write() as s:
        gone = Note(title="Scratch", body_md="temp")
        s.add(gone)
        s.flush()
        gone_id = gone.id
    _edit(a, Note, gone_id, deleted_at=review.utcnow())
    # offline on b: a concurrent edit of the same body, an edit of the card's back, a review of the card
    b_note = sql(b.db, "SELECT id FROM notes")[0][0]
    b_card = sql(b.db, "SELECT id FROM cards")[0][0]
    _edit(b, Note, b_note, body_md="Prophase is when chromosomes condense.")
    _edit(b, Card, b_card, back="The smallest unit of life")
    review.answer(b, b_card, 4)
    return a, b, shared, incoming(a.db), incoming(b.db)


def _conflicts(db) -> list[tuple]:
    return sql(db, "SELECT uuid, tbl, field, kept_hlc, lost_hlc, lost_value, lost_device, created_at, resolved_at "
                   "FROM sync_conflicts ORDER BY uuid")


def test_concurrent_text_edits_keep_the_loser_as_the_same_conflict_copy_on_both_devices(profiles):
    a, b, _, from_a, from_b = _scenario(profiles)
    got_a = apply_repo.apply(a.db, from_b, media_path_in(Path(a.home)))
    got_b = apply_repo.apply(b.db, from_a, media_path_in(Path(b.home)))
    assert got_a.conflicts == got_b.conflicts == 1
    # b's edit was later: it wins everywhere, a's text is kept as the same copy (same uuid) on both devices
    for db in (a.db, b.db):
        assert sql(db, "SELECT body_md FROM notes WHERE title = 'Mitosis'") == [
            ("Prophase is when chromosomes condense.",)]
    assert _conflicts(a.db) == _conflicts(b.db)
    (row,) = _conflicts(a.db)
    assert row[2] == "body_md" and row[5] == "Prophase, then metaphase."
    assert row[6] == outbox_repo.device_id(a.db)
    # the copy is captured as an edit of the synced sync_conflicts table on each device (so every device has it)
    assert [m.table for m in incoming(a.db)] == ["sync_conflicts"]
    # the card's back (only b edited it) merged without a conflict; both reviews are on both devices
    assert snapshot(a.db)["cards"] == snapshot(b.db)["cards"]
    assert sorted(r[0] for r in sql(a.db, "SELECT uuid FROM review_logs")) == sorted(
        r[0] for r in sql(b.db, "SELECT uuid FROM review_logs"))
    listed = conflicts_repo.list_conflicts(a.db)
    assert [(c.title, c.kept_value, c.lost_value) for c in listed] == [
        ("Mitosis", "Prophase is when chromosomes condense.", "Prophase, then metaphase.")]


def test_edits_made_on_top_of_each_other_are_not_conflicts(profiles):
    a, b = profiles("a"), profiles("b")
    _, _, note_id = _deck_card_note(a)
    apply_repo.apply(b.db, incoming(a.db), media_path_in(Path(b.home)))
    _edit(a, Note, note_id, body_md="first")
    apply_repo.apply(b.db, incoming(a.db), media_path_in(Path(b.home)))
    _edit(b, Note, sql(b.db, "SELECT id FROM notes")[0][0], body_md="first, then second")
    from_b = incoming(b.db)
    assert apply_repo.apply(a.db, from_b, media_path_in(Path(a.home))).conflicts == 0
    assert apply_repo.apply(a.db, from_b, media_path_in(Path(a.home))).changed_fields == 0  # a duplicate
    assert sql(a.db, "SELECT body_md FROM notes") == [("first, then second",)]


@pytest.mark.parametrize("keep, expected", [
    ("other", "Prophase, then metaphase."),
    ("both", "Prophase is when chromosomes condense.\n\nProphase, then metaphase."),
    ("current", "Prophase is when chromosomes condense."),
])
def test_resolving_a_conflict_is_a_normal_local_edit_that_syncs(profiles, keep, expected):
    a, b, _, from_a, from_b = _scenario(profiles)
    apply_repo.apply(a.db, from_b, media_path_in(Path(a.home)))
    apply_repo.apply(b.db, from_a, media_path_in(Path(b.home)))
    incoming(b.db)
    exchanged = incoming(a.db)
    conflict_id = conflicts_repo.list_conflicts(a.db)[0].id
    conflicts_repo.resolve(a.db, conflict_id, keep)
    assert conflicts_repo.list_conflicts(a.db) == [] and conflicts_repo.open_count(a.db) == 0
    sent = incoming(a.db)
    assert {m.table for m in sent} == ({"notes", "sync_conflicts"} if keep != "current" else {"sync_conflicts"})
    apply_repo.apply(b.db, exchanged + sent, media_path_in(Path(b.home)))
    for db in (a.db, b.db):
        assert sql(db, "SELECT body_md FROM notes WHERE title = 'Mitosis'") == [(expected,)]
    assert conflicts_repo.open_count(b.db) == 0
    assert snapshot(a.db) == snapshot(b.db)


def test_a_media_descriptor_becomes_a_local_path_and_a_missing_file_is_listed(profiles, tmp_path):
    b = profiles("b")
    desc = {"sha256": "ab" * 32, "size": 11, "name": "lecture.m4a", "blob_id": "f" * 64}
    msg = Incoming("1" * 32, "1767225600000-0000-" + "a" * 16, "a" * 16, "sources", "5f0c2a7e-0000-4000-8000-"
                   "000000000001", "add", {"kind": "audio", "title": "Lecture", "stored_path": desc,
                                           "status": "ready", "created_at": "2026-01-01 10:00:00.000000",
                                           "deleted_at": None}, {})
    got = apply_repo.apply(b.db, [msg], media_path_in(tmp_path))
    path = str(tmp_path / "media" / desc["sha256"])
    assert sql(b.db, "SELECT stored_path FROM sources") == [(path,)]
    assert sql(b.db, "SELECT state, blob_id FROM sync_media") == [("missing", "f" * 64)]
    assert got.media == [{**desc, "path": path}] and got.sources == {sql(b.db, "SELECT id FROM sources")[0][0]}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_duplicated_and_reordered_deliveries_end_in_the_same_tables(scenario_messages, tmp_path_factory,
                                                                  migrated_database, data):
    shared, from_a, from_b = scenario_messages
    msgs = shared + from_a + from_b
    order = data.draw(st.permutations(msgs))
    extra = data.draw(st.lists(st.sampled_from(msgs), max_size=6))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(order) + len(extra)), max_size=3)))
    deliveries = list(order) + extra
    results = []
    for plan in ([msgs], [deliveries[i:j] for i, j in zip([0, *cuts], [*cuts, len(deliveries)], strict=True)]):
        folder = tmp_path_factory.mktemp("fresh")
        shutil.copyfile(migrated_database, folder / "db.sqlite")
        db = Database(folder / "db.sqlite")
        try:
            for batch in plan:
                apply_repo.apply(db, batch, media_path_in(folder))
            results.append((snapshot(db), _conflicts(db), sql(db, "SELECT count(*) FROM sync_deferred")[0][0]))
        finally:
            db.dispose()
    in_order, shuffled = results
    assert shuffled == in_order
    assert in_order[2] == 0 and len(in_order[1]) == 1
    assert len(in_order[0]["review_logs"]) == 2 and len(in_order[0]["notes"]) == 2


def test_every_synced_row_arrives_with_refs_translated_and_nothing_is_captured(profiles):
    a, b = profiles("a"), profiles("b")
    _deck_card_note(a)
    review.answer(a, sql(a.db, "SELECT id FROM cards")[0][0], 3)
    got = apply_repo.apply(b.db, list(reversed(incoming(a.db))), media_path_in(Path(b.home)))  # children first
    assert snapshot(b.db) == snapshot(a.db)
    assert got.deferred == 0 and got.cards == {sql(b.db, "SELECT id FROM cards")[0][0]} and got.activity
    assert outbox_repo.waiting(b.db) == 0  # what arrives is not sent back


def test_a_child_waits_for_its_parent_across_applies(profiles):
    a, b = profiles("a"), profiles("b")
    _deck_card_note(a)
    msgs = incoming(a.db)
    decks = [m for m in msgs if m.table == "decks"]
    got = apply_repo.apply(b.db, [m for m in msgs if m.table != "decks"], media_path_in(Path(b.home)))
    assert got.deferred == 1 and sql(b.db, "SELECT count(*) FROM cards")[0][0] == 0
    assert sql(b.db, "SELECT count(*) FROM sync_deferred")[0][0] == 1
    got = apply_repo.apply(b.db, decks, media_path_in(Path(b.home)))
    assert got.deferred == 0 and sql(b.db, "SELECT count(*) FROM sync_deferred")[0][0] == 0
    assert snapshot(b.db) == snapshot(a.db)


def test_a_put_that_overtakes_its_rows_add_waits_for_it(profiles):
    a, b = profiles("a"), profiles("b")
    _, card_id, _ = _deck_card_note(a)
    adds = incoming(a.db)
    _edit(a, Card, card_id, front="What is a cell, exactly?")
    puts = incoming(a.db)
    apply_repo.apply(b.db, [m for m in adds if m.table == "decks"] + puts, media_path_in(Path(b.home)))
    assert sql(b.db, "SELECT count(*) FROM cards")[0][0] == 0  # no deck_id yet: nothing half-made
    apply_repo.apply(b.db, adds, media_path_in(Path(b.home)))
    assert sql(b.db, "SELECT front FROM cards")[0][0] == "What is a cell, exactly?"
    assert snapshot(b.db) == snapshot(a.db)


def test_a_deleted_row_never_comes_back_by_a_later_edit_of_another_field(profiles):
    a, b = profiles("a"), profiles("b")
    _, _, note_id = _deck_card_note(a)
    apply_repo.apply(b.db, incoming(a.db), media_path_in(Path(b.home)))
    _edit(a, Note, note_id, deleted_at=review.utcnow())
    _edit(b, Note, sql(b.db, "SELECT id FROM notes")[0][0], status="archived")  # later, another field
    from_a, from_b = incoming(a.db), incoming(b.db)
    apply_repo.apply(a.db, from_b, media_path_in(Path(a.home)))
    apply_repo.apply(b.db, from_a, media_path_in(Path(b.home)))
    for db in (a.db, b.db):
        assert sql(db, "SELECT deleted_at IS NOT NULL, status FROM notes") == [(1, "archived")]
    assert snapshot(a.db) == snapshot(b.db)


def test_a_hard_deleted_row_stays_deleted_even_when_its_add_arrives_after(profiles):
    a, b = profiles("a"), profiles("b")
    with a.db.write() as s:
        src = Source(kind="audio", title="Lecture 1", status="ready")
        s.add(src)
        s.flush()
        s.add(Bookmark(source_id=src.id, at_s=12.5, label="key idea"))
    adds = incoming(a.db)
    with a.db.write() as s:
        s.execute(text("DELETE FROM bookmarks"))
    tomb = incoming(a.db)
    assert [m.fields.keys() for m in tomb if m.table == "bookmarks"] == [{"deleted_at"}]
    apply_repo.apply(b.db, tomb, media_path_in(Path(b.home)))
    apply_repo.apply(b.db, adds, media_path_in(Path(b.home)))
    assert sql(b.db, "SELECT count(*) FROM bookmarks")[0][0] == 0
    assert sql(b.db, "SELECT count(*) FROM sources")[0][0] == 1
    # in the other order too: the row arrives, then its tombstone removes it
    c = profiles("c")
    apply_repo.apply(c.db, adds, media_path_in(Path(c.home)))
    assert sql(c.db, "SELECT count(*) FROM bookmarks")[0][0] == 1
    apply_repo.apply(c.db, tomb + adds, media_path_in(Path(c.home)))
    assert sql(c.db, "SELECT count(*) FROM bookmarks")[0][0] == 0


def test_an_edit_of_a_row_deleted_here_for_good_is_dropped_not_left_waiting(profiles):
    """A study session b merged into another (deleted for good) while a extended it: a's edit changes nothing on b and
    does not wait for the row forever."""
    a, b = profiles("a"), profiles("b")
    start = review.utcnow() - timedelta(hours=1)
    first = progress_repo.replace_sessions(a.db, [], [SessionDraft("review", None, start, start + timedelta(minutes=5),
                                                                   300)])[0]
    apply_repo.apply(b.db, incoming(a.db), media_path_in(Path(b.home)))
    with b.db.write() as s:
        s.execute(text("DELETE FROM study_sessions"))  # as replace_sessions does when it merges sessions
    progress_repo.replace_sessions(a.db, [first.id], [SessionDraft("review", None, start,
                                                                   start + timedelta(minutes=9), 540)])
    got = apply_repo.apply(b.db, incoming(a.db), media_path_in(Path(b.home)))
    assert got.deferred == 0 and sql(b.db, "SELECT count(*) FROM sync_deferred")[0][0] == 0
    assert sql(b.db, "SELECT count(*) FROM study_sessions")[0][0] == 0
