"""Points, achievements and the streak from scripted real actions through core, with a controlled clock:
caps, undo, the same card or test repeated, day boundaries, time zones, DST days and streak freezes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.progress import achievements
from lmgpa_desktop.core.progress import gamification
from lmgpa_desktop.core.progress import goals
from lmgpa_desktop.core.progress import notifications
from lmgpa_desktop.core.progress import points
from lmgpa_desktop.core.study import practice
from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.storage import cards_repo, gamification_repo
from lmgpa_desktop.storage import practice_repo
from lmgpa_desktop.storage.practice_repo import QuestionDraft

BERLIN = ZoneInfo("Europe/Berlin")
QUESTIONS = [QuestionDraft("short", "What reads and executes Python code?", "interpreter"),
             QuestionDraft("tf", "True or false? An integer has a fractional part.", "False", ["True", "False"])]


def at(day: date, hour: int, minute: int = 0, tz=BERLIN) -> datetime:
    """A local wall-clock time as a UTC instant."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


@pytest.fixture
def student(ctx):
    """A profile whose days are Berlin days, with one deck of 150 new cards."""
    ctx.settings.set(goals.TZ_KEY, "Europe/Berlin")
    deck = cards_repo.create_deck(ctx.db, "Biology")
    ctx.cards = [cards_repo.create_card(ctx.db, deck.id, f"Question {i}?", f"Answer {i}").id for i in range(150)]
    return ctx


def open_profile(tmp_path, name: str, tz: str, cards: int = 60):
    """Another fresh profile living in a given time zone."""
    c = open_app(tmp_path / name)
    c.settings.set(goals.TZ_KEY, tz)
    deck = cards_repo.create_deck(c.db, "Deck")
    c.cards = [cards_repo.create_card(c.db, deck.id, f"Q{i}", "A").id for i in range(cards)]
    return c


def answer_many(ctx, card_ids, start: datetime, rating: int = 3, gap_s: int = 10) -> datetime:
    """Answer each card once, gap_s apart, at a student's pace: each answer is judged before the next is given
    (a script outruns the judging thread, which reads the data as it is when it judges); the time after."""
    t = start
    for card_id in card_ids:
        review.answer(ctx, card_id, rating, now=t)
        gamification.drain(ctx)
        t += timedelta(seconds=gap_s)
    return t


def by_rule(ctx) -> dict[str, int]:
    """Points per rule once every recorded action has been judged (that happens on a worker thread)."""
    gamification.drain(ctx)
    return gamification_repo.points_by_rule(ctx.db)


def unlocked(ctx) -> dict[str, datetime]:
    gamification.drain(ctx)
    return gamification_repo.unlocked(ctx.db)


def take_test(ctx, monkeypatch, test_id: int, answers: list[str], finished: datetime):
    """Sit a practice test through core, finishing at a chosen instant."""
    monkeypatch.setattr(practice_repo, "utcnow", lambda: finished)
    attempt = practice.start(ctx, test_id)
    for q, text in zip(practice.questions(ctx, test_id), answers, strict=True):
        practice.record(ctx, attempt.id, q.id, text)
    return practice.finish(ctx, attempt.id, use_llm=False)


# -- points --------------------------------------------------------------------------------------------------------
def test_reviews_pay_once_per_card_a_day_and_undo_takes_points_back(student):
    day = date(2026, 11, 2)
    c1, c2 = student.cards[:2]

    def cards_points():  # minutes of study also meet the default daily goal here; only card rules are watched
        return {k: v for k, v in by_rule(student).items() if k in ("review", "new_card")}

    review.answer(student, c1, 3, now=at(day, 9))
    assert cards_points() == {"review": 1, "new_card": 2}
    review.answer(student, c1, 3, now=at(day, 9, 5))  # the same card again: nothing more
    review.answer(student, c1, 1, now=at(day, 9, 6))
    assert cards_points() == {"review": 1, "new_card": 2}
    review.answer(student, c2, 4, now=at(day, 9, 10))
    assert cards_points() == {"review": 2, "new_card": 4}
    review.undo_last(student, now=at(day, 9, 11))  # c2's only answer taken back: its points go
    assert cards_points() == {"review": 1, "new_card": 2}
    review.answer(student, c2, 3, now=at(day, 9, 12))  # answered for real now
    assert cards_points() == {"review": 2, "new_card": 4}
    review.undo_last(student, now=at(day, 9, 13))
    review.undo_last(student, now=at(day, 9, 14))  # undoes c1's last answer; c1 has earlier ones standing
    assert cards_points() == {"review": 1, "new_card": 2}
    assert by_rule(student).get("daily_goal") == 25  # 9:00 to 9:14 of reviewing: the default 10 minutes
    review.answer(student, c1, 3, now=at(day + timedelta(days=1), 9))  # a new local day pays again
    assert by_rule(student)["review"] == 2


