"""The card browser as in Anki: rendered columns (cloze, HTML), a preview with the source link, actions on many
selected cards by keyboard with undo, column widths remembered, and room for Front at 1024x700."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtWidgets import QInputDialog

from lmgpa_desktop.app import build_window
from lmgpa_desktop.core.study.anki import importing as anki_import
from lmgpa_desktop.storage import cards_repo, sources_repo
from lmgpa_desktop.ui.study.card_browser import CardBrowser

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def page(review_page):
    return review_page


def _open_browser(page, qtbot, count: int) -> CardBrowser:
    page.refresh_decks()
    page.tabs.setCurrentIndex(1)
    browser = page.browser
    qtbot.waitUntil(lambda: browser.count_label.text().startswith(f"{count:,} card")
                    and browser.model.rowCount() == count and page.ops.pending == 0, timeout=10_000)
    return browser


def _cells(browser, column: int) -> list[str]:
    return [browser.model.data(browser.model.index(r, column)) for r in range(browser.model.rowCount())]


def _select(browser, rows: list[int]) -> None:
    selection = QItemSelection()
    for r in rows:
        selection.select(browser.model.index(r, 0), browser.model.index(r, 0))
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    browser.table.selectionModel().select(selection, flags)
    browser.table.selectionModel().setCurrentIndex(browser.model.index(rows[0], 0),
                                                   QItemSelectionModel.SelectionFlag.NoUpdate)
    browser.table.setFocus()


def test_columns_show_cloze_and_html_as_the_student_reads_them(page, qtbot, ctx, shared):
    deck = cards_repo.create_deck(ctx.db, "History")
    cards_repo.create_card(ctx.db, deck.id, "Constantinople fell in {{c1::1453}}.\n\n  It was   the end.",
                           "Byzantine empire", kind="cloze")
    cards_repo.create_card(ctx.db, deck.id, "{{c1::Mehmed II::a sultan}} took the city", "", kind="cloze")
    cards_repo.create_card(ctx.db, deck.id, '<div class="q">Capital of <b>France</b> &amp; its river?</div>'
                           '<script>alert(1)</script>[sound:paris.mp3]', "<div>Paris &ndash; Seine</div>",
                           anki_fields=[["Front", "Capital of France"], ["Back", "Paris"]], anki_ord=0,
                           anki_model="Basic")
    long_front = "Why " + "very " * 80 + "long?"
    cards_repo.create_card(ctx.db, deck.id, long_front, "because")
    browser = _open_browser(page, qtbot, 4)
    fronts, backs = _cells(browser, 0), _cells(browser, 1)
    assert fronts[:3] == ["Constantinople fell in [...]. It was the end.", "[a sultan] took the city",
                          "Capital of France & its river?"]
    assert backs[:3] == ["1453 — Byzantine empire", "Mehmed II", "Paris – Seine"]
    tooltip = browser.model.data(browser.model.index(3, 0), Qt.ItemDataRole.ToolTipRole)
    assert tooltip.startswith("Why very very") and len(tooltip) > 200  # the whole text, though the cell elides
    assert browser.table.textElideMode() == Qt.TextElideMode.ElideRight and not browser.table.wordWrap()

    # A real Anki deck: its template HTML is stripped to the words on the card.
    source = anki_import.import_file(ctx, shared / "anki" / "ultimate-geography" / "UG_EN_textonly.apkg")
    page.refresh_decks()
    qtbot.waitUntil(lambda: browser.deck_filter.findData(source.deck_ids[0]) > 0)
    browser.deck_filter.setCurrentIndex(browser.deck_filter.findData(source.deck_ids[0]))
    browser.search_box.setText("capital london")
    qtbot.waitUntil(lambda: browser.model.rowCount() > 0 and browser.model.search == "capital london"
                    and page.ops.pending == 0, timeout=10_000)
    cells = _cells(browser, 0) + _cells(browser, 1)
    assert "England Constituent country of the United Kingdom. Capital ?" in cells
    assert not any("<" in c or "&" in c or "\n" in c for c in cells)


def test_preview_shows_both_sides_and_opens_the_source_at_its_second(page, qtbot, ctx, shared):
    lecture = sources_repo.create(ctx.db, kind="audio", title="Lecture 3", stored_path=str(shared / "audio" /
                                  "jfk.flac"), status="ready", duration_s=11.0)
    pdf = sources_repo.create(ctx.db, kind="pdf", title="Notes.pdf", status="ready")
    deck = cards_repo.create_deck(ctx.db, "Speeches")
    heard = cards_repo.create_card(ctx.db, deck.id, "Ask not what your {{c1::country}} can do", "for you",
                                   kind="cloze", source_id=lecture.id, source_start_s=36.4, source_end_s=40.0)
    read = cards_repo.create_card(ctx.db, deck.id, "What is on page 3?", "A table", source_id=pdf.id,
                                  source_page=3)
    cards_repo.create_card(ctx.db, deck.id, "<b>Bold</b><script>document.write('x')</script><img src='http://"
                           "tracker.example/p.png'>", "plain", anki_fields=[["Front", "Bold"]], anki_ord=0,
                           anki_model="Basic")
    browser = _open_browser(page, qtbot, 3)
    rows = {browser.model.card_id(r): r for r in range(3)}

    browser.table.selectRow(rows[heard.id])
    qtbot.waitUntil(lambda: browser.preview.view is not None and browser.preview.view.card.id == heard.id)
    text = browser.preview.page.toPlainText()
    assert "Ask not what your [...] can do" in text and "Ask not what your country can do" in text
    assert "for you" in text and "{{c1::" not in text
    assert browser.preview.source_link.text() == '<a href="source">From Lecture 3 at 0:36</a>'
    assert browser.editor.isVisible() and browser.preview.isVisible()  # the editor stays beside the preview
    with qtbot.waitSignal(page.open_location) as signal:
        browser.preview.source_link.linkActivated.emit("source")
    assert signal.args == [lecture.id, None, 36.4]

    browser.table.selectRow(rows[read.id])
    qtbot.waitUntil(lambda: browser.preview.view is not None and browser.preview.view.card.id == read.id)
    assert "From Notes.pdf, page 3" in browser.preview.source_link.text()

    browser.table.selectRow(rows[next(i for i in rows if i not in (heard.id, read.id))])
    qtbot.waitUntil(lambda: browser.preview.view is not None and browser.preview.view.card.front.startswith("<b>"))
    html_shown = browser.preview.view.question
    assert "<b>Bold</b>" in html_shown and "script" not in html_shown and "tracker" not in html_shown
    assert browser.preview.source_link.text() == ""  # no source, no link


def test_many_cards_moved_tagged_suspended_deleted_by_keyboard_and_undone(page, qtbot, ctx, monkeypatch):
    bio = cards_repo.create_deck(ctx.db, "Biology")
    exam = cards_repo.create_deck(ctx.db, "Exam")
    cards_repo.bulk_insert_cards(ctx.db, [{"deck_id": bio.id, "front": f"Cell part {i}", "back": f"answer {i}",
                                           "tags": "cells Bio" if i % 2 else "cells"} for i in range(6)])
    browser = _open_browser(page, qtbot, 6)
    assert browser.table.selectionMode() == browser.table.SelectionMode.ExtendedSelection
    ids = [browser.model.card_id(r) for r in range(6)]
    chosen = ids[1:4]

    def done() -> bool:
        return page.ops.pending == 0

    # Ctrl+D: move to a deck chosen in the dialog.
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("Exam", True))
    _select(browser, [1, 2, 3])
    qtbot.keyClick(browser.table, Qt.Key.Key_D, CTRL)
    qtbot.waitUntil(done)
    assert {cards_repo.get_card(ctx.db, i).deck_id for i in chosen} == {exam.id}
    assert cards_repo.get_card(ctx.db, ids[0]).deck_id == bio.id
    assert _cells(browser, 2)[1:4] == ["Exam"] * 3 and browser.selected_ids() == chosen  # shown in place
    assert "Moved 3 cards to Exam" in page.message.text()

    # Ctrl+Shift+T: add tags; Ctrl+Alt+Shift+T: remove one (any case, as in Anki).
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("midterm", True))
    qtbot.keyClick(browser.table, Qt.Key.Key_T, CTRL | SHIFT)
    qtbot.waitUntil(done)
    assert [cards_repo.get_card(ctx.db, i).tags for i in chosen] == ["cells Bio midterm", "cells midterm",
                                                                      "cells Bio midterm"]
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("bio", True))
    qtbot.keyClick(browser.table, Qt.Key.Key_T, CTRL | SHIFT | Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(done)
    assert [cards_repo.get_card(ctx.db, i).tags for i in chosen] == ["cells midterm"] * 3

    # Ctrl+J: suspend, shown as Anki does; Ctrl+J again unsuspends.
    qtbot.keyClick(browser.table, Qt.Key.Key_J, CTRL)
    qtbot.waitUntil(done)
    assert all(cards_repo.get_card(ctx.db, i).suspended for i in chosen)
    assert _cells(browser, 4)[1].startswith("(") and browser.model.data(
        browser.model.index(1, 0), Qt.ItemDataRole.BackgroundRole) is not None

    # Undo, newest first: suspend, remove tag, add tag, move.
    for _ in range(4):
        qtbot.keyClick(browser.table, Qt.Key.Key_Z, CTRL)
        qtbot.waitUntil(done)
    after = [cards_repo.get_card(ctx.db, i) for i in chosen]
    assert [c.tags for c in after] == ["cells Bio", "cells", "cells Bio"]
    assert {c.deck_id for c in after} == {bio.id} and not any(c.suspended for c in after)
    assert not browser.undo_button.isEnabled()

    # Delete: no question (Ctrl+Z brings them back), the next row is selected; a reviewed card comes back too.
    from lmgpa_desktop.core.study import review

    review.answer(ctx, ids[2], 3)
    browser.reload()
    qtbot.waitUntil(lambda: browser.model.rowCount() == 6 and done())
    rows = [browser.model.row_of(i) for i in chosen]
    _select(browser, rows)
    qtbot.keyClick(browser.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: done() and browser.count_label.text() == "3 cards")
    assert cards_repo.get_card(ctx.db, ids[1]) is None and cards_repo.get_card(ctx.db, ids[2]).deleted_at
    assert browser.model.rowCount() == 3 and len(browser.selected_ids()) == 1
    browser.undo_button.click()
    qtbot.waitUntil(lambda: done() and browser.count_label.text() == "6 cards")
    back = [cards_repo.get_card(ctx.db, i) for i in chosen]
    assert all(c is not None and c.deleted_at is None for c in back)
    assert back[0].front == "Cell part 1" and back[0].tags == "cells Bio"


def test_column_widths_and_hidden_columns_are_remembered_by_a_new_browser(page, qtbot, ctx):
    deck = cards_repo.create_deck(ctx.db, "Words")
    cards_repo.create_card(ctx.db, deck.id, "Baum", "tree")
    browser = _open_browser(page, qtbot, 1)
    table, header = browser.table, browser.table.horizontalHeader()
    header.resizeSection(2, 170)  # the student drags Deck wider
    header.resizeSection(0, 420)  # and the line between Front and Back to the right
    browser.table.show_column(7, True)  # Created, hidden at first

    def saved() -> dict:
        return ctx.settings.get("ui.card_browser") or {}

    qtbot.waitUntil(lambda: page.ops.pending == 0 and saved().get("widths", {}).get("Deck") == 170
                    and "Created" not in saved()["hidden"], timeout=5_000)
    fitted = [header.sectionSize(i) for i in range(8)]
    assert fitted[2] == 170 and not header.isSectionHidden(7)
    assert sum(header.sectionSize(i) for i in range(8) if not header.isSectionHidden(i)) <= \
        table.viewport().width()  # Front and Back share what is left: no horizontal scrolling
    share = fitted[0] / (fitted[0] + fitted[1])
    assert share > 0.55  # Front took width from Back

    again = CardBrowser(ctx, page.ops)  # as after a restart: read from the settings
    qtbot.addWidget(again)
    again.resize(1000, 600)
    again.show()
    qtbot.waitExposed(again)
    header2 = again.table.horizontalHeader()
    assert header2.sectionSize(2) == 170 and not header2.isSectionHidden(7)
    front, back = header2.sectionSize(0), header2.sectionSize(1)
    assert abs(front / (front + back) - share) < 0.02
    assert sum(header2.sectionSize(i) for i in range(8) if not header2.isSectionHidden(i)) == \
        again.table.viewport().width()


@pytest.mark.parametrize("size", [(1024, 700), (1440, 900)])
def test_front_and_back_are_readable_in_the_window(qtbot, ctx, size):
    deck = cards_repo.create_deck(ctx.db, "Geography")
    cards_repo.create_card(ctx.db, deck.id, "What is the capital of the United Kingdom?", "London")
    window = build_window(ctx)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    window.show_area("review")
    page = window.pages["review"]
    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: page.browser.model.rowCount() == 1)
    table = page.browser.table
    header = table.horizontalHeader()
    assert header.sectionSize(0) >= 200 and header.sectionSize(1) >= 150, [header.sectionSize(i) for i in range(8)]
    assert not table.horizontalScrollBar().isVisible()
    assert page.browser.preview.isVisible() and page.browser.editor.isVisible()
    window.close()
