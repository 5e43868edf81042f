"""Local row ids inside synced values (a note's cited page, a test's sources, a chat's scope and citations, the card
an activity event was about) arrive on another device naming that device's row for the same uuid."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from lmgpa_desktop import paths
from lmgpa_desktop.core import activity
from lmgpa_desktop.core.library.search import Scope
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.core.study import notes, review
from lmgpa_desktop.core.study.items import source_locations
from lmgpa_desktop.core.study.chat import conversations
from lmgpa_desktop.core.study.chat.conversations import Citation
from lmgpa_desktop.storage import practice_repo, sources_repo
from lmgpa_desktop.storage.models import Card, Course, Deck
from lmgpa_desktop.storage.sync import apply_repo, json_refs, outbox_repo, text_refs
from lmgpa_desktop.storage.sync.apply_repo import Incoming
from lmgpa_desktop.storage.sync.hlc import parse
from lmgpa_desktop.storage.sync.spec import LOCAL_IDS_INSIDE

ACCOUNT = {"server_url": "http://sync.test", "email": "sam@example.edu", "user_id": 7}


@pytest.fixture
def device(tmp_path, migrated_database):
    """device(name): a new profile with sync capture on (its own device id); all closed at the end."""
    opened = []

    def make(name: str):
        home = tmp_path / name
        home.mkdir()
        shutil.copyfile(migrated_database, paths.database_path(home))
        ctx = open_app(home)
        outbox_repo.reset_device(ctx.db)
        outbox_repo.enable(ctx.db, ACCOUNT)
        opened.append(ctx)
        return ctx

    yield make
    for ctx in opened:
        ctx.close()


def sent(db) -> list[Incoming]:
    """What a device would push now (the outbox read), as the messages another device receives; marked pushed."""
    out = outbox_repo.unsent(db, limit=100_000)
    outbox_repo.mark_pushed(db, [m.id for m in out])
    return [Incoming(m.msg_id, m.hlc, parse(m.hlc)[2], m.table, m.row, m.op, m.fields, m.bases) for m in out]


def receive(ctx, messages: list[Incoming]) -> apply_repo.Applied:
    return apply_repo.apply(ctx.db, messages, lambda d: str(Path(ctx.home) / "media" / d["sha256"]))


def one(db, query: str, **params):
    with db.read() as s:
        return s.execute(text(query), params).scalar()


def local_id(db, table: str, uuid: str) -> int:
    found = one(db, f"SELECT id FROM {table} WHERE uuid = :u", u=uuid)
    assert found is not None, f"{table} {uuid} is not on this device"
    return found


def uuid_of(db, table: str, row_id: int) -> str:
    return one(db, f"SELECT uuid FROM {table} WHERE id = :i", i=row_id)


def _course(ctx, name: str) -> int:
    with ctx.db.write() as s:
        course = Course(name=name)
        s.add(course)
        s.flush()
        return course.id


def _deck_and_card(ctx, front: str) -> tuple[int, int]:
    with ctx.db.write() as s:
        deck = Deck(name=f"Deck {front}")
        s.add(deck)
        s.flush()
        card = Card(deck_id=deck.id, front=front, back="answer")
        s.add(card)
        s.flush()
        return deck.id, card.id


def _sources(ctx, *titles: str) -> list[int]:
    return [sources_repo.create(ctx.db, kind="txt", title=t, status="ready").id for t in titles]


def _study_on_a(a) -> dict:
    """A student's study on device a whose every kind of id-inside-a-value names a row; the ids, by name."""
    course = _course(a, "Biology")
    s1, s2 = _sources(a, "Cell biology, chapter 3", "Lecture 4")
    note = notes.create(a, "Mitosis", "Prophase first.", [{"source_id": s1, "page_no": 2, "start_s": None,
                                                             "end_s": None, "quote": "chromosomes condense"}])
    test_id, _ = practice_repo.create_test(a.db, "Midterm practice", [s1, s2], [])
    attempt = practice_repo.create_attempt(a.db, test_id)
    activity.record(a, "test", ref_id=attempt.id, details={"test_id": test_id, "score": 1, "max_score": 1,
                                                            "percent": 100.0})
    conv = conversations.new_conversation(a, Scope(source_id=s2))
    course_chat = conversations.new_conversation(a, Scope(course_id=course))
    cite = Citation(1, s2, "Lecture 4", "at 1:05", None, 65.0, 80.0, None, 4242, "the cell cycle")
    conversations.store_answer(a, conv.id, "The cell cycle has four phases [1].", [cite])
    activity.record(a, "chat", ref_id=conv.id)
    deck, card = _deck_and_card(a, "What is mitosis?")
    review.answer(a, card, 3)
    return {"course": course, "s1": s1, "s2": s2, "note": note.id, "test": test_id, "attempt": attempt.id,
            "conv": conv.id, "course_chat": course_chat.id, "deck": deck, "card": card}


