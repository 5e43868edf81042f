"""Reminders with a controlled clock: the right moment, once; quiet hours hold them until they end; the daily
cap; per-type switches; deadlines; and a restart (the apscheduler job store keeps the jobs, and a reminder
missed while the app was closed is delivered exactly once)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lmgpa_desktop.core.progress import deadlines
from lmgpa_desktop.core.progress import notifications
from lmgpa_desktop.core.progress import reminders
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.core.progress.reminders import ReminderService, run_due, tick
from lmgpa_desktop.storage import cards_repo, scheduler_store

BERLIN = ZoneInfo("Europe/Berlin")
NO_EVENING = {"goal_at_risk": lambda *_: None, "streak_at_risk": lambda *_: None}  # tests about other kinds
GUILT = ("miss", "lose", "losing", "fail", "don't", "shame", "behind", "lazy", "should", "broke", "!")


def local(d: int, h: int, mi: int = 0, month: int = 3) -> datetime:
    """A Berlin wall-clock time in March 2031 (far from the real clock, so no real trigger interferes)."""
    return datetime(2031, month, d, h, mi, tzinfo=BERLIN).astimezone(UTC)


def add_card(ctx) -> None:
    deck = cards_repo.create_deck(ctx.db, f"Biology {datetime.now().timestamp()}")
    cards_repo.create_card(ctx.db, deck.id, "What does the mitochondrion make?", "ATP")


def kinds(result) -> list[str]:
    return [n.kind for n in result.delivered]


def quiet_off(ctx) -> None:
    notifications.set_quiet_hours(ctx, None, None)


def test_cards_due_reminder_fires_at_the_morning_time_once_and_only_when_cards_are_due(ctx):
    quiet_off(ctx)
    assert run_due(ctx, local(10, 8), BERLIN).delivered == []  # no cards at all: nothing to say
    assert run_due(ctx, local(10, 8), BERLIN).decided == {}  # decided once: "not needed"
    add_card(ctx)
    assert run_due(ctx, local(11, 7, 59), BERLIN).delivered == []  # a minute early
    shown = []
    result = run_due(ctx, local(11, 8), BERLIN, deliver=shown.append)
    assert kinds(result) == ["cards_due"] and shown == result.delivered
    assert result.delivered[0].title == "1 card ready to review"
    assert run_due(ctx, local(11, 8, 1), BERLIN).delivered == []  # never twice for the same morning
    assert run_due(ctx, local(11, 21), BERLIN, checks=NO_EVENING).delivered == []
    assert kinds(run_due(ctx, local(12, 9), BERLIN)) == ["cards_due"]  # the next morning is a new reminder
    assert [n.kind for n in notifications.items(ctx)] == ["cards_due", "cards_due"]


def test_deadline_reminders_a_day_before_and_the_morning_of_and_not_after_done(ctx):
    quiet_off(ctx)
    exam = deadlines.add(ctx, "Cell biology midterm", local(12, 14), kind="exam", course="Biology 101",
                         now=local(1, 12))
    essay = deadlines.add(ctx, "History essay", local(12, 17), now=local(1, 12))
    assert run_due(ctx, local(11, 13, 59), BERLIN).delivered == []
    first = run_due(ctx, local(11, 14), BERLIN)
    assert [n.title for n in first.delivered] == ["Exam tomorrow: Cell biology midterm (Biology 101)"]
    assert first.delivered[0].body == "At 14:00, Wed 12 Mar."
    deadlines.set_done(ctx, essay.id)  # handed in early: its reminders stop
    assert run_due(ctx, local(11, 17), BERLIN).delivered == []
    run_due(ctx, local(11, 19), BERLIN, checks=NO_EVENING)
    morning = run_due(ctx, local(12, 8), BERLIN)
    assert [n.title for n in morning.delivered] == ["Exam today: Cell biology midterm (Biology 101)"]
    assert run_due(ctx, local(12, 15), BERLIN).delivered == []  # after it is due nothing more
    assert exam.id in {d.id for d in deadlines.listing(ctx)}


def test_a_deadline_added_late_gets_one_reminder_not_a_burst(ctx):
    quiet_off(ctx)
    late = deadlines.add(ctx, "Problem set 4", local(12, 18), now=local(11, 9))
    added_at_night = deadlines.add(ctx, "Quiz", local(12, 12), kind="exam", now=local(12, 7))
    # Closed until the 12th 09:00: the problem set's day-before and morning slots both passed; the quiz was
    # added after its day-before moment, so only its morning slot exists.
    result = run_due(ctx, local(12, 9), BERLIN)
    assert [n.title for n in result.delivered] == ["Exam today: Quiz", "Due today: Problem set 4"]
    assert result.decided[f"deadline:{late.id}:day_before"] == "superseded"
    assert f"deadline:{added_at_night.id}:day_before" not in result.decided  # it did not exist a day before


def test_the_day_before_reminder_keeps_the_wall_clock_time_across_a_dst_change(ctx):
    # Berlin springs forward in the night to 2031-03-30: "a day before 10:00 on the 30th" is 10:00 on the 29th,
    # 23 hours earlier, not 09:00.
    exam = deadlines.add(ctx, "Statistics exam", local(30, 10), kind="exam", now=local(1, 9))
    by_key = {s.key: s for s in reminders.deadline_slots(ctx, exam, BERLIN)}
    assert by_key[f"deadline:{exam.id}:day_before"].at == local(29, 10)
    assert by_key[f"deadline:{exam.id}:morning"].at == local(30, 8)
    assert local(30, 10) - local(29, 10) == timedelta(hours=23)


def test_quiet_hours_hold_a_reminder_until_they_end(ctx):
    notifications.set_quiet_hours(ctx, "22:00", "08:00")
    ctx.settings.set("notifications.morning", "07:30")
    add_card(ctx)
    held = run_due(ctx, local(11, 7, 30), BERLIN)
    assert held.delivered == [] and held.deferred_until == local(11, 8)
    assert run_due(ctx, local(11, 7, 59), BERLIN).delivered == []
    assert kinds(run_due(ctx, local(11, 8), BERLIN)) == ["cards_due"]  # delivered when they end
    assert run_due(ctx, local(11, 8, 5), BERLIN).delivered == []

    # A deadline reminder that falls at 23:00 waits for the morning too, and still says "today" correctly.
    deadlines.add(ctx, "Lab report", local(12, 23), now=local(1, 9))
    night = run_due(ctx, local(11, 23), BERLIN)
    assert night.delivered == [] and night.deferred_until == local(12, 8)
    assert run_due(ctx, local(12, 3), BERLIN).delivered == []
    assert [n.title for n in run_due(ctx, local(12, 8), BERLIN).delivered] == ["Due today: Lab report",
                                                                               "1 card ready to review"]


def test_at_most_the_daily_cap_and_deadlines_go_first(ctx):
    quiet_off(ctx)
    notifications.set_daily_cap(ctx, 2)
    add_card(ctx)
    for title in ("Essay", "Lab", "Slides"):
        deadlines.add(ctx, title, local(12, 10), now=local(1, 9))
    result = run_due(ctx, local(11, 10), BERLIN)  # the three day-before slots and the morning cards slot
    assert kinds(result) == ["deadline", "deadline"]
    assert sorted(result.decided.values()) == ["capped", "capped", "delivered", "delivered"]
    assert run_due(ctx, local(11, 20), BERLIN).delivered == []  # still capped today (goal/streak too)
    assert len(run_due(ctx, local(12, 8), BERLIN).delivered) == 2  # a new day, a fresh allowance
    notifications.set_daily_cap(ctx, 0)
    assert run_due(ctx, local(13, 9), BERLIN).delivered == []


def test_per_type_switches(ctx):
    quiet_off(ctx)
    add_card(ctx)
    deadlines.add(ctx, "Essay", local(12, 10), now=local(1, 9))
    notifications.set_enabled(ctx, "cards_due", False)
    result = run_due(ctx, local(11, 10), BERLIN)
    assert kinds(result) == ["deadline"] and result.decided["cards_due:2031-03-11"] == "off"
    notifications.set_enabled(ctx, "cards_due", True)
    assert run_due(ctx, local(11, 11), BERLIN).delivered == []  # that morning was decided; no late nagging
    assert kinds(run_due(ctx, local(12, 8), BERLIN)) == ["deadline", "cards_due"]  # essay due at 10:00
    notifications.set_enabled(ctx, "deadline", False)
    deadlines.add(ctx, "Quiz", local(14, 10), kind="exam", now=local(1, 9))
    assert kinds(run_due(ctx, local(13, 10), BERLIN)) == ["cards_due"]


def test_goal_reminder_in_the_evening_only_while_the_goal_is_open(ctx):
    quiet_off(ctx)
    no_streak = {"streak_at_risk": lambda *_: None}  # the streak reminder is tested on its own below
    assert run_due(ctx, local(11, 18, 59), BERLIN, checks=no_streak).delivered == []
    result = run_due(ctx, local(11, 19), BERLIN, checks=no_streak)
    assert [(n.kind, n.title) for n in result.delivered] == [("goal_at_risk", "Today's goal is within reach")]
    assert "more" in result.delivered[0].body


def _studied(ctx, start: datetime, minutes: int = 20) -> None:
    """A real study session (and the activity it came from), as core/sessions records them."""
    from lmgpa_desktop.storage.models import ActivityEvent, StudySession

    with ctx.db.write() as s:
        s.add(ActivityEvent(kind="focus", at=start))
        s.add(StudySession(kind="focus", started_at=start, ended_at=start + timedelta(minutes=minutes),
                           active_seconds=minutes * 60))


def test_streak_and_goal_reminders_in_the_evening_follow_real_study(ctx):
    quiet_off(ctx)
    _studied(ctx, local(8, 10))
    _studied(ctx, local(9, 10))  # two days in a row with the (default) daily goal met
    evening = run_due(ctx, local(10, 19), BERLIN)
    assert [(n.kind, n.title) for n in evening.delivered] == [
        ("streak_at_risk", "Your 2-day streak continues with today's goal"),
        ("goal_at_risk", "Today's goal is within reach")]
    _studied(ctx, local(11, 9))  # the next day the goal is met by the evening: nothing to say
    quiet = run_due(ctx, local(11, 19), BERLIN)
    assert quiet.delivered == []
    assert quiet.decided == {"streak_at_risk:2031-03-11": "not_needed", "goal_at_risk:2031-03-11": "not_needed",
                             "cards_due:2031-03-11": "not_needed"}  # no cards in this profile either


def test_goal_reminder_names_what_is_left_of_the_students_own_goals(ctx):
    from lmgpa_desktop.core.progress import goals

    quiet_off(ctx)
    goals.add(ctx, "minutes", "daily", 30)
    goals.add(ctx, "cards", "daily", 50)
    _studied(ctx, local(11, 9), minutes=25)
    result = run_due(ctx, local(11, 19), BERLIN, checks={"streak_at_risk": lambda *_: None})
    assert [(n.title, n.body) for n in result.delivered] == [
        ("Today's goals are within reach", "2 are still open; 5 more minutes would meet the closest, "
                                           "if this evening allows.")]


def test_no_reminder_text_scolds(ctx):
    quiet_off(ctx)
    notifications.set_daily_cap(ctx, 10)
    add_card(ctx)
    deadlines.add(ctx, "Essay", local(12, 10), now=local(1, 9))
    deadlines.add(ctx, "Final", local(11, 21), kind="exam", now=local(1, 9))
    texts = []
    for when in (local(11, 8), local(11, 10), local(11, 19), local(12, 8)):
        texts += [f"{n.title} {n.body}" for n in run_due(ctx, when, BERLIN).delivered]
    assert len(texts) >= 4
    for text in texts:
        assert not any(word in text.lower() for word in GUILT), text


def test_upcoming_lists_the_next_reminders_with_when_they_show(ctx):
    deadlines.add(ctx, "Lab report", local(12, 23), now=local(1, 9))
    ahead = reminders.upcoming(ctx, local(11, 7), BERLIN, horizon=timedelta(days=1))
    by_key = {u.key: u for u in ahead}
    assert by_key["cards_due:2031-03-11"].at == local(11, 8)
    assert by_key["goal_at_risk:2031-03-11"].at == local(11, 19)
    lab = [u for u in ahead if u.kind == "deadline"]
    assert [(u.at, u.shows_at) for u in lab] == [(local(11, 23), local(12, 8))]  # held by quiet hours
    assert all(local(11, 7) < u.at <= local(12, 7) for u in ahead)
    assert local(12, 8) in [u.at for u in reminders.upcoming(ctx, local(11, 7), BERLIN, timedelta(days=2))]


def _service(ctx, clock, shown):
    return ReminderService(ctx, deliver=shown.append, clock=lambda: clock[0], tz=BERLIN)


def test_jobs_survive_a_restart_and_a_missed_reminder_is_delivered_exactly_once(home):
    clock = [local(10, 7)]
    ctx = open_app(home)
    quiet_off(ctx)
    add_card(ctx)
    essay = deadlines.add(ctx, "Essay", local(13, 17), now=local(10, 6))
    shown: list = []
    service = _service(ctx, clock, shown)
    try:
        assert service.start().delivered == []  # 07:00: nothing due yet
        profile = service.profile
        next_times = service.next_times()
        assert next_times["reminders:morning"] == local(10, 8)
        assert next_times["reminders:evening"] == local(10, 19)
        assert next_times[f"deadline:{essay.id}:day_before"] == local(12, 17)
        assert next_times[f"deadline:{essay.id}:morning"] == local(13, 8)
    finally:
        service.stop()
        ctx.close()

    # Closed over 08:00. The job store in the profile's database still holds every job.
    clock[0] = local(10, 9, 30)
    ctx = open_app(home)
    stored = scheduler_store.stored_jobs(ctx.db)
    assert {"reminders:morning", "reminders:evening", "reminders:sweep", f"deadline:{essay.id}:day_before",
            f"deadline:{essay.id}:morning"} <= stored.keys()
    assert stored[f"deadline:{essay.id}:morning"] == local(13, 8)
    service = _service(ctx, clock, shown)
    try:
        started = service.start()
        assert kinds(started) == ["cards_due"] and [n.kind for n in shown] == ["cards_due"]
        job = service.scheduler.get_job("reminders:morning")
        assert job.func is tick and job.args == (profile,)
        job.func(*job.args)  # what apscheduler runs at the trigger time: decided already, so nothing new
        assert service.run_now().delivered == [] and len(shown) == 1
    finally:
        service.stop()
        ctx.close()

    clock[0] = local(10, 9, 45)  # and once more: still exactly one delivery
    ctx = open_app(home)
    service = _service(ctx, clock, shown)
    try:
        assert service.start().delivered == []
        assert len(shown) == 1
        assert [n.kind for n in notifications.items(ctx)] == ["cards_due"]
    finally:
        service.stop()
        ctx.close()


def test_a_stored_job_fired_by_the_scheduler_delivers_through_the_service(ctx):
    quiet_off(ctx)
    clock = [local(10, 7)]
    shown: list = []
    service = _service(ctx, clock, shown)
    service.start()
    try:
        add_card(ctx)
        clock[0] = local(10, 8)
        job = service.scheduler.get_job("reminders:morning")
        job.func(*job.args)  # the trigger time came
        assert [n.kind for n in shown] == ["cards_due"]
        deadlines.add(ctx, "Quiz", local(12, 9), kind="exam", now=local(10, 8))
        service.sync_jobs()  # a deadline added later gets its own jobs
        assert f"deadline:{deadlines.listing(ctx)[0].id}:day_before" in scheduler_store.stored_jobs(ctx.db)
        ctx.settings.set("notifications.morning", "09:15")
        service.sync_jobs()
        assert service.next_times(local(10, 8))["reminders:morning"] == local(10, 9, 15)
    finally:
        service.stop()
    assert tick(service.profile) is None  # a stopped service ignores late triggers


def test_cli_deadlines_and_reminders(home, capsys):
    import json

    from lmgpa_desktop.cli import main

    due = (datetime.now(UTC) + timedelta(days=1, hours=3)).astimezone().replace(microsecond=0, tzinfo=None)
    assert main(["--home", str(home), "deadlines", "add", "Cell biology midterm", "--due", due.isoformat(),
                 "--kind", "exam", "--class", "Biology 101", "--json"]) == 0
    added = json.loads(capsys.readouterr().out)
    assert (added["title"], added["kind"], added["class"], added["done"]) == (
        "Cell biology midterm", "exam", "Biology 101", False)
    assert datetime.fromisoformat(added["due_at"]) == due.astimezone().astimezone(UTC)

    assert main(["--home", str(home), "reminders", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    keys = {u["key"] for u in shown["upcoming"]}
    assert f"deadline:{added['id']}:day_before" in keys
    assert shown["daily_cap"] == 3 and shown["quiet_hours"] == ["22:00", "08:00"] and shown["notifications"] == []

    assert main(["--home", str(home), "deadlines", "done", str(added["id"])]) == 0
    capsys.readouterr()
    assert main(["--home", str(home), "reminders", "--json"]) == 0
    assert not any(u["kind"] == "deadline" for u in json.loads(capsys.readouterr().out)["upcoming"])
    assert main(["--home", str(home), "deadlines", "add", "x", "--due", "someday"]) == 1
    assert "is not a date" in capsys.readouterr().err
    assert main(["--home", str(home), "reminders"]) == 0
    assert "Upcoming reminders (quiet hours 22:00-08:00, at most 3 a day" in capsys.readouterr().out


def test_a_simulated_week_with_the_scheduler_ticking_every_half_hour(ctx):
    """Study on some days and not others, an exam midweek: exactly the useful reminders, at their times."""
    add_card(ctx)  # never reviewed, so cards are due every morning
    deadlines.add(ctx, "Midterm", local(13, 14), kind="exam", now=local(9, 12))
    study = {local(10, 10), local(11, 10), local(12, 10), local(14, 20)}  # nothing on the 13th, 15th, 16th
    timeline = []
    t = local(10, 0)
    while t < local(17, 0):
        for start in [s for s in study if s <= t]:
            _studied(ctx, start)
            study.discard(start)
        timeline += [(n.created_at.astimezone(BERLIN).strftime("%d %H:%M"), n.kind) for n in
                     run_due(ctx, t, BERLIN).delivered]
        t += timedelta(minutes=30)
    assert timeline == [
        ("10 08:00", "cards_due"),  # goal met by the evening on the 10th-12th: no evening reminders
        ("11 08:00", "cards_due"),
        ("12 08:00", "cards_due"), ("12 14:00", "deadline"),
        ("13 08:00", "deadline"), ("13 08:00", "cards_due"), ("13 19:00", "streak_at_risk"),  # cap of 3 reached
        ("14 08:00", "cards_due"), ("14 19:00", "goal_at_risk"),  # the streak ended on the 13th
        ("15 08:00", "cards_due"), ("15 19:00", "streak_at_risk"), ("15 19:00", "goal_at_risk"),
        ("16 08:00", "cards_due"), ("16 19:00", "goal_at_risk"),
    ]
    titles = [n.title for n in notifications.items(ctx) if n.kind == "deadline"]
    assert titles == ["Exam today: Midterm", "Exam tomorrow: Midterm"]
