"""The Progress aggregates (SQL) match the raw session, review-log, card and attempt rows counted here in Python."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.progress import analytics
from lmgpa_desktop.core.study import practice
from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.progress import sessions
from lmgpa_desktop.storage import cards_repo, library_repo
from lmgpa_desktop.storage import practice_repo
from lmgpa_desktop.storage import review_logs_repo
from lmgpa_desktop.storage.practice_repo import QuestionDraft

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 12, 20, 0, tzinfo=UTC)
TZ = ZoneInfo("America/New_York")  # crosses a DST change (8 March) inside the range


@pytest.fixture
def history(ctx):
    """Ten days of reviews (with undos), recordings and focus periods in two classes, through core."""
    rng = random.Random(7)
    bio = library_repo.course_named(ctx.db, "Biology").id
    chem = library_repo.course_named(ctx.db, "Chemistry").id
    decks = {bio: cards_repo.create_deck(ctx.db, "Cells", course_id=bio).id,
             chem: cards_repo.create_deck(ctx.db, "Acids", course_id=chem).id}
    cards = {c: [cards_repo.create_card(ctx.db, d, f"{c} q{i}", "a").id for i in range(12)] for c, d in decks.items()}
    for day in range(10):
        t = START + timedelta(days=day, hours=rng.randint(0, 14))
        for ids in cards.values():
            for card in rng.sample(ids, 6):
                t += timedelta(seconds=rng.randint(10, 200))
                review.answer(ctx, card, rng.choice([1, 3, 3, 4]), duration_ms=rng.randint(3000, 30000), now=t)
                if rng.random() < 0.15:
                    t += timedelta(seconds=5)
                    review.undo_last(ctx, now=t)
        t += timedelta(minutes=rng.randint(6, 90))
        minutes = rng.randint(5, 70)
        activity.record(ctx, "recording", course_id=rng.choice([bio, chem]), amount=minutes * 60,
                        at=t + timedelta(minutes=minutes), details={"started_at": t.isoformat()})
        if day % 3 == 0:  # a focus period across local midnight
            end = datetime.combine(date(2026, 3, 2) + timedelta(days=day), datetime.min.time(), TZ) + timedelta(
                minutes=20)
            activity.record(ctx, "focus", amount=40 * 60, at=end)
    return {"bio": bio, "chem": chem, "cards": cards}


def _kept_logs(ctx):
    """Review logs minus undone answers, undoing like the review screen's stack: each undo pops its card's last."""
    rows = sorted(review_logs_repo.review_logs(ctx.db), key=lambda r: r.id)
    stacks, cancelled = defaultdict(list), set()
    for r in rows:
        if r.rating == 0:
            if stacks[r.card_id]:
                cancelled.add(stacks[r.card_id].pop())
        else:
            stacks[r.card_id].append(r.id)
    return [r for r in rows if r.rating > 0 and r.id not in cancelled]


def _minutes_by_local_day(rows, tz):
    """Spread each session's active seconds evenly over its span and cut it at local midnights."""
    out = Counter()
    for s in rows:
        span = (s.ended_at - s.started_at).total_seconds()
        cur = s.started_at
        while cur < s.ended_at:
            local = cur.astimezone(tz).date()
            nxt = min(s.ended_at, sessions.day_bounds(local, tz)[1])
            part = (nxt - cur).total_seconds()
            out[local] += s.active_seconds * (part / span if span else 1) / 60
            cur = nxt if span else s.ended_at
    return out


def test_study_minutes_per_day_week_class_and_kind_match_the_sessions(ctx, history):
    rep = analytics.report(ctx, "month", now=NOW, tz=TZ)
    rows = sessions.between(ctx, START - timedelta(days=1), NOW)
    assert len(rows) >= 10 and {r.kind for r in rows} >= {"review", "recording", "focus"}
    expected = _minutes_by_local_day(rows, TZ)
    assert rep.start == date(2026, 2, 11) and rep.end == date(2026, 3, 12) and len(rep.minutes_by_day) == 30
    for day, minutes in rep.minutes_by_day.items():
        assert minutes == pytest.approx(expected.get(day, 0.0), abs=1e-6), day
    assert rep.total_minutes == pytest.approx(sum(r.active_seconds for r in rows) / 60, abs=1e-6)
    weeks = Counter()
    for day, minutes in expected.items():
        weeks[day - timedelta(days=day.weekday())] += minutes
    assert {k: round(v, 6) for k, v in rep.minutes_by_week.items() if v} == {k: round(v, 6) for k, v in weeks.items()}
    per_class, per_kind = Counter(), Counter()
    for r in rows:
        per_class[{history["bio"]: "Biology", history["chem"]: "Chemistry", None: "No class"}[r.course_id]] += \
            r.active_seconds / 60
        per_kind[r.kind] += r.active_seconds / 60
    assert rep.minutes_by_class == pytest.approx(dict(per_class))
    assert rep.minutes_by_kind == pytest.approx(dict(per_kind))
    # the heatmap covers a year ending today, with the same numbers
    assert len(rep.heatmap) == 365 and max(rep.heatmap) == date(2026, 3, 12)
    assert all(rep.heatmap[d] == pytest.approx(m) for d, m in rep.minutes_by_day.items())