def test_daily_caps_and_the_daily_goal_paid_once(student):
    day = date(2026, 11, 3)
    answer_many(student, student.cards[:120], at(day, 8))
    rules = by_rule(student)
    # 120 new cards: review capped at 100 x 1, new_card at 30 x 2, and the default daily goal (20 cards) once
    assert rules == {"review": 100, "new_card": 60, "daily_goal": 25}
    assert gamification.total_points(student) == 185 and points.level_for(185) == 2
    # the cap is per local day: 00:30 Berlin the next morning is still 23:30 UTC of this day, and pays
    review.answer(student, student.cards[130], 3, now=at(day + timedelta(days=1), 0, 30))
    assert by_rule(student)["review"] == 101


def test_retention_held_on_twenty_reviews(student):
    day = date(2026, 11, 4)
    cards = student.cards[:25]
    answer_many(student, cards, at(day, 8), rating=4)  # Easy: straight into review (state 2)
    assert all(cards_repo.get_card(student.db, c).state == 2 for c in cards)
    later = day + timedelta(days=3)
    answer_many(student, cards[:19], at(later, 8))
    assert "retention" not in by_rule(student)  # 19 reviews are not enough to judge
    answer_many(student, cards[19:21], at(later, 9))
    assert by_rule(student)["retention"] == 20
    answer_many(student, cards[21:], at(later, 10))
    assert by_rule(student)["retention"] == 20  # once a day


def test_retention_below_target_earns_nothing(student):
    day = date(2026, 11, 4)
    cards = student.cards[:25]
    answer_many(student, cards, at(day, 8), rating=4)
    later = day + timedelta(days=3)
    answer_many(student, cards[:5], at(later, 8), rating=1)
    answer_many(student, cards[5:], at(later, 9), rating=3)  # at best 20 of 25 recalled: 0.8 < 0.9
    assert "retention" not in by_rule(student)


def test_tests_recordings_and_focus(student, monkeypatch):
    day = date(2026, 11, 5)
    tid, _ = practice_repo.create_test(student.db, "Python", [], QUESTIONS, status="ready", question_status="active")
    result = take_test(student, monkeypatch, tid, ["interpreter", "False"], at(day, 10))
    assert result.percent == 100.0
    assert by_rule(student) == {"test": 10, "test_pass": 15}
    take_test(student, monkeypatch, tid, ["interpreter", "False"], at(day, 11))  # same test, same day
    assert gamification.total_points(student) == 25
    tid2, _ = practice_repo.create_test(student.db, "Python 2", [], QUESTIONS, status="ready", question_status="active")
    low = take_test(student, monkeypatch, tid2, ["compiler", "False"], at(day, 12))
    assert low.percent == 50.0 and by_rule(student) == {"test": 20, "test_pass": 15}
    activity.record(student, "recording", amount=25 * 60, at=at(day, 14))  # two full 10-minute parts
    activity.record(student, "recording", amount=9 * 60, at=at(day, 15))  # under 10 minutes
    activity.record(student, "focus", amount=25 * 60, at=at(day, 16))
    activity.record(student, "focus", amount=5 * 60, at=at(day, 17))  # too short to count
    rules = by_rule(student)
    assert rules["recording"] == 6 and rules["focus"] == 5
    for n in range(10):  # the recording cap: 12 parts a day
        activity.record(student, "recording", amount=3600, at=at(day, 18, n))
    assert by_rule(student)["recording"] == 12 * 3


def test_level_curve():
    assert [points.level_floor(n) for n in range(1, 6)] == [0, 100, 300, 600, 1000]
    assert points.level_for(0) == 1 and points.level_for(99) == 1 and points.level_for(100) == 2
    assert points.level_for(999) == 4 and points.level_for(1000) == 5 and points.level_for(4500) == 10


