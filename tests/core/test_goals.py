"""Goals: adding, changing and removing them, their progress from real actions through core (study minutes from
study sessions, cards from the review log net of undos, tests from finished attempts), per class, daily and
weekly, in the student's local days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.progress import goals
from lmgpa_desktop.core.study import practice
from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.storage import cards_repo, library_repo
from lmgpa_desktop.storage import practice_repo
from lmgpa_desktop.storage.practice_repo import QuestionDraft

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


@pytest.fixture
def student(ctx):
    ctx.settings.set(goals.TZ_KEY, "Europe/Berlin")
    return ctx


def by_label(rows):
    return {(p.goal.metric, p.goal.period, p.goal.course_id): p for p in rows}


def test_add_change_remove_and_validate(student):
    g = goals.add(student, "minutes", "daily", 30)
    w = goals.add(student, "cards", "weekly", 200)
    assert [x.id for x in goals.goals(student)] == [g.id, w.id]
    goals.update(student, g.id, target=45)
    assert goals.goals(student)[0].target == 45
    goals.update(student, w.id, active=False)
    assert [x.id for x in goals.goals(student)] == [g.id]
    assert {x.id for x in goals.goals(student, active_only=False)} == {g.id, w.id}
    goals.remove(student, g.id)
    assert goals.goals(student) == []
    for bad in (("hours", "daily", 3), ("cards", "monthly", 3), ("cards", "daily", 0)):
        with pytest.raises(UserError):
            goals.add(student, *bad)
    with pytest.raises(UserError):
        goals.update(student, g.id, target=5)  # removed
    with pytest.raises(ValueError):
        goals.update(student, w.id, colour="red")


def test_defaults_apply_until_a_daily_goal_is_set(student):
    day = date(2026, 11, 11)
    rows = goals.progress(student, now=at(day, 9))
    assert [(p.goal.metric, p.target, p.default) for p in rows] == [("minutes", 10, True), ("cards", 20, True)]
    assert "10 study minutes or 20 cards" in goals.DEFAULT_TEXT
    deck = cards_repo.create_deck(student.db, "D")
    cards = [cards_repo.create_card(student.db, deck.id, f"Q{i}", "A").id for i in range(20)]
    for i, c in enumerate(cards):
        review.answer(student, c, 3, now=at(day, 9) + timedelta(seconds=5 * i))
    assert goals.daily_goal_met(student, day)  # 20 cards: one of the defaults is enough
    goals.add(student, "minutes", "daily", 30)  # the student's own goal replaces the defaults
    assert not goals.daily_goal_met(student, day)
    assert [p.default for p in goals.progress(student, now=at(day, 10))] == [False]


def test_progress_counts_minutes_cards_and_tests_per_class(student, monkeypatch):
    monday = date(2026, 11, 16)
    wednesday = monday + timedelta(days=2)
    bio = library_repo.course_named(student.db, "Biology").id
    goals.add(student, "minutes", "daily", 20)
    goals.add(student, "cards", "daily", 3, course_id=bio)
    goals.add(student, "tests", "weekly", 2)
    bio_deck = cards_repo.create_deck(student.db, "Cells", course_id=bio)
    other = cards_repo.create_deck(student.db, "French")
    bio_cards = [cards_repo.create_card(student.db, bio_deck.id, f"B{i}", "b").id for i in range(4)]
    fr_cards = [cards_repo.create_card(student.db, other.id, f"F{i}", "f").id for i in range(5)]
    for i, c in enumerate(fr_cards + bio_cards[:2]):
        review.answer(student, c, 3, now=at(wednesday, 9) + timedelta(seconds=10 * i))
    review.answer(student, bio_cards[2], 3, now=at(wednesday, 9, 2))
    review.undo_last(student, now=at(wednesday, 9, 3))  # taken back: not a card reviewed
    activity.record(student, "focus", amount=15 * 60, at=at(wednesday, 11))
    tid, _ = practice_repo.create_test(student.db, "T", [], [QuestionDraft("short", "2+2?", "4")], status="ready",
                                    question_status="active")
    for when in (at(monday - timedelta(days=1), 20), at(monday, 20)):  # last Sunday's is not this week's
        monkeypatch.setattr(practice_repo, "utcnow", lambda when=when: when)
        attempt = practice.start(student, tid)
        practice.finish(student, attempt.id, use_llm=False)

    rows = by_label(goals.progress(student, now=at(wednesday, 12)))
    minutes = rows[("minutes", "daily", None)]
    assert 15 <= minutes.done < 20 and not minutes.met and minutes.start == minutes.end == wednesday
    cards = rows[("cards", "daily", bio)]
    assert (cards.done, cards.met, cards.fraction) == (2, False, pytest.approx(2 / 3))
    tests = rows[("tests", "weekly", None)]
    assert (tests.done, tests.start, tests.end, tests.met) == (1, monday, monday + timedelta(days=6), False)
    assert tests.label == "2 practice tests taken a week"
    assert not goals.daily_goal_met(student, wednesday)

    review.answer(student, bio_cards[3], 3, now=at(wednesday, 13))
    activity.record(student, "focus", amount=10 * 60, at=at(wednesday, 14))
    rows = by_label(goals.progress(student, now=at(wednesday, 15)))
    assert rows[("cards", "daily", bio)].met and rows[("minutes", "daily", None)].met
    assert goals.daily_goal_met(student, wednesday)  # weekly goals do not decide a day
    assert not goals.daily_goal_met(student, wednesday + timedelta(days=1))


def test_study_minutes_across_midnight_split_by_local_day(student):
    goals.add(student, "minutes", "daily", 15)
    day = date(2026, 11, 20)
    activity.record(student, "focus", amount=20 * 60, at=at(day + timedelta(days=1), 0, 10))  # 23:50 to 00:10
    per_day = goals.metric_by_day(student, "minutes", day, day + timedelta(days=1))
    assert per_day == {day: pytest.approx(10), day + timedelta(days=1): pytest.approx(10)}
    assert not goals.daily_goal_met(student, day) and not goals.daily_goal_met(student, day + timedelta(days=1))
    # in UTC (an hour behind Berlin in November) the 20 minutes are all on the 20th
    assert goals.daily_goal_met(student, day, tz="UTC")
