"""Change capture: every write path to a synced table leaves an outbox message, only while sync is on."""

from __future__ import annotations

import json
import threading

from sqlalchemy import delete, insert, text, update

from lmgpa_desktop.storage.base import utcnow
from lmgpa_desktop.storage.models import (
    Card,
    Course,
    Deadline,
    Deck,
    DocumentPage,
    Note,
    ReviewLog,
    Source,
)
from lmgpa_desktop.storage.sync import capture, hlc, outbox_repo
from lmgpa_desktop.storage.sync.outbox_repo import Outgoing
from lmgpa_desktop.storage.sync.spec import SPECS

ACCOUNT = {"server_url": "http://sync.test", "email": "sam@example.edu", "user_id": 7}


def _sql(ctx, sql: str, **params) -> list:
    with ctx.db.read() as s:
        return s.execute(text(sql), params).fetchall()


def _new(ctx, since: int = 0) -> list[Outgoing]:
    return [m for m in outbox_repo.unsent(ctx.db, limit=10_000) if m.id > since]


def _last_id(ctx) -> int:
    return _sql(ctx, "SELECT coalesce(max(id), 0) FROM sync_outbox")[0][0]


def _deck_with_card(ctx, front: str = "cell", course: bool = True) -> tuple[int, int, int | None]:
    with ctx.db.write() as s:
        course_row = Course(name="Biology") if course else None
        if course_row:
            s.add(course_row)
            s.flush()
        deck = Deck(name="Cells", course_id=course_row.id if course_row else None)
        s.add(deck)
        s.flush()
        card = Card(deck_id=deck.id, front=front, back="unit of life")
        s.add(card)
        s.flush()
        return deck.id, card.id, course_row.id if course_row else None


def _uuid(ctx, table: str, row_id: int) -> str:
    return _sql(ctx, f"SELECT uuid FROM {table} WHERE id = :id", id=row_id)[0][0]


def test_nothing_is_captured_until_sync_is_enabled_and_after_it_is_disabled(ctx):
    _deck_with_card(ctx)
    ctx.settings.set("review.retention", 0.8)
    assert outbox_repo.waiting(ctx.db) == 0 and _sql(ctx, "SELECT count(*) FROM sync_clock")[0][0] == 0
    outbox_repo.enable(ctx.db, ACCOUNT)
    outbox_repo.disable(ctx.db)
    before = outbox_repo.waiting(ctx.db)
    _deck_with_card(ctx, "after disable")
    assert outbox_repo.waiting(ctx.db) == before > 0  # the outbox is kept, nothing new is added


def test_enable_snapshots_live_rows_parents_first_once(ctx):
    deck_id, card_id, course_id = _deck_with_card(ctx)
    with ctx.db.write() as s:
        s.add(ReviewLog(uuid="log-1", card_id=card_id, rating=3, reviewed_at=utcnow()))
        s.add(Note(title="gone", body_md="x", deleted_at=utcnow()))
        s.add(Deadline(title="class exam", due_at=utcnow(), server_id="srv-1"))  # from the server: not synced
        s.add(Deadline(title="my essay", due_at=utcnow()))
    ctx.settings.set("review.retention", 0.85)
    ctx.settings.set("ui.theme", "dark")  # this computer's look: not synced

    written = outbox_repo.enable(ctx.db, ACCOUNT)
    messages = outbox_repo.unsent(ctx.db)
    assert written == len(messages) == 6
    assert [m.table for m in messages] == ["courses", "decks", "cards", "review_logs", "deadlines", "settings"]
    assert all(m.op == "add" and m.bases == {} for m in messages)
    by_table = {m.table: m for m in messages}
    assert by_table["decks"].fields["course_id"] == _uuid(ctx, "courses", course_id)  # refs travel as uuids
    assert by_table["cards"].fields["deck_id"] == _uuid(ctx, "decks", deck_id)
    assert by_table["review_logs"].row == "log-1" and by_table["review_logs"].fields["card_id"] == _uuid(
        ctx, "cards", card_id)
    assert by_table["settings"].row == "review.retention" and by_table["settings"].fields == {"value": 0.85}
    assert by_table["deadlines"].fields["title"] == "my essay"
    assert "state" not in by_table["cards"].fields and "due" not in by_table["cards"].fields  # derived: replayed
    hlcs = [m.hlc for m in messages]
    assert hlcs == sorted(set(hlcs)) and outbox_repo.get_state(ctx.db, "clock") == hlcs[-1]
    clocks = _sql(ctx, "SELECT field, hlc FROM sync_clock WHERE tbl = 'cards'")
    assert {f for f, _ in clocks} == set(by_table["cards"].fields) and {h for _, h in clocks} == {by_table["cards"].hlc}
    assert json.loads(outbox_repo.get_state(ctx.db, "account")) == ACCOUNT
    assert outbox_repo.get_state(ctx.db, "enabled") == "1"

    assert outbox_repo.enable(ctx.db, ACCOUNT) == 0  # idempotent
    assert outbox_repo.waiting(ctx.db) == 6


