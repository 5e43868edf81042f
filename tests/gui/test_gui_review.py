"""Review page: import a real deck through a job, study by keyboard (Space reveals, 1-4 rate, Ctrl+Z undoes),
play and open a card's source recording, browse and edit cards, deck options, export."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl

from lmgpa_desktop.core.study import review
from lmgpa_desktop.storage import cards_repo, sources_repo
from lmgpa_desktop.storage import review_logs_repo
from lmgpa_desktop.ui.study.card_browser import PAGE_SIZE


@pytest.fixture
def page(review_page):
    return review_page


def _import(qtbot, page, path: Path) -> None:
    assert len(page.import_files([path])) == 1
    qtbot.waitUntil(lambda: page.message.text().startswith(("Imported", "Import")) and "…" not in
                    page.message.text(), timeout=60_000)
    assert page.message.text().startswith("Imported"), page.message.text()
    qtbot.waitUntil(lambda: page.ops.pending == 0)  # the deck list has caught up


def _deck_cells(page, name: str) -> list[str] | None:
    """Learning, review and new shown for a deck."""
    for r in range(page.decks.table.rowCount()):
        if page.decks.table.item(r, 0).text() == name:
            return [page.decks.table.item(r, c).text() for c in (1, 2, 3)]
    return None


def _select_deck(page, name: str) -> int:
    for r in range(page.decks.table.rowCount()):
        if page.decks.table.item(r, 0).text() == name:
            page.decks.table.selectRow(r)
            return page.decks.table.item(r, 0).data(Qt.ItemDataRole.UserRole)
    raise AssertionError(f"no deck {name}")


def test_study_by_keyboard_with_undo(page, qtbot, ctx, shared):
    _import(qtbot, page, shared / "anki" / "ankipandas" / "collection.anki2")
    assert "7 notes" in page.message.text()
    # Counts and sizes are read in the background.
    qtbot.waitUntil(lambda: page.decks.table.rowCount() == 2 and page.decks.table.item(0, 4).text() == "8")
    deck_id = _select_deck(page, "EnglishGerman")
    assert [page.decks.table.item(1, c).text() for c in (2, 3)] in (["0", "8"], ["3", "1"])
    qtbot.keyClick(page.decks.table, Qt.Key.Key_Return)  # Enter studies the selected deck
    screen = page.reviewer
    assert page.study_stack.currentIndex() == 1 and page.deck_id == deck_id
    qtbot.waitUntil(lambda: "8 new" in page.reviewer.left_label.text())
    first = page.card
    assert first is not None and not page.reviewer.revealed and first.front in page.reviewer.card_view.toPlainText()
    assert not any(b.isVisible() for b in page.reviewer.rating_buttons.values())

    # Read-aloud says the question only, then question and answer once revealed.
    assert first.front in page.reviewer.card_text() and first.back not in page.reviewer.card_text()
    qtbot.keyClick(screen, Qt.Key.Key_Space)
    assert page.reviewer.revealed and all(b.isVisible() for b in page.reviewer.rating_buttons.values())
    assert first.back in page.reviewer.card_view.toPlainText()
    assert first.front in page.reviewer.card_text() and first.back in page.reviewer.card_text()
    assert page.reviewer.rating_buttons[1].text() == "Again (1)\n1m"
    easy = page.reviewer.rating_buttons[4].text()
    assert easy.startswith("Easy (4)\n") and easy.endswith("d")

    qtbot.keyClick(screen, Qt.Key.Key_3)  # Good: written off the UI thread, then the next card
    qtbot.waitUntil(lambda: page.ops.pending == 0)
    assert page.card.id != first.id and not page.reviewer.revealed
    assert [log.rating for log in review_logs_repo.review_logs(ctx.db, first.id)] == [3]
    left = page.reviewer.left_label
    qtbot.waitUntil(lambda: "1 learning" in left.text() and "7 new" in left.text())

    qtbot.keyClick(screen, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo shows the card again
    qtbot.waitUntil(lambda: page.ops.pending == 0)
    assert page.card.id == first.id and not page.reviewer.revealed
    assert [log.rating for log in review_logs_repo.review_logs(ctx.db, first.id)] == [3, 0]
    assert cards_repo.get_card(ctx.db, first.id).state == 0
    qtbot.waitUntil(lambda: "8 new" in page.reviewer.left_label.text())

    qtbot.keyClick(screen, Qt.Key.Key_2)  # rating before revealing does nothing
    assert len(review_logs_repo.review_logs(ctx.db)) == 8  # 6 imported + answer + undo

    answered = 0
    while page.card is not None and answered < 20:
        qtbot.keyClick(screen, Qt.Key.Key_Space)
        qtbot.keyClick(screen, Qt.Key.Key_4)  # Easy: out of today's queue
        qtbot.keyClick(screen, Qt.Key.Key_4)  # typed while the answer is written: no second rating
        qtbot.waitUntil(lambda: page.ops.pending == 0)
        answered += 1
    assert answered == 8 and "Well done" in page.reviewer.card_view.toPlainText()
    assert len(review_logs_repo.review_logs(ctx.db)) == 16  # one answer per card
    assert review.counts(ctx, deck_id).total == 0
    qtbot.keyClick(screen, Qt.Key.Key_Escape)
    assert page.study_stack.currentIndex() == 0
    qtbot.waitUntil(lambda: _deck_cells(page, "EnglishGerman") == ["0", "0", "0"])


def test_card_from_a_recording_plays_and_opens_its_source(page, qtbot, ctx, shared):
    audio = shared / "audio" / "jfk.flac"
    source = sources_repo.create(ctx.db, kind="audio", title="JFK inaugural", stored_path=str(audio),
                                 status="ready", duration_s=11.0)
    deck_id = page.decks.new_deck("Speeches")
    qtbot.waitUntil(lambda: page.ops.pending == 0)
    card = cards_repo.create_card(ctx.db, deck_id, "What should you ask?", "What you can do for your country",
                                  source_id=source.id, source_start_s=2.5, source_end_s=7.0)
    cards_repo.create_card(ctx.db, deck_id, "No source here", "right")
    page.refresh_decks()
    page.study(deck_id)
    assert page.card.id == card.id
    assert not page.reviewer.play_source_button.isVisible()  # only on the back
    qtbot.keyClick(page.reviewer, Qt.Key.Key_Space)
    assert page.reviewer.play_source_button.isVisible() and page.reviewer.open_source_button.isVisible()
    assert page.reviewer.source_label.text() == "From JFK inaugural at 0:02"
    page.reviewer.play_source_button.click()
    assert page.reviewer.audio.player.source() == QUrl.fromLocalFile(str(audio))
    assert page.reviewer.audio.stop_ms == 7000
    with qtbot.waitSignal(page.open_location) as signal:
        page.reviewer.open_source_button.click()
    assert signal.args == [source.id, None, 2.5]
    page.reviewer.audio.player.stop()
    qtbot.keyClick(page.reviewer, Qt.Key.Key_4)
    qtbot.waitUntil(lambda: page.ops.pending == 0)
    qtbot.keyClick(page.reviewer, Qt.Key.Key_Space)
    assert not page.reviewer.play_source_button.isVisible() and not page.reviewer.open_source_button.isVisible()


def test_sound_field_from_anki_is_a_play_link(page, qtbot, ctx, shared):
    _import(qtbot, page, shared / "anki" / "anki-pylib" / "media.apkg")
    page.study(_select_deck(page, "Default"))
    assert "foo.wav" in page.reviewer.card_view.toPlainText()
    page.reviewer.card_view.anchorClicked.emit(QUrl("sound:foo.wav"))
    assert page.reviewer.audio.player.source().toLocalFile().endswith("foo.wav")
    page.reviewer.audio.player.stop()


def test_browser_pages_searches_sorts_and_edits(page, qtbot, ctx, shared, tmp_path):
    _import(qtbot, page, shared / "anki" / "ankipandas" / "collection.anki2")
    bulk = cards_repo.create_deck(ctx.db, "Bulk")
    cards_repo.bulk_insert_cards(ctx.db, [{"deck_id": bulk.id, "front": f"Bulk card {i}", "back": f"answer {i}"}
                                          for i in range(1000)])
    page.refresh_decks()
    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: page.browser.count_label.text() == "1,012 cards", timeout=10_000)
    assert page.browser.model.rowCount() == PAGE_SIZE  # one page, not every card
    page.browser.table.scrollToBottom()
    qtbot.waitUntil(lambda: page.browser.model.rowCount() >= 2 * PAGE_SIZE, timeout=10_000)

    qtbot.keyClicks(page.browser.search_box, "baum")
    browser, editor = page.browser, page.browser.editor
    qtbot.waitUntil(lambda: browser.model.rowCount() == 2 and browser.count_label.text() == "2 cards", timeout=10_000)
    page.browser.table.selectRow(0)
    qtbot.waitUntil(lambda: page.ops.pending == 0)  # the editor reads the card off the UI thread
    assert [name for name, _ in page.browser.editor._field_boxes] == ["Front", "Back"]
    assert editor.field_values() == ["Tree", "Baum"] and editor.tags_box.text() == "english german noun"
    page.browser.editor.set_field_values(["Tree", "der Baum"])
    page.browser.editor.tags_box.setText("english german noun tree")
    page.browser.editor.save_card()
    qtbot.waitUntil(lambda: page.ops.pending == 0)
    cards = cards_repo.cards_by_guid(ctx.db, page.browser.editor.card.anki_guid)
    assert len(cards) == 2 and {c.tags for c in cards} == {"english german noun tree"}
    assert {c.anki_ord: c.front for c in cards}[1] == "der Baum"  # the reversed card was rendered again
    assert {c.anki_ord: c.back for c in cards}[0] == "der Baum"

    page.browser.search_box.clear()
    page.browser.deck_filter.setCurrentIndex(page.browser.deck_filter.findData(bulk.id))
    qtbot.waitUntil(lambda: page.browser.count_label.text() == "1,000 cards", timeout=10_000)
    page.browser.table.horizontalHeader().setSortIndicator(7, Qt.SortOrder.DescendingOrder)  # newest first
    qtbot.waitUntil(lambda: browser.model.rowCount() > 0 and browser.model.sort_key == "created", timeout=10_000)
    assert page.browser.model.data(page.browser.model.index(0, 0)) == "Bulk card 999"

    page.browser.new_card()
    page.browser.editor.set_field_values(["Photosynthesis makes?", "Glucose and oxygen"])
    page.browser.editor.tags_box.setText("bio")
    page.browser.editor.save_card()
    qtbot.waitUntil(lambda: page.ops.pending == 0)
    new_id = page.browser.editor.card.id  # the editor shows the card it stored
    assert cards_repo.get_card(ctx.db, new_id).deck_id == bulk.id
    qtbot.waitUntil(lambda: page.browser.count_label.text() == "1,001 cards", timeout=10_000)
    page.browser.delete_selected_card(confirm=False)
    qtbot.waitUntil(lambda: page.ops.pending == 0)
    assert cards_repo.get_card(ctx.db, new_id) is None
    qtbot.waitUntil(lambda: page.browser.count_label.text() == "1,000 cards", timeout=10_000)


def test_deck_options_and_export(page, qtbot, ctx, shared, tmp_path):
    _import(qtbot, page, shared / "anki" / "ankipandas" / "collection.anki2")
    deck_id = _select_deck(page, "EnglishGerman")
    page.decks.apply_options(deck_id, 3, 0.85)
    assert cards_repo.get_deck(ctx.db, deck_id).new_per_day == 3 and review.retention(ctx) == 0.85
    qtbot.waitUntil(lambda: _deck_cells(page, "EnglishGerman") == ["0", "0", "3"])
    page.export_deck(deck_id, tmp_path / "eg.apkg")
    qtbot.waitUntil(lambda: page.message.text().startswith("Exported"), timeout=60_000)
    assert "4 notes" in page.message.text() and (tmp_path / "eg.apkg").is_file()
    assert page.import_files([tmp_path / "notes.txt"]) == []
    assert "not an Anki file" in page.message.text() or "does not exist" in page.message.text()
