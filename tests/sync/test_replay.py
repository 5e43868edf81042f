"""FSRS replay of the merged review log (seeded fuzz, undo, sched_base) and the derived state rebuilt after apply."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fsrs import Card as FsrsCard
from fsrs import Rating, State
from sqlalchemy import text

from lmgpa_desktop import paths
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.core.progress import gamification
from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.study.anki import importing as anki_import
from lmgpa_desktop.core.study.fsrs_fuzz import SeededScheduler
from lmgpa_desktop.core.sync import replay
from lmgpa_desktop.storage import cards_repo
from lmgpa_desktop.storage.models import Card, Deck, DocumentPage, Source
from lmgpa_desktop.storage.sync import apply_repo, outbox_repo, replay_repo
from lmgpa_desktop.storage.sync.apply_repo import Incoming
from lmgpa_desktop.storage.sync.hlc import parse

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACCOUNT = {"server_url": "http://sync.test", "email": "sam@example.edu", "user_id": 7}


def _state(ctx, card_id: int) -> dict:
    return review_state(cards_repo.get_card(ctx.db, card_id))


def review_state(card) -> dict:
    return {k: getattr(card, k) for k in cards_repo.STATE_FIELDS}


def _cards(ctx, n: int = 1) -> list[int]:
    with ctx.db.write() as s:
        deck = Deck(name="Cells")
        s.add(deck)
        s.flush()
        cards = [Card(deck_id=deck.id, front=f"q{i}", back=f"a{i}") for i in range(n)]
        s.add_all(cards)
        s.flush()
        return [c.id for c in cards]


def _scramble(ctx, card_id: int) -> None:
    replay_repo.set_states(ctx.db, {card_id: {"state": 3, "step": 0, "stability": 0.5, "difficulty": 9.0,
                                              "due": T0, "last_review": T0}})


def test_the_fuzz_is_fixed_by_the_seed_and_still_spreads_intervals():
    sched = SeededScheduler(desired_retention=0.9)
    card = FsrsCard(state=State.Review, stability=40.0, difficulty=5.0, due=T0, last_review=T0 - timedelta(days=40))

    def due(seed: str) -> datetime:
        return sched.review_seeded(seed, card, Rating.Good, T0)[0].due

    assert due("log-1") == due("log-1")
    assert len({due(f"log-{i}") for i in range(30)}) > 3  # the fuzz is still there, only reproducible


def test_replay_gives_exactly_the_due_dates_the_student_saw_and_undo_restores(ctx):
    (card_id,) = _cards(ctx)
    seen = []
    at = T0
    fuzzed = False
    for rating in (3, 3, 3, 4, 3, 2, 3):  # intervals grow past 2.5 days, where the fuzz applies
        result = review.answer(ctx, card_id, rating, now=at)
        seen.append(_state(ctx, card_id))
        fuzzed = fuzzed or result.interval >= timedelta(days=3)
        at = result.due + timedelta(hours=2)
    assert fuzzed
    review.undo_last(ctx, now=at)
    assert _state(ctx, card_id) == seen[-2]
    assert replay.expected_states(ctx, [card_id])[card_id] == seen[-2]
    _scramble(ctx, card_id)
    assert replay.replay_cards(ctx, [card_id]) == 1
    assert _state(ctx, card_id) == seen[-2]
    assert replay.replay_cards(ctx, [card_id]) == 0  # nothing left to change


def test_an_imported_anki_schedule_is_the_base_the_replay_starts_from(ctx, shared):
    anki_import.import_file(ctx, shared / "anki" / "ankipandas" / "collection.anki2")
    with ctx.db.read() as s:
        rows = s.execute(text("SELECT id, state, sched_base FROM cards")).all()
    reviewed = [r.id for r in rows if r.state != 0]
    assert reviewed and all(r.sched_base is not None for r in rows if r.state != 0)
    assert all(r.sched_base is None for r in rows if r.state == 0)
    before = {cid: _state(ctx, cid) for cid in reviewed}
    # the Anki revlog is older than the base: it is history, not replayed again
    assert replay.replay_cards(ctx, [r.id for r in rows]) == 0
    assert {cid: _state(ctx, cid) for cid in reviewed} == before
    review.answer(ctx, reviewed[0], 3, now=datetime.now(UTC) + timedelta(days=1))
    after = _state(ctx, reviewed[0])
    _scramble(ctx, reviewed[0])
    replay.replay_all(ctx)
    assert _state(ctx, reviewed[0]) == after


def test_snapshot_bases_freezes_history_made_before_sync(ctx):
    (card_id,) = _cards(ctx)
    review.answer(ctx, card_id, 3, now=T0)
    _scramble(ctx, card_id)  # a state its log does not explain (an answer from before fuzz was seeded, say)
    state = _state(ctx, card_id)
    assert replay.expected_states(ctx, [card_id])[card_id] != state
    assert replay_repo.snapshot_bases(ctx.db, T0 + timedelta(minutes=1)) == 1
    assert replay.expected_states(ctx, [card_id])[card_id] == state


def _profile(root: Path, template: Path, name: str):
    home = root / name
    home.mkdir()
    shutil.copyfile(template, paths.database_path(home))
    ctx = open_app(home)
    outbox_repo.reset_device(ctx.db)
    outbox_repo.enable(ctx.db, ACCOUNT)
    return ctx


def _incoming(db) -> list[Incoming]:
    out = outbox_repo.unsent(db, limit=100_000)
    outbox_repo.mark_pushed(db, [m.id for m in out])
    return [Incoming(m.msg_id, m.hlc, parse(m.hlc)[2], m.table, m.row, m.op, m.fields, m.bases) for m in out]


@pytest.fixture
def pair(tmp_path, migrated_database):
    a = _profile(tmp_path, migrated_database, "a")
    b = _profile(tmp_path, migrated_database, "b")
    yield a, b
    a.close()
    b.close()


def test_after_a_merge_both_devices_hold_the_replay_of_the_merged_log_and_the_points(pair):
    a, b = pair
    ids = _cards(a, 3)
    got = apply_repo.apply(b.db, _incoming(a.db), lambda d: "")
    replay.rebuild_after(b, got)
    # offline on both: a answers every card on day 0 and card 0 again on day 3; b answers card 0 on day 1
    for cid in ids:
        review.answer(a, cid, 3, now=T0)
    review.answer(a, ids[0], 3, now=T0 + timedelta(days=3))
    with b.db.read() as s:
        b_first = s.execute(text("SELECT id FROM cards ORDER BY id")).scalar()
    review.answer(b, b_first, 1, now=T0 + timedelta(days=1))
    gamification.drain(a)
    gamification.drain(b)
    from_a, from_b = _incoming(a.db), _incoming(b.db)
    summaries = []
    for here, msgs in ((a, from_b), (b, from_a)):
        applied = apply_repo.apply(here.db, msgs, lambda d: "")
        summaries.append(replay.rebuild_after(here, applied, now=T0 + timedelta(days=4)))
    assert summaries[0]["cards"] == 1 and summaries[1]["cards"] >= 3
    by_uuid = [{u: s for u, s in ((c.uuid, review_state(c)) for c in cards_repo.cards_of_deck(x.db, 1))} for x in (a, b)]
    assert by_uuid[0] == by_uuid[1]
    for here in (a, b):
        expected = replay.expected_states(here, [c.id for c in cards_repo.cards_of_deck(here.db, 1)])
        assert {cid: review_state(cards_repo.get_card(here.db, cid)) for cid in expected} == expected
    # points are judged again from the merged activity: both devices count all four days' answers the same way
    assert gamification.total_points(a) == gamification.total_points(b) > 0


def test_arrived_document_text_queues_the_index_job(pair):
    a, b = pair
    with a.db.write() as s:
        src = Source(kind="pdf", title="Cell biology notes", status="ready")
        s.add(src)
        s.flush()
        s.add(DocumentPage(source_id=src.id, page_no=1, text="Mitochondria make ATP."))
    applied = apply_repo.apply(b.db, _incoming(a.db), lambda d: "")
    assert applied.sources
    assert replay.rebuild_after(b, applied)["indexing"] == 1
    jobs = [j for j in b.jobs.recent() if j.kind == "index"]
    assert [j.payload["source_id"] for j in jobs] == sorted(applied.sources)