# -- achievements -----------------------------------------------------------------------------------------------
def test_achievements_unlock_once_with_time_and_are_announced(student, monkeypatch):
    seen = []
    achievements.subscribe_unlocks(student, seen.append)
    try:
        day = date(2026, 11, 6)
        first = at(day, 6, 15)  # before 7:00 in Berlin: early bird
        review.answer(student, student.cards[0], 3, now=first)
        gamification.drain(student)  # unlocks are judged, and announced, on the worker thread
        assert [u.code for u in seen] == ["first_card", "early_bird"]
        kept = [n.title for n in notifications.items(student) if n.kind == "achievement"]
        assert sorted(kept) == ["Achievement unlocked: Early bird", "Achievement unlocked: First card"]
        review.answer(student, student.cards[1], 3, now=at(day, 6, 20))
        gamification.drain(student)
        assert len(seen) == 2  # once only
        answer_many(student, student.cards[2:120], at(day, 12))
        gamification.drain(student)
        assert {"cards_100", "goal_first"} <= {u.code for u in seen}
        tid, _ = practice_repo.create_test(student.db, "T", [], QUESTIONS, status="ready", question_status="active")
        take_test(student, monkeypatch, tid, ["interpreter", "False"], at(day, 13))
        activity.record(student, "recording", amount=600, at=at(day, 23, 30))  # night owl, in Berlin
        activity.record(student, "focus", amount=55 * 60, at=at(day + timedelta(days=1), 15))
    finally:
        achievements.unsubscribe_unlocks(student, seen.append)
    got = unlocked(student)
    for code in ("first_test", "test_80", "test_perfect", "first_recording", "night_owl", "deep_work"):
        assert code in got
    assert got["first_card"] == first and got["night_owl"] == at(day, 23, 30)
    assert "cards_1000" not in got and "streak_7" not in got
    status = {a.code: a for a in gamification.achievements(student, now=at(day, 23, 45))}
    assert len(status) >= 20 and status["cards_1000"].current == 120 and not status["cards_1000"].unlocked
    assert status["first_card"].unlocked and status["first_card"].fraction == 1.0
    summary = gamification.summary(student, now=at(day, 23, 45))
    assert {a["code"] for a in summary["achievements"]} == set(got)
    assert summary["points"] == gamification.total_points(student) and summary["level"] == points.level_for(summary["points"])


def test_night_owl_depends_on_the_students_zone(tmp_path):
    day = date(2026, 11, 6)
    for tz, expected in (("Europe/Berlin", False), ("America/New_York", True)):
        c = open_profile(tmp_path, tz.replace("/", "_"), tz, cards=1)
        try:
            review.answer(c, c.cards[0], 3, now=at(day, 5, 0, ZoneInfo("Europe/Berlin")))  # 23:00 in New York
            assert ("night_owl" in unlocked(c)) is expected
        finally:
            gamification.drain(c)
            c.close()


def test_class_act_needs_every_class_goal_for_a_week(student):
    from lmgpa_desktop.storage import library_repo

    course = library_repo.course_named(student.db, "Biology 101")
    deck = cards_repo.create_deck(student.db, "Bio 101", course_id=course.id)
    cards = [cards_repo.create_card(student.db, deck.id, f"B{i}", "b").id for i in range(40)]
    goals.add(student, "cards", "daily", 5, course_id=course.id)
    monday = date(2026, 11, 9)
    for i in range(6):
        answer_many(student, cards[i * 5:i * 5 + 5], at(monday + timedelta(days=i), 10))
    assert "class_week" not in unlocked(student)
    answer_many(student, cards[30:35], at(monday + timedelta(days=6), 10))  # Sunday completes the week
    assert "class_week" in unlocked(student)


# -- streak --------------------------------------------------------------------------------------------------------
def study_day(ctx, day: date, tz: ZoneInfo, n: int = 20, hour: int = 12) -> None:
    """Meet the default daily goal (20 cards) on a local day, reusing cards so none runs out."""
    answer_many(ctx, [ctx.cards[(day.toordinal() * n + i) % len(ctx.cards)] for i in range(n)], at(day, hour, 0, tz),
                gap_s=5)