def test_class_filter_keeps_only_that_class(ctx, history):
    rep = analytics.report(ctx, "month", course_id=history["bio"], now=NOW, tz=TZ)
    rows = [r for r in sessions.between(ctx, START - timedelta(days=1), NOW) if r.course_id == history["bio"]]
    assert rep.total_minutes == pytest.approx(sum(r.active_seconds for r in rows) / 60)
    assert list(rep.minutes_by_class) == ["Biology"]
    kept = [r for r in _kept_logs(ctx) if r.card_id in history["cards"][history["bio"]]]
    assert rep.total_reviews == len(kept)


def test_reviews_per_day_and_true_retention_leave_out_undone_answers(ctx, history):
    rep = analytics.report(ctx, "month", now=NOW, tz=TZ)
    kept = _kept_logs(ctx)
    all_rated = [r for r in review_logs_repo.review_logs(ctx.db) if r.rating > 0]
    assert len(kept) < len(all_rated)  # the fixture did undo some answers
    per_day = Counter(r.reviewed_at.astimezone(TZ).date() for r in kept)
    assert {d: n for d, n in rep.reviews_by_day.items() if n} == dict(per_day)
    review_state = [r for r in kept if r.state_before == 2]
    assert review_state, "the fixture must answer cards already in the review state"
    assert rep.review_answers == len(review_state)
    assert rep.retention == pytest.approx(sum(r.rating > 1 for r in review_state) / len(review_state))
    for day, value in rep.retention_by_day.items():
        base = [r for r in review_state if r.reviewed_at.astimezone(TZ).date() == day]
        assert value == (pytest.approx(sum(r.rating > 1 for r in base) / len(base)) if base else None)


def test_nested_undos_of_one_card_cancel_both_answers(ctx):
    deck = cards_repo.create_deck(ctx.db, "One")
    card = cards_repo.create_card(ctx.db, deck.id, "q", "a")
    other = cards_repo.create_card(ctx.db, deck.id, "q2", "a")
    t = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)
    review.answer(ctx, card.id, 4, now=t)
    review.answer(ctx, card.id, 1, now=t + timedelta(minutes=1))
    review.answer(ctx, other.id, 3, now=t + timedelta(minutes=2))
    review.undo_last(ctx, now=t + timedelta(minutes=3))  # other
    review.undo_last(ctx, now=t + timedelta(minutes=3))  # card's Again
    review.undo_last(ctx, now=t + timedelta(minutes=3))  # card's Easy
    review.answer(ctx, card.id, 3, now=t + timedelta(minutes=4))
    rep = analytics.report(ctx, "week", now=t + timedelta(hours=1), tz=UTC)
    assert rep.reviews_by_day[date(2026, 3, 5)] == 1 == len(_kept_logs(ctx))


def test_forecast_counts_due_seen_cards_per_day_with_overdue_today(ctx, history):
    today = NOW.astimezone(TZ).date()
    got = analytics.forecast(ctx, today, TZ)
    assert list(got) == [today + timedelta(days=i) for i in range(30)]
    expected = Counter()
    for ids in history["cards"].values():
        for cid in ids:
            c = cards_repo.get_card(ctx.db, cid)
            if c.state == 0 or c.suspended:
                continue
            day = max(c.due.astimezone(TZ).date(), today)
            if day < today + timedelta(days=30):
                expected[day] += 1
    assert {d: n for d, n in got.items() if n} == dict(expected)
    assert sum(got.values()) > 0
    # a suspended card leaves the forecast
    some = next(c for ids in history["cards"].values() for c in ids if cards_repo.get_card(ctx.db, c).state != 0)
    due_day = max(cards_repo.get_card(ctx.db, some).due.astimezone(TZ).date(), today)
    cards_repo.update_card(ctx.db, some, suspended=True)
    if due_day in got:
        assert analytics.forecast(ctx, today, TZ)[due_day] == got[due_day] - 1


def test_practice_test_scores_over_time(ctx):
    drafts = [QuestionDraft("tf", "Water boils at 100 C at sea level?", "true"),
              QuestionDraft("tf", "Ice sinks?", "false")]
    tid, _ = practice_repo.create_test(ctx.db, "Water", [], drafts, status="ready", question_status="active")
    percents = []
    for responses in (["true", "true"], ["true", "false"]):
        attempt = practice.start(ctx, tid)
        for q, text in zip(practice.questions(ctx, tid), responses, strict=True):
            practice.record(ctx, attempt.id, q.id, text)
        percents.append(practice.finish(ctx, attempt.id, use_llm=False).percent)
    rep = analytics.report(ctx, "week")
    assert [(title, pct) for _, title, pct in rep.tests] == [("Water", p) for p in percents] == [
        ("Water", 50.0), ("Water", 100.0)]
    assert rep.minutes_by_kind.keys() <= {"test"}


def test_ranges(ctx, history):
    assert analytics.report(ctx, "week", now=NOW, tz=TZ).start == date(2026, 3, 6)
    assert analytics.report(ctx, "term", now=NOW, tz=TZ).start == date(2026, 3, 12) - timedelta(days=119)
    everything = analytics.report(ctx, "all", now=NOW, tz=TZ)
    assert everything.start == min(r.started_at for r in sessions.between(
        ctx, START - timedelta(days=5), NOW)).astimezone(TZ).date()
    with pytest.raises(ValueError):
        analytics.report(ctx, "decade")
