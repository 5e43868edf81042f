"""Study page on real material: a real PDF is imported and turned into flashcards, a practice test and notes;
in the page the generated items are accepted, edited and rejected, a note is edited with its live preview and
exported as slides, the practice test is taken by typing and choosing answers and its score and wrong answer
are shown; the Generate button queues a job through the runner."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton

from lmgpa_desktop.app import build_window
from lmgpa_desktop.cli.common import drain_queue
from lmgpa_desktop.core.library import library
from lmgpa_desktop.core.study import notes
from lmgpa_desktop.core.study import practice
from lmgpa_desktop.storage import study_repo
from lmgpa_desktop.storage import practice_repo
from lmgpa_desktop.ui.study.study_page import StudyPage
from lmgpa_desktop.ui.study.pending_tab import KEEP_DECK

pytestmark = pytest.mark.slow


@pytest.fixture
def prepared(ctx, shared):
    """The Think Python chapters imported, with flashcards, a quiz and notes generated (extractive only: the
    model's part is measured by the generation tests; here the page is under test)."""
    library.queue_import(ctx, shared / "documents" / "pdf" / "thinkpython2_ch01-02.pdf")
    drain_queue(ctx)
    source_id = library.items(ctx)[0].source.id
    for what, count in (("flashcards", 6), ("quiz", 5), ("notes", None)):
        ctx.jobs.submit(f"generate.{what}", {"source_ids": [source_id], "count": count, "use_llm": False},
                        f"{what} for the test")
    jobs = drain_queue(ctx)
    assert [j.state for j in jobs] == ["done"] * 3, [(j.kind, j.error) for j in jobs]
    return source_id


@pytest.fixture
def window(qtbot, ctx, prepared):
    win = build_window(ctx)
    qtbot.addWidget(win)
    win.resize(1300, 850)
    win.show()
    win.show_area("study")
    yield win
    win.close()


def _shot(qtbot, widget, path) -> None:
    """A screenshot proving the page renders (after the queued layout work)."""
    qtbot.wait(50)
    widget.grab().save(str(path))
    assert path.stat().st_size > 5_000


def test_review_notes_and_practice(window, qtbot, ctx, prepared, tmp_path, monkeypatch):
    page = window.pages["study"]
    assert isinstance(page, StudyPage)
    qtbot.waitUntil(lambda: page.pending.ops.pending == 0 and page.pending.items() != [])
    assert page.current_tab() == "review"  # something waits for review, so the page opens there
    pending = page.pending
    cards = [k for k in pending.items() if k[0] == "card"]
    questions = [k for k in pending.items() if k[0] == "question"]
    note_keys = [k for k in pending.items() if k[0] == "note"]
    assert len(cards) >= 4 and len(questions) >= 3 and len(note_keys) == 1
    assert page.tabs.tabText(1) == f"To review ({len(cards) + len(questions) + 1})"
    first = pending.tree.topLevelItem(0).child(0)
    assert "“thinkpython2_ch01-02”, page" in first.text(2)  # each item names where it came from
    pending.select([cards[0]])
    assert "From" in pending.detail.toPlainText()
    _shot(qtbot, page, tmp_path / "study_review.png")

    # accept two cards into a new deck, reject one, edit one
    pending.deck.setCurrentText("Think Python")
    pending.select(cards[:2])
    pending.accept_button.click()
    qtbot.waitUntil(lambda: pending.ops.pending == 0)
    accepted = study_repo.cards(ctx.db, "active")
    assert sorted(c.id for c in accepted) == sorted(i for _, i in cards[:2])
    assert {c.deck_name for c in accepted} == {"Think Python"}
    assert "Accepted 2 flashcards" in pending.message.text()
    pending.select([cards[2]])
    pending.tree.setFocus()
    qtbot.keyClick(pending.tree, Qt.Key.Key_Delete)  # the keyboard rejects too
    qtbot.waitUntil(lambda: pending.ops.pending == 0)
    assert study_repo.cards(ctx.db, None, ids=[cards[2][1]]) == []
    assert cards[2] not in pending.items()
    card = study_repo.cards(ctx.db, "pending", ids=[cards[3][1]])[0]
    values = ["What does the print function do?", card.back] if card.kind == "basic" else \
        [card.front + " (edited)", ""]
    pending.save_edit("card", card.id, values)
    qtbot.waitUntil(lambda: pending.ops.pending == 0)
    assert pending.message.text().startswith("Saved your changes") and pending.selected() == [("card", card.id)]
    assert study_repo.cards(ctx.db, None, ids=[card.id])[0].front == values[0]
    pending.save_edit("question", questions[0][1], ["", "x", ""])  # refused: no prompt
    qtbot.waitUntil(lambda: pending.ops.pending == 0)
    assert "Not saved" in pending.message.text()

    # reject one question (not the typed-answer one), accept everything else
    kinds = {q.id: q.kind for q in practice_repo.questions(ctx.db)}
    assert "short" in kinds.values()
    dropped = next(k for k in reversed(questions) if kinds[k[1]] != "short")
    pending.select([dropped])
    pending.reject_button.click()
    qtbot.waitUntil(lambda: pending.ops.pending == 0)
    assert practice_repo.questions(ctx.db, ids=[dropped[1]]) == []
    pending.deck.setCurrentText(KEEP_DECK)
    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Yes)  # it asks first
    pending.accept_all_button.click()
    qtbot.waitUntil(lambda: pending.ops.pending == 0)
    assert pending.items() == [] and pending.empty.isVisible() and not pending.controls.isVisible()
    assert page.tabs.tabText(1) == "To review"
    assert study_repo.cards(ctx.db, "pending") == []
    tests = practice.tests(ctx)
    assert len(tests) == 1 and tests[0].active == len(questions) - 1
    assert study_repo.get_note(ctx.db, note_keys[0][1]).status == "active"

    # notes: edit with the live preview, save, follow a source link, export as slides
    page.show_tab("notes")
    panel = page.notes
    qtbot.waitUntil(lambda: panel.note_id == note_keys[0][1])
    assert "Key terms" in panel.preview.toPlainText()
    panel.editor.moveCursor(panel.editor.textCursor().MoveOperation.End)
    for line in ("", "## My own summary", "", "A **variable** names a value."):
        qtbot.keyClick(panel.editor, Qt.Key.Key_Return)
        qtbot.keyClicks(panel.editor, line)
    qtbot.waitUntil(lambda: "My own summary" in panel.preview.toPlainText())
    assert "**" not in panel.preview.toPlainText().split("My own summary")[1]  # rendered, not raw Markdown
    assert panel.dirty and panel.save_button.text() == "Save*"
    qtbot.keyClick(panel.editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not panel.dirty
    assert "A **variable** names a value." in notes.get(ctx, panel.note_id).body_md
    qtbot.waitUntil(lambda: panel.ops.pending == 0)
    assert panel.references.count() >= 1
    assert panel.read_aloud.text_provider() == panel.editor.toPlainText()
    _shot(qtbot, page, tmp_path / "study_notes.png")
    with qtbot.waitSignal(page.open_location) as opened:
        panel.preview.anchorClicked.emit(QUrl(f"lmgpa://source/{prepared}?page=2"))
    assert opened.args == [prepared, 2, None]
    qtbot.waitUntil(lambda: window.ops.pending == 0)
    assert window.current_area() == "library"  # the main window shows the PDF at that page
    qtbot.waitUntil(lambda: window.pages["library"].viewer.current_page() == 2)
    window.show_area("study")
    pptx = tmp_path / "notes.pptx"
    panel.export_slides(pptx)
    qtbot.waitUntil(lambda: panel.message.text().startswith(("Saved the slides", "The slides")), timeout=30_000)
    assert panel.message.text().startswith("Saved the slides") and pptx.stat().st_size > 10_000

    # practice: take the test, one answer wrong
    page.show_tab("practice")
    pp = page.practice
    qtbot.waitUntil(lambda: pp.ops.pending == 0)
    assert pp.test_ids() == [tests[0].id]
    assert pp.tests_table.item(0, 3).text() == "not taken yet"
    pp.one_at_a_time.setChecked(False)
    pp.timed.setChecked(False)
    pp.take_button.click()
    assert pp.stack.currentIndex() == 1 and pp.countdown.text() == "Untimed"
    boxes = pp.boxes
    assert len(boxes) == len(questions) - 1
    wrong = next(b for b in boxes if b.question.kind == "mcq") if any(b.question.kind == "mcq" for b in boxes) \
        else boxes[0]
    typed = [b for b in boxes if b.line is not None]
    assert typed  # the fill-in-the-blank question is answered by typing
    for box in boxes:
        q = box.question
        if box is wrong:
            other = next((c for c in (q.choices or []) if c != q.answer), None)
            box.set_response(other or "zzz qqq")
        elif box.line is not None:
            qtbot.keyClicks(box.line, q.answer)
        else:
            box.set_response(q.answer)
    assert wrong.response() != wrong.question.answer
    _shot(qtbot, page, tmp_path / "study_sitting.png")
    pp.submit_button.click()
    assert pp.stack.currentIndex() == 2  # graded at once: no answer needed the model
    n = len(boxes)
    assert pp.score_label.text() == f"Score: {n - 1} / {n} ({100 * (n - 1) / n:.0f}%)"
    shown = pp.wrong_boxes()
    assert len(shown) == 1 and shown[0].title() == f"Question {boxes.index(wrong) + 1}"
    texts = [label.text() for label in shown[0].findChildren(QLabel)]
    assert wrong.question.prompt in texts and f"Correct answer: {wrong.question.answer}" in texts
    source_button = shown[0].findChild(QPushButton)
    assert source_button.text().startswith("Open the source: “thinkpython2_ch01-02”, page")
    with qtbot.waitSignal(page.open_location) as opened:
        source_button.click()
    assert opened.args == [prepared, wrong.question.source_page, None]
    qtbot.waitUntil(lambda: window.ops.pending == 0)
    window.show_area("study")
    (attempt,) = practice.attempts(ctx, tests[0].id)
    assert attempt.finished_at is not None and attempt.score == n - 1
    _shot(qtbot, page, tmp_path / "study_result.png")
    assert shown[0].isVisible() and source_button.isVisible()
    pp.back_to_list()
    qtbot.waitUntil(lambda: pp.ops.pending == 0)
    assert pp.tests_table.item(0, 3).text().startswith(f"{n - 1} / {n}") and pp.history.rowCount() == 1

    # an answer in other words goes to the model in the background; the page does not wait for it
    pp.take_button.click()
    for box in pp.boxes:
        box.set_response(box.question.answer)
    typed[0] = next(b for b in pp.boxes if b.line is not None)
    typed[0].line.setText("the program that runs Python code")
    started = time.monotonic()
    pp.submit_button.click()
    assert time.monotonic() - started < 2.0 and pp.grading_job is not None
    assert "being checked" in pp.score_label.text() and "Checking 1 answer" in pp.status.text()
    qtbot.waitUntil(lambda: pp.grading_job is None, timeout=180_000)
    assert "being checked" not in pp.score_label.text(), pp.status.text()
    latest = practice.attempts(ctx, tests[0].id)[0]
    assert latest.finished_at is not None and latest.score in (n - 1, n)
    judged = next(a for a in practice_repo.answers(ctx.db, latest.id) if a.question_id == typed[0].question.id)
    assert judged.graded_by in ("meaning", "model") and judged.reason
    assert any(t == f"Why: {judged.reason}" for b in pp.answer_boxes()
               for t in (label.text() for label in b.findChildren(QLabel)))
    pp.back_to_list()
    qtbot.waitUntil(lambda: pp.ops.pending == 0)
    assert pp.history.rowCount() == 2

    # a timed sitting counts down; leaving it grades nothing
    pp.timed.setChecked(True)
    pp.minutes.setValue(2)
    pp.one_at_a_time.setChecked(True)
    pp.take_button.click()
    assert pp.countdown.text().startswith("Time left 1:5") or pp.countdown.text() == "Time left 2:00"
    assert pp.position.text() == f"1 of {n}" and sum(b.isVisible() for b in pp.boxes) == 1
    pp.next_button.click()
    assert pp.position.text() == f"2 of {n}"
    pp.abandon_button.click()
    qtbot.waitUntil(lambda: pp.ops.pending == 0)
    assert pp.stack.currentIndex() == 0 and pp.history.rowCount() == 2
    assert pp.tests_table.item(0, 2).text() == "2:00"
    pp.take_button.click()  # when the time runs out, what was answered is graded
    pp.boxes[0].set_response(pp.boxes[0].question.answer)
    pp.time_left = lambda: 0.0
    pp._tick()
    assert pp.stack.currentIndex() == 2 and pp.status.text().startswith("Time is up.")
    assert pp.score_label.text().startswith("Score: 1 / ")
    del pp.time_left
    pp.back_to_list()
    qtbot.waitUntil(lambda: pp.ops.pending == 0)
    assert pp.history.rowCount() == 3

    # the Generate button queues a job through the runner (its model work is cancelled here)
    page.show_tab("generate")
    gen = page.generate
    assert not gen.generate_button.isEnabled()
    gen.set_checked([prepared])
    gen.set_what("quiz")
    gen.count.setValue(2)
    assert gen.generate_button.text() == "Generate practice test"
    finished = []
    window.runner.finished.connect(lambda job: finished.append(job) if job.kind.startswith("generate.") else None)
    gen.generate_button.click()
    (job_id,) = gen.jobs
    job = ctx.jobs.get(job_id)
    assert job.kind == "generate.quiz" and job.payload["source_ids"] == [prepared] and job.payload["count"] == 2
    window.runner.cancel(job_id)
    qtbot.waitUntil(lambda: bool(finished), timeout=120_000)
    assert finished[0].state in ("cancelled", "done")
    assert gen.message.text() in ("Generate practice test from thinkpython2_ch01-02 was cancelled.",
                                  "Practice test from thinkpython2_ch01-02 was cancelled.") or \
        "ready in “To review”" in gen.message.text()
    _shot(qtbot, page, tmp_path / "study_generate.png")


def test_empty_states_say_what_to_do(qtbot, ctx, tmp_path):
    win = build_window(ctx)
    qtbot.addWidget(win)
    win.show()
    win.show_area("study")
    page = win.pages["study"]
    assert page.current_tab() == "generate"
    assert "Import a lecture or PDF in Library first" in page.generate.empty.text()
    assert page.generate.empty.isVisible() and not page.generate.controls.isVisible()
    page.show_tab("review")
    qtbot.waitUntil(lambda: page.pending.ops.pending == 0)
    assert page.pending.empty.isVisible() and "Generate" in page.pending.empty.text()
    assert not page.pending.controls.isVisible()
    assert "import a lecture or PDF in Library first" in page.pending.empty.text()
    page.show_tab("notes")
    qtbot.waitUntil(lambda: page.notes.ops.pending == 0)
    assert page.notes.empty.isVisible() and "New note" in page.notes.empty.text()
    assert not page.notes.editor.isEnabled()
    note_id = page.notes.new_note()
    qtbot.waitUntil(lambda: page.notes.ops.pending == 0)
    assert page.notes.editor.isEnabled() and page.notes.note_ids() == [note_id]
    page.notes.editor.setPlainText("# Short note\n\nA variable is a name that refers to a value.\n")
    audio = tmp_path / "short.wav"
    assert page.notes.export_audio(audio) is not None  # saves first, then reads it aloud as a job
    assert notes.get(ctx, note_id).title == "Short note"
    qtbot.waitUntil(lambda: page.notes.message.text().startswith(("Saved", "The audio")), timeout=120_000)
    assert page.notes.message.text().startswith("Saved") and audio.stat().st_size > 10_000
    page.notes.delete(confirm=False)
    qtbot.waitUntil(lambda: page.notes.ops.pending == 0)
    assert page.notes.note_ids() == [] and notes.listing(ctx) == []
    page.show_tab("practice")
    qtbot.waitUntil(lambda: page.practice.ops.pending == 0)
    assert page.practice.empty.isVisible() and "Generate" in page.practice.empty.text()
    _shot(qtbot, page, ctx.home / "empty.png")
    win.close()
