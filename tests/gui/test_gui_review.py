"""Review page: import a real deck through a job, study by keyboard (Space reveals, 1-4 rate, Ctrl+Z undoes),
play and open a card's source recording, browse and edit cards, deck options, export."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl

from lmgpa_desktop.core.study import review
from lmgpa_desktop.storage import cards_repo, sources_repo
from lmgpa_desktop.ui.kit.job_runner import JobRunner
from lmgpa_desktop.ui.study.review_page import PAGE_SIZE, ReviewPage


@pytest.fixture
def page(qtbot, ctx):
    runner = JobRunner(ctx)
    runner.start()
    review_page = ReviewPage(ctx, runner)
    qtbot.addWidget(review_page)
    review_page.resize(1100, 750)
    review_page.show()
    yield review_page
    runner.stop()
    review_page.background.close()


def _import(qtbot, page, path: Path) -> None:
    assert len(page.import_files([path])) == 1
    qtbot.waitUntil(lambda: page.message.text().startswith(("Imported", "Import")) and "…" not in
                    page.message.text(), timeout=60_000)
    assert page.message.text().startswith("Imported"), page.message.text()
    qtbot.waitUntil(lambda: page.background.pending == 0)  # the deck list has caught up


def _deck_cells(page, name: str) -> list[str] | None:
    """Learning, review and new shown for a deck."""
    for r in range(page.deck_table.rowCount()):
        if page.deck_table.item(r, 0).text() == name:
            return [page.deck_table.item(r, c).text() for c in (1, 2, 3)]
    return None


def _select_deck(page, name: str) -> int:
    for r in range(page.deck_table.rowCount()):
        if page.deck_table.item(r, 0).text() == name:
            page.deck_table.selectRow(r)
            return page.deck_table.item(r, 0).data(Qt.ItemDataRole.UserRole)
    raise AssertionError(f"no deck {name}")


def test_study_by_keyboard_with_undo(page, qtbot, ctx, shared):
    _import(qtbot, page, shared / "anki" / "ankipandas" / "collection.anki2")
    assert "7 notes" in page.message.text()
    # Counts and sizes are read in the background.
    qtbot.waitUntil(lambda: page.deck_table.rowCount() == 2 and page.deck_table.item(0, 4).text() == "8")
    deck_id = _select_deck(page, "EnglishGerman")
    assert [page.deck_table.item(1, c).text() for c in (2, 3)] in (["0", "8"], ["3", "1"])
    qtbot.keyClick(page.deck_table, Qt.Key.Key_Return)  # Enter studies the selected deck
    screen = page.screen
    assert page.study_stack.currentIndex() == 1 and page.deck_id == deck_id
    qtbot.waitUntil(lambda: "8 new" in page.left_label.text())
    first = page.card
    assert first is not None and not page.revealed and first.front in page.card_view.toPlainText()
    assert not any(b.isVisible() for b in page.rating_buttons.values())

    # Read-aloud says the question only, then question and answer once revealed.
    assert first.front in page.card_text() and first.back not in page.card_text()
    qtbot.keyClick(screen, Qt.Key.Key_Space)
    assert page.revealed and all(b.isVisible() for b in page.rating_buttons.values())
    assert first.back in page.card_view.toPlainText()
    assert first.front in page.card_text() and first.back in page.card_text()
    assert page.rating_buttons[1].text() == "Again (1)\n1m"
    assert page.rating_buttons[4].text().startswith("Easy (4)\n") and page.rating_buttons[4].text().endswith("d")

    qtbot.keyClick(screen, Qt.Key.Key_3)  # Good
    assert page.card.id != first.id and not page.revealed
    assert [log.rating for log in cards_repo.review_logs(ctx.db, first.id)] == [3]
    qtbot.waitUntil(lambda: "1 learning" in page.left_label.text() and "7 new" in page.left_label.text())

    qtbot.keyClick(screen, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo shows the card again
    assert page.card.id == first.id and not page.revealed
    assert [log.rating for log in cards_repo.review_logs(ctx.db, first.id)] == [3, 0]
    assert cards_repo.get_card(ctx.db, first.id).state == 0
    qtbot.waitUntil(lambda: "8 new" in page.left_label.text())

    qtbot.keyClick(screen, Qt.Key.Key_2)  # rating before revealing does nothing
    assert len(cards_repo.review_logs(ctx.db)) == 8  # 6 imported + answer + undo

    answered = 0
    while page.card is not None and answered < 20:
        qtbot.keyClick(screen, Qt.Key.Key_Space)
        qtbot.keyClick(screen, Qt.Key.Key_4)  # Easy: out of today's queue
        answered += 1
    assert answered == 8 and "Well done" in page.card_view.toPlainText()
    assert review.counts(ctx, deck_id).total == 0
    qtbot.keyClick(screen, Qt.Key.Key_Escape)
    assert page.study_stack.currentIndex() == 0
    qtbot.waitUntil(lambda: _deck_cells(page, "EnglishGerman") == ["0", "0", "0"])


def test_card_from_a_recording_plays_and_opens_its_source(page, qtbot, ctx, shared):
    audio = shared / "audio" / "jfk.flac"
    source = sources_repo.create(ctx.db, kind="audio", title="JFK inaugural", stored_path=str(audio),
                                 status="ready", duration_s=11.0)
    deck_id = page.new_deck("Speeches")
    qtbot.waitUntil(lambda: page.background.pending == 0)
    card = cards_repo.create_card(ctx.db, deck_id, "What should you ask?", "What you can do for your country",
                                  source_id=source.id, source_start_s=2.5, source_end_s=7.0)
    cards_repo.create_card(ctx.db, deck_id, "No source here", "right")
    page.refresh_decks()
    page.study(deck_id)
    assert page.card.id == card.id
    assert not page.play_source_button.isVisible()  # only on the back
    qtbot.keyClick(page.screen, Qt.Key.Key_Space)
    assert page.play_source_button.isVisible() and page.open_source_button.isVisible()
    assert page.source_label.text() == "From JFK inaugural at 0:02"
    page.play_source_button.click()
    assert page.player.source() == QUrl.fromLocalFile(str(audio))
    assert page._stop_ms == 7000
    with qtbot.waitSignal(page.open_location) as signal:
        page.open_source_button.click()
    assert signal.args == [source.id, None, 2.5]
    page.player.stop()
    qtbot.keyClick(page.screen, Qt.Key.Key_4)
    qtbot.keyClick(page.screen, Qt.Key.Key_Space)
    assert not page.play_source_button.isVisible() and not page.open_source_button.isVisible()


def test_sound_field_from_anki_is_a_play_link(page, qtbot, ctx, shared):
    _import(qtbot, page, shared / "anki" / "anki-pylib" / "media.apkg")
    page.study(_select_deck(page, "Default"))
    assert "foo.wav" in page.card_view.toPlainText()
    page.card_view.anchorClicked.emit(QUrl("sound:foo.wav"))
    assert page.player.source().toLocalFile().endswith("foo.wav")
    page.player.stop()


def test_browser_pages_searches_sorts_and_edits(page, qtbot, ctx, shared, tmp_path):
    _import(qtbot, page, shared / "anki" / "ankipandas" / "collection.anki2")
    bulk = cards_repo.create_deck(ctx.db, "Bulk")
    cards_repo.bulk_insert_cards(ctx.db, [{"deck_id": bulk.id, "front": f"Bulk card {i}", "back": f"answer {i}"}
                                          for i in range(1000)])
    page.refresh_decks()
    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: page.count_label.text() == "1,012 cards", timeout=10_000)
    assert page.model.rowCount() == PAGE_SIZE  # one page, not every card
    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: page.model.rowCount() >= 2 * PAGE_SIZE, timeout=10_000)

    qtbot.keyClicks(page.search_box, "baum")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2 and page.count_label.text() == "2 cards", timeout=10_000)
    page.table.selectRow(0)
    assert [name for name, _ in page._field_boxes] == ["Front", "Back"]
    assert page.field_values() == ["Tree", "Baum"] and page.editor_tags.text() == "english german noun"
    page.set_field_values(["Tree", "der Baum"])
    page.editor_tags.setText("english german noun tree")
    page.save_card()
    cards = cards_repo.cards_by_guid(ctx.db, page._editing.anki_guid)
    assert len(cards) == 2 and {c.tags for c in cards} == {"english german noun tree"}
    assert {c.anki_ord: c.front for c in cards}[1] == "der Baum"  # the reversed card was rendered again
    assert {c.anki_ord: c.back for c in cards}[0] == "der Baum"

    page.search_box.clear()
    page.deck_filter.setCurrentIndex(page.deck_filter.findData(bulk.id))
    qtbot.waitUntil(lambda: page.count_label.text() == "1,000 cards", timeout=10_000)
    page.table.horizontalHeader().setSortIndicator(7, Qt.SortOrder.DescendingOrder)  # newest first
    qtbot.waitUntil(lambda: page.model.rowCount() > 0 and page.model.sort_key == "created", timeout=10_000)
    assert page.model.data(page.model.index(0, 0)) == "Bulk card 999"

    page.new_card()
    page.set_field_values(["Photosynthesis makes?", "Glucose and oxygen"])
    page.editor_tags.setText("bio")
    new_id = page.save_card()
    assert cards_repo.get_card(ctx.db, new_id).deck_id == bulk.id
    qtbot.waitUntil(lambda: page.count_label.text() == "1,001 cards", timeout=10_000)
    page.delete_selected_card(confirm=False)
    assert cards_repo.get_card(ctx.db, new_id) is None
    qtbot.waitUntil(lambda: page.count_label.text() == "1,000 cards", timeout=10_000)


def test_deck_options_and_export(page, qtbot, ctx, shared, tmp_path):
    _import(qtbot, page, shared / "anki" / "ankipandas" / "collection.anki2")
    deck_id = _select_deck(page, "EnglishGerman")
    page.apply_options(deck_id, 3, 0.85)
    assert cards_repo.get_deck(ctx.db, deck_id).new_per_day == 3 and review.retention(ctx) == 0.85
    qtbot.waitUntil(lambda: _deck_cells(page, "EnglishGerman") == ["0", "0", "3"])
    page.export_deck(deck_id, tmp_path / "eg.apkg")
    qtbot.waitUntil(lambda: page.message.text().startswith("Exported"), timeout=60_000)
    assert "4 notes" in page.message.text() and (tmp_path / "eg.apkg").is_file()
    assert page.import_files([tmp_path / "notes.txt"]) == []
    assert "not an Anki file" in page.message.text() or "does not exist" in page.message.text()