def test_streak_grows_earns_a_freeze_spends_it_and_breaks(tmp_path):
    tz = ZoneInfo("Pacific/Auckland")
    c = open_profile(tmp_path, "akl", "Pacific/Auckland")
    try:
        first = date(2026, 3, 30)  # Auckland leaves daylight saving on 5 April: a 25-hour day inside the run
        for i in range(7):
            study_day(c, first + timedelta(days=i), tz)
        s = gamification.streak(c, now=at(first + timedelta(days=6), 20, 0, tz))
        assert (s.days, s.met_today, s.at_risk_today, s.freezes_available) == (7, True, False, 0)
        # next morning: 7 settled days earn a freeze; today is not met yet, so the streak is at risk
        s = gamification.streak(c, now=at(first + timedelta(days=7), 8, 0, tz))
        assert (s.days, s.freezes_available, s.at_risk_today) == (7, 1, True)
        # day 8 missed; day 9 studied: the freeze covers day 8, the streak goes on without growing for it
        study_day(c, first + timedelta(days=8), tz)
        s = gamification.streak(c, now=at(first + timedelta(days=8), 21, 0, tz))
        assert (s.days, s.freezes_available) == (8, 0) and s.frozen_days == (first + timedelta(days=7),)
        assert [f.used_on for f in gamification_repo.freezes(c.db)] == [first + timedelta(days=7)]
        # two more days missed with no freeze: the streak is over, the longest is remembered
        s = gamification.streak(c, now=at(first + timedelta(days=11), 9, 0, tz))
        assert (s.days, s.longest, s.at_risk_today) == (0, 8, False)
        assert "streak_7" in unlocked(c) and "freeze" in unlocked(c)
    finally:
        gamification.drain(c)
        c.close()


def test_at_most_two_freezes_are_held(tmp_path):
    tz = ZoneInfo("America/New_York")
    c = open_profile(tmp_path, "ny", "America/New_York")
    try:
        first = date(2026, 10, 20)  # New York leaves daylight saving on 1 November, inside the run
        for i in range(22):
            study_day(c, first + timedelta(days=i), tz)
        s = gamification.streak(c, now=at(first + timedelta(days=22), 9, 0, tz))
        assert (s.days, s.freezes_available) == (22, 2)
        assert len(gamification_repo.freezes(c.db)) == 2
    finally:
        gamification.drain(c)
        c.close()


def test_days_are_local_days_across_zones(tmp_path):
    # ten cards at 23:00 and ten at 01:00 in Los Angeles: two local days of 10, but one UTC day of 20
    la = ZoneInfo("America/Los_Angeles")
    monday, tuesday = date(2026, 11, 16), date(2026, 11, 17)
    results = {}
    for tz in ("America/Los_Angeles", "UTC"):
        c = open_profile(tmp_path, tz.replace("/", "_"), tz)
        try:
            answer_many(c, c.cards[:10], at(monday, 23, 0, la))
            answer_many(c, c.cards[10:20], at(tuesday, 1, 0, la))
            now = at(tuesday, 2, 0, la)
            results[tz] = (goals.daily_goal_met(c, monday), goals.daily_goal_met(c, tuesday),
                           gamification.streak(c, now=now).days, gamification_repo.rule_points(c.db, "daily_goal"))
        finally:
            gamification.drain(c)
            c.close()
    assert results["America/Los_Angeles"] == (False, False, 0, 0)
    assert results["UTC"] == (False, True, 1, 25)  # 07:00 and 09:00 UTC Tuesday


def test_dst_days_have_their_own_length(tmp_path):
    c = open_profile(tmp_path, "berlin", "Europe/Berlin")
    try:
        fall_back = date(2026, 10, 25)  # 25 hours long in Berlin
        answer_many(c, c.cards[:10], at(fall_back, 0, 30))
        answer_many(c, c.cards[10:20], at(fall_back, 23, 30))  # 22:30 UTC; a fixed +02:00 would say 26 Oct
        assert goals.daily_goal_met(c, fall_back)
        assert not goals.daily_goal_met(c, fall_back + timedelta(days=1))
        assert not goals.daily_goal_met(c, fall_back, tz="UTC")  # 10 cards on the 24th and 10 on the 25th
        spring = date(2026, 3, 29)  # 23 hours long
        answer_many(c, c.cards[20:30], at(spring, 0, 10))
        answer_many(c, c.cards[30:40], at(spring, 23, 50))
        assert goals.daily_goal_met(c, spring) and not goals.daily_goal_met(c, spring - timedelta(days=1))
        s = gamification.streak(c, now=at(fall_back + timedelta(days=1), 12))
        assert (s.days, s.at_risk_today) == (1, True)
    finally:
        gamification.drain(c)
        c.close()