def test_enable_gives_a_uuid_to_rows_a_raw_insert_left_without(ctx):
    with ctx.db.write() as s:
        s.execute(text("INSERT INTO activity_events (kind, at, amount) VALUES ('read', '2026-12-01 10:00:00', 1)"))
    outbox_repo.enable(ctx.db, ACCOUNT)
    [message] = outbox_repo.unsent(ctx.db)
    assert message.table == "activity_events" and len(message.row) == 36
    assert _sql(ctx, "SELECT uuid FROM activity_events")[0][0] == message.row


def test_every_write_path_is_captured_with_only_the_changed_fields(ctx):
    deck_id, card_id, course_id = _deck_with_card(ctx)
    outbox_repo.enable(ctx.db, ACCOUNT)
    card_uuid = _uuid(ctx, "cards", card_id)

    mark = _last_id(ctx)
    with ctx.db.write() as s:  # ORM update of a synced field and of FSRS state (derived, not captured)
        card = s.get(Card, card_id)
        card.back, card.stability, card.state, card.due = "the unit of life", 4.2, 2, utcnow()
    [put] = _new(ctx, mark)
    assert (put.table, put.row, put.op, put.fields) == ("cards", card_uuid, "put", {"back": "the unit of life"})

    mark = _last_id(ctx)
    with ctx.db.write() as s:  # only FSRS state: nothing to sync
        s.execute(update(Card).where(Card.id == card_id).values(stability=9.9, last_review=utcnow()))
    assert _new(ctx, mark) == []

    mark = _last_id(ctx)
    with ctx.db.write() as s:  # Core bulk insert, Core update, raw SQL update
        s.execute(insert(Card), [{"deck_id": deck_id, "front": f"bulk {i}", "back": ""} for i in range(3)])
        s.execute(update(Card).where(Card.front.like("bulk%")).values(tags="bulk"))
        s.execute(text("UPDATE decks SET name = 'Cell biology', course_id = NULL WHERE id = :id"), {"id": deck_id})
    new = _new(ctx, mark)
    assert [(m.table, m.op) for m in new] == [("cards", "add")] * 3 + [("cards", "put")] * 3 + [("decks", "put")]
    assert {m.fields["front"] for m in new[:3]} == {"bulk 0", "bulk 1", "bulk 2"}
    assert all(m.fields == {"tags": "bulk"} for m in new[3:6])
    assert new[6].fields == {"name": "Cell biology", "course_id": None}

    mark = _last_id(ctx)
    with ctx.db.write() as s:  # hard deletes: ORM and Core; tombstones, even for code that deletes rows
        s.delete(s.get(Card, card_id))
        s.execute(delete(Card).where(Card.front == "bulk 0"))
    new = _new(ctx, mark)
    assert [(m.table, m.op, list(m.fields)) for m in new] == [("cards", "put", ["deleted_at"])] * 2
    assert new[0].row == card_uuid
    with ctx.db.write() as s:  # a soft delete is a put of deleted_at; deleting the row later adds nothing
        s.execute(update(Card).where(Card.front == "bulk 1").values(deleted_at=utcnow()))
    mark = _last_id(ctx)
    with ctx.db.write() as s:
        s.execute(delete(Card).where(Card.front == "bulk 1"))
    assert _new(ctx, mark) == []

    hlcs = [m.hlc for m in outbox_repo.unsent(ctx.db, limit=1000)]
    assert hlcs == sorted(set(hlcs))  # every message its own, increasing stamp


def test_cascades_and_set_null_are_captured(ctx):
    _deck, _card, course_id = _deck_with_card(ctx)
    with ctx.db.write() as s:
        source = Source(kind="pdf", title="Lecture 1", course_id=course_id)
        s.add(source)
        s.flush()
        s.add_all(DocumentPage(source_id=source.id, page_no=n, text=f"page {n}") for n in (1, 2))
        source_id = source.id
    outbox_repo.enable(ctx.db, ACCOUNT)
    page_uuids = {r[0] for r in _sql(ctx, "SELECT uuid FROM document_pages")}
    mark = _last_id(ctx)
    with ctx.db.write() as s:
        s.execute(delete(Source).where(Source.id == source_id))  # pages go with it (ON DELETE CASCADE)
        s.execute(delete(Course).where(Course.id == course_id))  # decks keep living without it (SET NULL)
    new = _new(ctx, mark)
    tombstones = {(m.table, m.row) for m in new if list(m.fields) == ["deleted_at"]}
    assert {("document_pages", u) for u in page_uuids} <= tombstones
    assert ("decks", "put", {"course_id": None}) in [(m.table, m.op, m.fields) for m in new]