def _crowd_b(b) -> None:
    """Rows made on b first, so b's ids for the same rows are not a's."""
    _course(b, "Chemistry")
    _course(b, "History")
    _sources(b, "b only 1", "b only 2", "b only 3")
    _deck_and_card(b, "b card 1")
    _deck_and_card(b, "b card 2")
    t, _ = practice_repo.create_test(b.db, "b test", [], [])
    practice_repo.create_attempt(b.db, t)
    practice_repo.create_attempt(b.db, t)
    conversations.new_conversation(b)
    notes.create(b, "b note", "b")


def test_every_id_inside_a_value_names_the_receiving_devices_row_for_the_same_uuid(device):
    a, b = device("a"), device("b")
    _crowd_b(b)
    ids = _study_on_a(a)
    u = {name: uuid_of(a.db, table, ids[name]) for name, table in [
        ("course", "courses"), ("s1", "sources"), ("s2", "sources"), ("note", "notes"), ("test", "practice_tests"),
        ("attempt", "test_attempts"), ("conv", "conversations"), ("course_chat", "conversations"),
        ("deck", "decks"), ("card", "cards")]}
    # the capture triggers keep a's local ids; what leaves a names rows by uuid
    raw = json.loads(one(a.db, "SELECT fields FROM sync_outbox WHERE tbl = 'practice_tests' ORDER BY id LIMIT 1"))
    assert json.loads(raw["source_ids"]) == [ids["s1"], ids["s2"]]
    messages = sent(a.db)
    wire = next(m for m in messages if m.table == "practice_tests")
    assert json.loads(wire.fields["source_ids"]) == [u["s1"], u["s2"]]

    # the rows that name others arrive first: they wait, like a child before its parent, and land with them
    naming = {"notes", "practice_tests", "conversations", "chat_messages", "activity_events"}
    first = [m for m in messages if m.table in naming]
    assert receive(b, first).deferred == len(first)
    assert one(b.db, "SELECT count(*) FROM notes WHERE uuid = :u", u=u["note"]) == 0
    assert receive(b, [m for m in messages if m.table not in naming]).deferred == 0
    assert one(b.db, "SELECT count(*) FROM sync_deferred") == 0

    def on_b(name, table):
        return local_id(b.db, table, u[name])

    s1, s2 = on_b("s1", "sources"), on_b("s2", "sources")
    assert (s1, s2) != (ids["s1"], ids["s2"])  # the test means something only if the ids differ
    refs = notes.get(b, on_b("note", "notes")).source_refs
    assert refs == [{"source_id": s1, "page_no": 2, "start_s": None, "end_s": None, "quote": "chromosomes condense"}]
    assert [r.source_id for r in notes.references(b, on_b("note", "notes"))] == [s1]
    assert practice_repo.get_test(b.db, on_b("test", "practice_tests")).source_ids == [s1, s2]
    conv = conversations.conversation(b, on_b("conv", "conversations"))
    assert conversations.scope_of(conv) == Scope(source_id=s2)
    course_chat = conversations.conversation(b, on_b("course_chat", "conversations"))
    assert conversations.scope_of(course_chat) == Scope(course_id=on_b("course", "courses"))
    (answer,) = conversations.messages(b, conv.id)
    (cite,) = answer.citations
    assert (cite.source_id, cite.page_no, cite.start_s, cite.snippet) == (s2, None, 65.0, "the cell cycle")
    assert cite.chunk_id is None  # chunks are rebuilt on each device: a's chunk id would name another passage
    events = {e.kind: e for e in activity.events(b)}
    assert events["review"].ref_id == on_b("card", "cards")
    assert events["review"].details["deck_id"] == on_b("deck", "decks")
    assert events["chat"].ref_id == conv.id
    assert events["test"].ref_id == on_b("attempt", "test_attempts")
    assert events["test"].details["test_id"] == on_b("test", "practice_tests")
    assert events["note"].ref_id == on_b("note", "notes")