def test_personal_bests(student, monkeypatch):
    day = date(2026, 11, 10)
    answer_many(student, student.cards[:30], at(day, 9))
    answer_many(student, student.cards[30:52], at(day + timedelta(days=1), 9))
    tid, _ = practice_repo.create_test(student.db, "T", [], QUESTIONS, status="ready", question_status="active")
    take_test(student, monkeypatch, tid, ["compiler", "False"], at(day, 10))
    activity.record(student, "focus", amount=40 * 60, at=at(day, 11))
    activity.record(student, "focus", amount=25 * 60, at=at(day, 12))
    bests = gamification.personal_bests(student, now=at(day + timedelta(days=1), 18))
    assert (bests.most_cards_day, bests.most_cards_on) == (30, "2026-11-10")
    assert bests.best_test_percent == 50.0 and bests.longest_focus_min == 40.0 and bests.longest_streak == 2
    # finished days are remembered; a later, bigger day still wins, first live and then from memory
    answer_many(student, student.cards[52:92], at(day + timedelta(days=3), 9))
    assert gamification.personal_bests(student, now=at(day + timedelta(days=3), 18)).most_cards_day == 40
    later = gamification.personal_bests(student, now=at(day + timedelta(days=5), 18))
    assert (later.most_cards_day, later.most_cards_on) == (40, "2026-11-13")


def test_a_week_of_study(student, monkeypatch):
    goals.add(student, "cards", "daily", 20)  # the student's own goal: minutes do not decide a day
    monday = date(2026, 11, 23)
    tid, _ = practice_repo.create_test(student.db, "Week test", [], QUESTIONS, status="ready", question_status="active")
    for i in range(7):
        day = monday + timedelta(days=i)
        answer_many(student, student.cards[i * 20:(i + 1) * 20], at(day, 9))
        if i == 2:
            take_test(student, monkeypatch, tid, ["interpreter", "False"], at(day, 18))
        if i == 4:
            activity.record(student, "focus", amount=25 * 60, at=at(day, 15))
            activity.record(student, "recording", amount=35 * 60, at=at(day, 11))
    sunday = monday + timedelta(days=6)
    assert by_rule(student) == {"review": 140, "new_card": 280, "daily_goal": 7 * 25, "test": 10, "test_pass": 15,
                                "focus": 5, "recording": 9}
    summary = gamification.summary(student, now=at(sunday, 20))
    assert (summary["points"], summary["level"], summary["next_level_points"]) == (634, 4, 1000)
    assert (summary["streak_days"], summary["freezes_available"]) == (7, 0)
    got = unlocked(student)
    assert got["streak_7"] == got["weekend"] == at(sunday, 9) + timedelta(seconds=19 * 10)  # the 20th card
    assert {"first_card", "goal_first", "cards_100", "new_50", "first_test", "test_80", "test_perfect",
            "first_recording"} <= set(got)
    s = gamification.streak(student, now=at(sunday + timedelta(days=1), 7))
    assert (s.days, s.freezes_available, s.at_risk_today) == (7, 1, True)
    review.answer(student, student.cards[140], 3, now=at(sunday + timedelta(days=1), 8))
    assert "freeze" in unlocked(student)


def test_caps_hold_when_actions_come_from_several_threads(student):
    import threading

    day = date(2026, 11, 24)
    halves = (student.cards[:60], student.cards[60:120])

    def work(cards, offset):
        for i, card_id in enumerate(cards):
            review.answer(student, card_id, 3, now=at(day, 10) + timedelta(seconds=offset + 2 * i))

    threads = [threading.Thread(target=work, args=(cards, n)) for n, cards in enumerate(halves)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rules = by_rule(student)
    assert (rules["review"], rules["new_card"], rules["daily_goal"]) == (100, 60, 25)