def test_text_edits_carry_the_clock_of_the_value_they_overwrite(ctx):
    _deck, card_id, _ = _deck_with_card(ctx)
    outbox_repo.enable(ctx.db, ACCOUNT)
    [add] = [m for m in outbox_repo.unsent(ctx.db) if m.table == "cards"]
    with ctx.db.write() as s:
        s.get(Card, card_id).front = "the cell"
    with ctx.db.write() as s:
        card = s.get(Card, card_id)
        card.front, card.tags = "the living cell", "bio"
    first, second = _new(ctx, add.id)
    assert first.bases == {"front": add.hlc}
    assert second.bases == {"front": first.hlc}  # tags is not a text field: no base
    clock = dict(_sql(ctx, "SELECT field, hlc FROM sync_clock WHERE row_uuid = :u", u=add.row))
    assert clock["front"] == clock["tags"] == second.hlc and clock["back"] == add.hlc


def test_paused_capture_is_this_thread_only(ctx):
    outbox_repo.enable(ctx.db, ACCOUNT)
    with capture.paused():
        _deck_with_card(ctx, "applied from another device")
        other = threading.Thread(target=_deck_with_card, args=(ctx, "typed meanwhile"))
        other.start()
        other.join()
    fronts = [m.fields.get("front") for m in outbox_repo.unsent(ctx.db) if m.table == "cards"]
    assert fronts == ["typed meanwhile"]


def test_stamps_stay_above_the_stored_clock(ctx):
    outbox_repo.enable(ctx.db, ACCOUNT)
    ahead = hlc.format_hlc(hlc.parse(hlc.CLOCK.next("f" * 16))[0] + 86_400_000, 7, "f" * 16)  # a day ahead
    outbox_repo.set_state(ctx.db, "clock", ahead)  # e.g. merged from a device whose clock runs fast
    _deck_with_card(ctx, course=False)
    new = outbox_repo.unsent(ctx.db)
    assert new[0].hlc > ahead and new == sorted(new, key=lambda m: m.hlc)
    assert outbox_repo.get_state(ctx.db, "clock") == new[-1].hlc
    assert all(hlc.parse(m.hlc)[2] == outbox_repo.device_id(ctx.db) for m in new)


def test_settings_sync_only_personal_study_keys(ctx):
    outbox_repo.enable(ctx.db, ACCOUNT)
    for key, value in (("ui.theme", "dark"), ("ui.geometry", "abc"), ("models.llm", "/m.gguf"), ("cpu.threads", 2),
                       ("backups.auto", False), ("review.retention", 0.8), ("notifications.daily_cap", 2)):
        ctx.settings.set(key, value)
    ctx.settings.set("notifications.daily_cap", None)  # back to the default: the row goes, as a tombstone
    got = [(m.row, m.op, m.fields) for m in outbox_repo.unsent(ctx.db)]
    assert got[:2] == [("review.retention", "add", {"value": 0.8}), ("notifications.daily_cap", "add", {"value": 2})]
    assert got[2][:2] == ("notifications.daily_cap", "put") and list(got[2][2]) == ["deleted_at"]
    assert len(got) == 3


def test_outbox_pushing_and_the_device_id(ctx):
    outbox_repo.enable(ctx.db, ACCOUNT)
    for n in range(3):
        _deck_with_card(ctx, f"c{n}", course=False)
    first = outbox_repo.unsent(ctx.db, limit=2)
    assert len(first) == 2 and outbox_repo.waiting(ctx.db) == 6
    outbox_repo.mark_pushed(ctx.db, [m.id for m in first])
    assert outbox_repo.waiting(ctx.db) == 4 and outbox_repo.unsent(ctx.db)[0].id > first[1].id
    assert outbox_repo.prune_pushed(ctx.db) == 2 and outbox_repo.waiting(ctx.db) == 4
    old = outbox_repo.device_id(ctx.db)
    new = outbox_repo.reset_device(ctx.db)
    assert new != old and len(new) == 16 and int(new, 16) >= 0 and outbox_repo.device_id(ctx.db) == new
    _deck_with_card(ctx, "on the new device", course=False)
    assert hlc.parse(outbox_repo.unsent(ctx.db)[-1].hlc)[2] == new


def test_the_spec_matches_the_schema():
    from lmgpa_desktop.storage.base import Base

    seen: set[str] = set()
    for spec in SPECS:
        table = Base.metadata.tables[spec.table]
        assert set(spec.fields) <= set(table.c.keys()), spec.table
        assert spec.key in table.c and not {"id", "uuid", "hlc", "updated_at"} & set(spec.fields)
        for column in spec.fields:  # every local id column travels as its parent's uuid, parents come first
            for fk in table.c[column].foreign_keys:
                assert spec.refs.get(column) == fk.column.table.name, (spec.table, column)
                assert fk.column.table.name in seen, (spec.table, column)
        assert set(spec.refs.values()) <= seen
        seen.add(spec.table)
    cards = {s.table: s for s in SPECS}["cards"]
    assert not {"state", "step", "stability", "difficulty", "due", "last_review"} & set(cards.fields)
    assert "sched_base" in cards.fields