def test_a_reference_to_a_row_no_other_device_will_have_travels_as_null(device):
    a, b = device("a"), device("b")
    _crowd_b(b)
    outbox_repo.disable(a.db)
    (trashed,) = _sources(a, "thrown away before sync")
    sources_repo.trash(a.db, trashed)  # soft-deleted before sync was set up: never sent to anyone
    outbox_repo.enable(a.db, ACCOUNT)
    (kept,) = _sources(a, "kept")
    test_id, _ = practice_repo.create_test(a.db, "over both", [trashed, kept], [])
    note = notes.create(a, "cites the thrown-away one", "x", [{"source_id": trashed, "page_no": 1}])
    receive(b, sent(a.db))
    assert one(b.db, "SELECT count(*) FROM sync_deferred") == 0
    got = practice_repo.get_test(b.db, local_id(b.db, "practice_tests", uuid_of(a.db, "practice_tests", test_id)))
    assert got.source_ids == [local_id(b.db, "sources", uuid_of(a.db, "sources", kept))]
    assert notes.get(b, local_id(b.db, "notes", note.uuid)).source_refs == [{"source_id": None, "page_no": 1}]


def test_a_row_deleted_here_before_a_reference_to_it_arrives_becomes_null(device):
    a, b = device("a"), device("b")
    (source,) = _sources(a, "Lecture 9")
    receive(b, sent(a.db))
    on_b = local_id(b.db, "sources", uuid_of(a.db, "sources", source))
    with b.db.write() as s:
        s.execute(text("DELETE FROM sources WHERE id = :i"), {"i": on_b})  # captured as a tombstone
    conv = conversations.new_conversation(a, Scope(source_id=source))
    receive(b, sent(a.db))
    assert one(b.db, "SELECT count(*) FROM sync_deferred") == 0
    assert conversations.conversation(b, local_id(b.db, "conversations", conv.uuid)).scope == {"source_id": None}


def test_an_older_senders_local_id_is_not_taken_for_a_row_here(device):
    a, b = device("a"), device("b")
    (source,) = _sources(b, "b's own")
    conv = conversations.new_conversation(a, Scope(source_id=source))
    messages = sent(a.db)
    old = [Incoming(m.msg_id, m.hlc, m.device, m.table, m.row, m.op,
                    {**m.fields, "scope": json.dumps({"source_id": source})} if m.table == "conversations"
                    else m.fields, m.bases) for m in messages]
    receive(b, old)
    assert conversations.conversation(b, local_id(b.db, "conversations", conv.uuid)).scope == {"source_id": None}


def test_the_map_covers_every_activity_kind_and_every_listed_field():
    assert set(json_refs.REF_ID_TABLE) == set(activity.KINDS)
    listed = {(t, f) for t, fields in LOCAL_IDS_INSIDE.items() for f in fields}
    mapped = {(t, f) for t, cols in json_refs.JSON_IDS.items() for f in cols} | {("activity_events", "ref_id")}
    assert listed == mapped


# -- source links inside texts (storage/sync/text_refs.py) -------------------------------------------------------
def _wire_body(messages: list[Incoming], note_uuid: str) -> str:
    return next(m.fields["body_md"] for m in messages if m.table == "notes" and m.row == note_uuid
                and "body_md" in m.fields)


def test_a_notes_source_link_names_the_receiving_devices_source_and_edits_keep_the_right_refs(device):
    a, b = device("a"), device("b")
    _crowd_b(b)
    s1, s2 = _sources(a, "Cell biology, chapter 3", "Lecture 4")
    body = (f"Prophase first, see [page 2]({source_locations.link(s1, 2, None)}) and "
            f"[1:05]({notes.link(s2, None, 65.0)}).")
    note = notes.create(a, "Mitosis", body, [{"source_id": s1, "page_no": 2, "start_s": None, "end_s": None,
                                               "quote": "chromosomes condense"}])
    messages = sent(a.db)
    u1, u2 = uuid_of(a.db, "sources", s1), uuid_of(a.db, "sources", s2)
    assert _wire_body(messages, note.uuid) == body.replace(f"source/{s1}?", f"source/{u1}?").replace(
        f"source/{s2}?", f"source/{u2}?")  # on the wire the link names the source's uuid
    receive(b, messages)
    b1, b2 = local_id(b.db, "sources", u1), local_id(b.db, "sources", u2)
    assert (b1, b2) != (s1, s2)
    on_b = notes.get(b, local_id(b.db, "notes", note.uuid))
    assert notes.links_in(on_b.body_md) == [(b1, 2, None), (b2, None, 65.0)]
    edited = notes.edit(b, on_b.id, body_md=on_b.body_md + "\n\nThen metaphase.")
    assert [(r["source_id"], r["page_no"], r.get("quote")) for r in edited.source_refs] == [
        (b1, 2, "chromosomes condense"), (b2, None, None)]
    receive(a, sent(b.db))  # and back: a's note links a's own ids again
    back = notes.get(a, note.id)
    assert back.body_md.endswith("Then metaphase.") and notes.links_in(back.body_md) == [(s1, 2, None),
                                                                                         (s2, None, 65.0)]
    assert [r["source_id"] for r in back.source_refs] == [s1, s2]


