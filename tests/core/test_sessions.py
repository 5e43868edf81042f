"""Study sessions from real actions through core: idle gaps split and are not counted; days follow the time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.progress import focus
from lmgpa_desktop.core.study import practice
from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.progress import sessions
from lmgpa_desktop.storage import cards_repo, library_repo
from lmgpa_desktop.storage import practice_repo
from lmgpa_desktop.storage.practice_repo import QuestionDraft

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _cards(ctx, n, course_id=None):
    deck = cards_repo.create_deck(ctx.db, "Biology", course_id=course_id)
    return [cards_repo.create_card(ctx.db, deck.id, f"Question {i}?", f"Answer {i}") for i in range(n)]


def _day(ctx):
    return sessions.between(ctx, T0 - timedelta(hours=12), T0 + timedelta(hours=12))


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def test_a_scripted_morning_becomes_three_sessions(ctx):
    course = library_repo.course_named(ctx.db, "Biology 101").id
    cards = _cards(ctx, 5, course)
    # 09:00-09:04 five answers a minute apart, each taking 20 s to answer
    for i, card in enumerate(cards):
        review.answer(ctx, card.id, 3, duration_ms=20_000, now=at(i))
    # 09:20-09:30 a lecture recorded (saved at its end), a question to the library 3 minutes later
    activity.record(ctx, "recording", course_id=course, ref_id=1, amount=600, at=at(30),
                    details={"started_at": at(20).isoformat()})
    activity.record(ctx, "chat", course_id=course, ref_id=1, at=at(33))
    # two idle hours, then a 25-minute focus period on the timer
    clock = Clock(at(160))
    timer = focus.FocusTimer(ctx, clock=clock)
    timer.start(course_id=None)
    clock.now = at(185)
    timer.tick()
    assert timer.phase == focus.BREAK

    got = [(s.kind, s.course_id, s.started_at, s.ended_at, s.active_seconds) for s in _day(ctx)]
    assert got == [
        ("review", course, at(-20 / 60), at(4), 20 + 4 * 60),  # first answer's 20 s, then the minutes between
        ("recording", course, at(20), at(33), 13 * 60),  # the 3 minutes before the question count too
        ("focus", None, at(160), at(185), 25 * 60),
    ]
    # the idle time between sessions is not counted anywhere
    assert sum(s.active_seconds for s in _day(ctx)) == 260 + 780 + 1500


def test_an_idle_gap_splits_and_a_short_pause_does_not(ctx):
    a, b, c = _cards(ctx, 3)
    review.answer(ctx, a.id, 3, now=at(0))
    review.answer(ctx, b.id, 3, now=at(4 + 59 / 60))  # 4:59 later: still the same session
    # the next answer covers the 30 s before it, so idle means more than 5:30 between answers
    review.answer(ctx, c.id, 3, now=at(10.5))  # 5:31 later: 5:01 idle, a new session
    got = [(s.started_at, s.ended_at, s.active_seconds) for s in _day(ctx)]
    allowance = sessions.ALLOWANCE.total_seconds()
    assert got == [(at(0) - sessions.ALLOWANCE, at(4 + 59 / 60), allowance + 299),
                   (at(10.5) - sessions.ALLOWANCE, at(10.5), allowance)]


def test_a_recording_saved_late_merges_the_sessions_it_spans(ctx):
    a, b = _cards(ctx, 2)
    review.answer(ctx, a.id, 3, now=at(0))
    review.answer(ctx, b.id, 3, now=at(50))
    assert len(_day(ctx)) == 2
    # a 50-minute lecture ending at 00:52 is saved after both answers: everything is one session now
    activity.record(ctx, "recording", amount=50 * 60, at=at(52), details={"started_at": at(2).isoformat()})
    (only,) = _day(ctx)
    assert (only.kind, only.started_at, only.ended_at) == ("recording", at(-0.5), at(52))
    assert only.active_seconds == round((at(52) - at(-0.5)).total_seconds())


def test_undo_extends_the_review_session_and_rebuild_gives_the_same_sessions(ctx):
    (a,) = _cards(ctx, 1)
    review.answer(ctx, a.id, 1, now=at(0))
    review.undo_last(ctx, now=at(1))
    before = [(s.kind, s.started_at, s.ended_at, s.active_seconds) for s in _day(ctx)]
    assert before == [("review", at(-0.5), at(1), 90)]
    sessions.rebuild(ctx)
    assert [(s.kind, s.started_at, s.ended_at, s.active_seconds) for s in _day(ctx)] == before


def test_a_practice_test_through_core_is_a_test_session(ctx):
    tid, _ = practice_repo.create_test(ctx.db, "Cells", [], [QuestionDraft("tf", "Cells have walls?", "false")],
                                    status="ready", question_status="active")
    attempt = practice.start(ctx, tid)
    practice.record(ctx, attempt.id, practice.questions(ctx, tid)[0].id, "false")
    done = practice.finish(ctx, attempt.id, use_llm=False)
    found = sessions.between(ctx, done.attempt.started_at - timedelta(minutes=1),
                             done.attempt.finished_at + timedelta(minutes=1))
    assert [(s.kind, s.started_at, s.ended_at) for s in found] == [
        ("test", done.attempt.started_at, done.attempt.finished_at)]


def test_focus_timer_leaves_out_pauses_and_misclicks(ctx):
    clock = Clock(at(0))
    timer = focus.FocusTimer(ctx, clock=clock)
    timer.start()
    clock.now = at(0.5)
    timer.stop()  # 30 seconds: a misclick, nothing recorded
    assert activity.events(ctx, kinds=["focus"]) == []
    timer.start()
    clock.now = at(10)
    timer.pause()
    clock.now = at(40)  # half an hour away from the desk
    assert timer.remaining() == timedelta(minutes=15.5)  # 9:30 worked before the pause
    timer.resume()
    clock.now = at(55)
    timer.tick()
    assert timer.phase == focus.WORK  # not yet: 24:30 worked
    clock.now = at(56)  # the tick comes a little late; the period ended at 55:30
    timer.tick()
    (event,) = activity.events(ctx, kinds=["focus"])
    assert (event.amount, event.at) == (25 * 60, at(55.5))
    assert timer.phase == focus.BREAK and timer.remaining() == timedelta(minutes=5) - timedelta(seconds=30)
    timer.skip()
    assert timer.phase == focus.WORK
    clock.now = at(60.5)
    timer.stop()  # 4:30 of work recorded, stopped early
    assert [e.amount for e in activity.events(ctx, kinds=["focus"])] == [1500, 270]


def test_focus_lengths_come_from_the_settings_and_every_fourth_break_is_long(ctx):
    ctx.settings.set("focus.work_minutes", 10)
    clock = Clock(at(0))
    timer = focus.FocusTimer(ctx, clock=clock)
    timer.start()
    breaks = []
    for _ in range(4):
        clock.now += timer.remaining()
        timer.tick()
        breaks.append(timer.remaining())
        clock.now += timer.remaining()
        timer.tick()
    assert breaks == [timedelta(minutes=5)] * 3 + [timedelta(minutes=15)]
    assert [e.amount for e in activity.events(ctx, kinds=["focus"])] == [600] * 4


def test_minutes_by_day_splits_at_local_midnight_in_the_chosen_zone(ctx):
    # 23:50-00:20 UTC: 10 minutes on Monday and 20 on Tuesday in UTC; all on Monday afternoon in Los Angeles
    late = datetime(2026, 3, 2, 23, 50, tzinfo=UTC)
    activity.record(ctx, "focus", amount=30 * 60, at=late + timedelta(minutes=30))
    mon, tue = date(2026, 3, 2), date(2026, 3, 3)
    assert sessions.minutes_by_day(ctx, mon, tue, tz=UTC) == {mon: 10.0, tue: 20.0}
    assert sessions.minutes_by_day(ctx, mon, tue, tz=ZoneInfo("America/Los_Angeles")) == {mon: 30.0, tue: 0.0}
    # in Tokyo (UTC+9) it is Tuesday morning
    assert sessions.minutes_by_day(ctx, mon, tue, tz=ZoneInfo("Asia/Tokyo")) == {mon: 0.0, tue: 30.0}
    # days with nothing are 0, and a class filter keeps only that class
    week = sessions.minutes_by_day(ctx, date(2026, 2, 28), tue, tz=UTC)
    assert list(week) == [date(2026, 2, 28), date(2026, 3, 1), mon, tue] and week[date(2026, 3, 1)] == 0.0
    assert sum(sessions.minutes_by_day(ctx, mon, tue, course_id=999, tz=UTC).values()) == 0.0


def test_daylight_saving_days_have_23_and_25_hours(ctx):
    ny = ZoneInfo("America/New_York")
    start, end = sessions.day_bounds(date(2026, 3, 8), ny)
    assert end - start == timedelta(hours=23)
    start, end = sessions.day_bounds(date(2026, 11, 1), ny)
    assert end - start == timedelta(hours=25)
    # an hour studied from 23:30 on the short day lands half on each local day
    activity.record(ctx, "focus", amount=3600, at=datetime(2026, 3, 9, 0, 30, tzinfo=ny))
    got = sessions.minutes_by_day(ctx, date(2026, 3, 8), date(2026, 3, 9), tz=ny)
    assert got == {date(2026, 3, 8): 30.0, date(2026, 3, 9): 30.0}
