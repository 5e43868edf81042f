"""A profile with some real study behind it, built through core without running a model (GUI tests import it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.progress import sessions
from lmgpa_desktop.core.study import practice, review
from lmgpa_desktop.storage import cards_repo, library_repo, practice_repo
from lmgpa_desktop.storage.practice_repo import QuestionDraft


def add_study_history(ctx) -> int:
    """Three days of reviews and a recording in a class, and a practice test taken today; returns the class id."""
    bio = library_repo.course_named(ctx.db, "Biology").id
    deck = cards_repo.create_deck(ctx.db, "Cells", course_id=bio)
    cards = [cards_repo.create_card(ctx.db, deck.id, f"q{i}", "a").id for i in range(8)]
    now = datetime.now(UTC)
    today = now.astimezone(sessions.local_tz()).date()
    # halfway between local midnight and now, so "today" holds the reviews even just after midnight
    into_day = (now - sessions.day_bounds(today)[0]) / 2
    for day in (2, 1, 0):
        t = sessions.day_bounds(today - timedelta(days=day))[0] + into_day
        for i, card in enumerate(cards):
            review.answer(ctx, card, 4 if i % 3 else 1, duration_ms=8000, now=t + into_day * i / 40)
    # On a day without reviews: a recording next to reviews joins their study session, which then counts as review
    # (at 06:00 UTC "yesterday, 3 hours before now" fell among yesterday's reviews).
    recorded = sessions.day_bounds(today - timedelta(days=3))[0] + timedelta(hours=12)
    activity.record(ctx, "recording", course_id=bio, amount=1200, at=recorded,
                    details={"started_at": (recorded - timedelta(minutes=20)).isoformat()})
    tid, _ = practice_repo.create_test(ctx.db, "Cells quiz", [], [QuestionDraft("tf", "Cells have nuclei?", "true")],
                                       status="ready", question_status="active")
    attempt = practice.start(ctx, tid)
    practice.record(ctx, attempt.id, practice.questions(ctx, tid)[0].id, "true")
    practice.finish(ctx, attempt.id, use_llm=False)
    return bio