def test_a_link_to_a_source_not_here_yet_says_so_and_opens_once_it_has_arrived(device):
    a, b = device("a"), device("b")
    _crowd_b(b)
    (source,) = _sources(a, "Lecture 9")
    note = notes.create(a, "Later", f"[slide 3]({source_locations.link(source, 3, None)})")  # no refs: body only
    messages = sent(a.db)
    receive(b, [m for m in messages if m.table != "sources"])
    body = notes.get(b, local_id(b.db, "notes", note.uuid)).body_md
    url = body[body.index("(") + 1:-1]
    assert url == f"lmgpa://source/{uuid_of(a.db, 'sources', source)}?page=3"  # not another source's id
    assert source_locations.names_by_uuid(url)
    with pytest.raises(source_locations.SourceNotHere, match="not on this computer yet"):
        source_locations.resolve_link(b, url)
    receive(b, [m for m in messages if m.table == "sources"])
    here = local_id(b.db, "sources", uuid_of(a.db, "sources", source))
    assert source_locations.resolve_link(b, url) == (here, 3, None)
    edited = notes.edit(b, local_id(b.db, "notes", note.uuid), body_md=body)  # editing names it by id from now on
    assert notes.links_in(edited.body_md) == [(here, 3, None)] and edited.source_refs[0]["source_id"] == here


def test_the_same_linked_text_written_on_two_devices_is_no_conflict(device):
    a, b = device("a"), device("b")
    (source,) = _sources(a, "Lecture 4")
    note = notes.create(a, "Cycle", "draft")
    receive(b, sent(a.db))
    here = local_id(b.db, "sources", uuid_of(a.db, "sources", source))
    note_b = local_id(b.db, "notes", note.uuid)
    _crowd_b(b)
    # both write the same sentence citing the same page, each in its own ids (concurrently: neither saw the other)
    notes.edit(a, note.id, body_md=f"See [p. 4]({source_locations.link(source, 4, None)}).")
    notes.edit(b, note_b, body_md=f"See [p. 4]({source_locations.link(here, 4, None)}).")
    from_a, from_b = sent(a.db), sent(b.db)
    receive(a, from_b)
    receive(b, from_a)
    for db in (a.db, b.db):
        assert one(db, "SELECT count(*) FROM sync_conflicts") == 0
    assert notes.links_in(notes.get(a, note.id).body_md) == [(source, 4, None)]
    assert notes.links_in(notes.get(b, note_b).body_md) == [(here, 4, None)]


def test_a_link_no_other_device_can_follow_travels_naming_no_source(device):
    a, b = device("a"), device("b")
    _crowd_b(b)  # b has sources 1..3: a bare id arriving would name one of them
    outbox_repo.disable(a.db)
    (never,) = _sources(a, "never synced")
    sources_repo.trash(a.db, never)  # soft-deleted before sync was set up: no device will ever have it
    outbox_repo.enable(a.db, ACCOUNT)
    note = notes.create(a, "Odd", f"[x]({source_locations.link(never, 1, None)}) [y](lmgpa://source/2)")
    receive(b, sent(a.db))
    body = notes.get(b, local_id(b.db, "notes", note.uuid)).body_md
    assert body == f"[x](lmgpa://source/{text_refs.NOWHERE}?page=1) [y](lmgpa://source/{text_refs.NOWHERE})"
    with pytest.raises(source_locations.SourceNotHere):
        source_locations.resolve_link(b, f"lmgpa://source/{text_refs.NOWHERE}")
    assert source_locations.resolve_link(b, "https://example.edu") is None


def test_text_links_rewrite_only_source_ids():
    u = "0f8fad5b-d9cb-469f-a165-70867728950e"
    value = f"[a](lmgpa://source/12?t=65.0) [b](lmgpa://source/{u}) lmgpa://source/12abc [c](https://x/source/3)"
    out = text_refs.rewrite("notes", {"body_md": value, "title": "lmgpa://source/12"},
                            lambda key: "N" if key.isdigit() else "U")
    assert out == {"body_md": "[a](lmgpa://source/N?t=65.0) [b](lmgpa://source/U) lmgpa://source/12abc "
                              "[c](https://x/source/3)", "title": "lmgpa://source/12"}
    assert text_refs.rewrite("decks", {"name": value}, lambda key: "N") == {"name": value}
