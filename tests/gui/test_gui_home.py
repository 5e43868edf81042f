"""Home: today's due cards, goals, streak, deadlines, recordings and where the student left off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton

from lmgpa_desktop.core.progress import deadlines
from lmgpa_desktop.core.study import notes
from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.progress import today
from lmgpa_desktop.storage import cards_repo


def _texts(box, kind=QLabel) -> list[str]:
    return [w.text() for w in box.findChildren(kind)]


def test_home_shows_today_and_each_item_leads_somewhere(qtbot, ctx, tmp_path):
    from lmgpa_desktop.ui.progress.home_page import HomePage

    deck = cards_repo.create_deck(ctx.db, "Biology")
    cards = [cards_repo.create_card(ctx.db, deck.id, f"Question {n}?", f"Answer {n}") for n in range(5)]
    review.answer(ctx, cards[0].id, 3)
    note = notes.create(ctx, body_md="# Photosynthesis\n- light reactions happen in the thylakoids")
    deadlines.add(ctx, "Lab report", datetime.now(UTC) + timedelta(days=3), "assignment", "Biology")

    page = HomePage(ctx)
    qtbot.addWidget(page)
    page.resize(1000, 800)
    page.show()
    qtbot.waitUntil(lambda: page.data is not None)
    counts = review.counts(ctx)
    assert (counts.new, counts.learning, counts.review) == (4, 1, 0)  # the answered card is back in 10 minutes
    assert any("<b>1</b> due · <b>4</b> new" in t for t in _texts(page.review_box))
    with qtbot.waitSignal(page.navigate) as nav:
        next(b for b in page.review_box.findChildren(QPushButton) if b.text() == "Start review").click()
    assert nav.args == ["review"]

    assert page.goals_box.findChildren(QProgressBar), "goal bars (the starting goals when none are set)"
    assert any("Lab report" in t and "Biology" in t for t in _texts(page.deadlines_box))
    titles = [b.text() for b in page.resume_box.findChildren(QPushButton)]
    assert titles[:2] == ["Note: Photosynthesis", "Keep reviewing Biology"]
    with qtbot.waitSignal(page.open_item) as opened:
        next(b for b in page.resume_box.findChildren(QPushButton) if b.text().startswith("Note:")).click()
    assert opened.args == ["note", note.id]

    new_id = page.add_deadline("Final exam", datetime.now(UTC) + timedelta(days=10), "exam")
    assert new_id is not None
    qtbot.waitUntil(lambda: any("Final exam" in t for t in _texts(page.deadlines_box)))
    assert page.add_deadline("   ", datetime.now(UTC) + timedelta(days=1), "exam") is None  # explained, not kept
    page.mark_done(new_id)
    qtbot.waitUntil(lambda: not any("Final exam" in t for t in _texts(page.deadlines_box)))
    assert [d.title for d in deadlines.upcoming(ctx)] == ["Lab report"]
    page.grab().save(str(tmp_path / "home.png"))
    assert (tmp_path / "home.png").stat().st_size > 5000


def test_resume_points_skip_things_that_are_gone(ctx):
    note = notes.create(ctx, body_md="# Cells")
    from lmgpa_desktop.core.study import notes as notes_core

    notes_core.delete(ctx, note.id)
    assert today.resume_points(ctx) == []


def test_continue_opens_the_note_deck_and_test_in_their_pages(qtbot, ctx):
    from lmgpa_desktop.app import build_window
    from lmgpa_desktop.storage import practice_repo
    from lmgpa_desktop.storage.practice_repo import QuestionDraft

    deck = cards_repo.create_deck(ctx.db, "Chemistry")
    cards_repo.create_card(ctx.db, deck.id, "H2O is?", "Water")
    note = notes.create(ctx, body_md="# Acids\n- an acid donates a proton")
    draft = QuestionDraft("short", "What does an acid donate?", "a proton")
    test_id, _ = practice_repo.create_test(ctx.db, "Acids quiz", [], [draft], status="ready", question_status="active")
    win = build_window(ctx)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    try:
        assert win.current_area() == "home"  # a new profile opens on Home
        win.open_item("note", note.id)
        study = win.pages["study"]
        assert win.current_area() == "study" and study.current_tab() == "notes"
        qtbot.waitUntil(lambda: "an acid donates a proton" in study.notes.editor.toPlainText())
        win.open_item("test", test_id)
        assert study.current_tab() == "practice" and study.practice.selected_test_id() == test_id
        win.open_item("deck", deck.id)
        review_page = win.pages["review"]
        assert win.current_area() == "review" and review_page.deck_id == deck.id
        qtbot.waitUntil(lambda: review_page.card is not None and review_page.card.front == "H2O is?")
    finally:
        win.close()
