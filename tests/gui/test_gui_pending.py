"""Study → To review by keyboard: items shown as they will be studied (a cloze's gap, the right choice marked),
A / Delete / Enter-then-save keep the selection on the item that took the decided one's place until the list is
empty, Ctrl+Z brings a decision back, and "Accept all" asks first with the count."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from lmgpa_desktop.storage import practice_repo, study_repo
from lmgpa_desktop.storage.practice_repo import QuestionDraft
from lmgpa_desktop.storage.study_repo import CardDraft
from lmgpa_desktop.ui.study import pending_tab
from lmgpa_desktop.ui.study.pending_tab import PendingPanel


@pytest.fixture
def waiting(ctx):
    """Three cards (one cloze), a draft test of two questions and a note, all waiting for review."""
    deck = study_repo.deck_named(ctx.db, "Ottoman history")
    cards = study_repo.add_cards(ctx.db, deck.id, [
        CardDraft("cloze", "Constantinople fell in {{c1::1455}}.", ""),
        CardDraft("basic", "Who took Constantinople?", "Mehmed II"),
        CardDraft("basic", "What was its new name?", "Istanbul")])
    test_id, questions = practice_repo.create_test(ctx.db, "Ottomans", [], [
        QuestionDraft("mcq", "When did Constantinople fall?", "1453", ["1071", "1453", "1526"]),
        QuestionDraft("tf", "Mehmed II was a sultan.", "True", ["True", "False"])])
    note = study_repo.create_note(ctx.db, "The fall", "# The fall\nIn 1453.", status="pending")
    return ([("card", i) for i in cards] + [("question", i) for i in questions] + [("note", note.id)]), test_id


@pytest.fixture
def panel(qtbot, ctx, waiting):
    p = PendingPanel(ctx)
    qtbot.addWidget(p)
    p.resize(1024, 600)
    p.show()
    qtbot.waitExposed(p)
    qtbot.waitUntil(lambda: p.ops.pending == 0 and p.items() != [])
    yield p
    p.ops.close()


def _settled(qtbot, panel) -> None:
    qtbot.waitUntil(lambda: panel.ops.pending == 0)


def _status(ctx, key) -> str | None:
    kind, ident = key
    if kind == "card":
        rows = study_repo.cards(ctx.db, None, ids=[ident])
    elif kind == "question":
        rows = practice_repo.questions(ctx.db, ids=[ident])
    else:
        rows = [n for n in [study_repo.get_note(ctx.db, ident)] if n]
    return rows[0].status if rows else None


def test_items_show_as_they_will_be_studied(panel, waiting):
    keys, _ = waiting
    row = panel.tree.topLevelItem(0).child(0)
    assert row.text(0).startswith("Constantinople fell in [...].") and row.text(1) == "1455"
    assert "{{c1::" not in row.text(0) and "1455" not in row.text(0)
    panel.select([keys[0]])
    shown = panel.detail.toPlainText()
    front, back = shown.split("Back", 1)
    assert "Constantinople fell in [...]." in front and "1455" not in front and "{{" not in shown
    assert "Constantinople fell in 1455." in back
    assert 'class="cloze"' not in panel.detail.toHtml() and "font-weight:700" in panel.detail.toHtml()  # marked
    panel.select([keys[3]])  # the multiple-choice question: its choices, the right one marked
    shown = panel.detail.toPlainText()
    assert "A. 1071" in shown and "✓ B. 1453 (right answer)" in shown and "C. 1526" in shown


def test_the_keyboard_clears_the_list_one_item_at_a_time(panel, qtbot, ctx, waiting, monkeypatch):
    keys, _ = waiting
    panel.select([keys[0]])
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Down)
    assert panel.selected() == [keys[1]]
    qtbot.keyClick(panel.tree, Qt.Key.Key_Up)
    assert panel.selected() == [keys[0]]

    qtbot.keyClick(panel.tree, Qt.Key.Key_A)  # accept: the next card takes its place
    _settled(qtbot, panel)
    assert _status(ctx, keys[0]) == "active"
    assert panel.selected() == [keys[1]] and panel.tree.hasFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Delete)  # reject: the same
    _settled(qtbot, panel)
    assert _status(ctx, keys[1]) is None
    assert panel.selected() == [keys[2]] and panel.tree.hasFocus()

    def edit_and_save(dialog):  # Enter opens the editor; "Save and accept"
        dialog.boxes[1].setPlainText("Istanbul (since 1930 officially)")
        return QDialog.DialogCode.Accepted
    monkeypatch.setattr(pending_tab.EditDialog, "exec", edit_and_save)
    qtbot.keyClick(panel.tree, Qt.Key.Key_Return)
    _settled(qtbot, panel)
    assert study_repo.cards(ctx.db, "active", ids=[keys[2][1]])[0].back == "Istanbul (since 1930 officially)"
    assert panel.selected() == [keys[3]] and panel.tree.hasFocus()  # on to the first question

    for key, press, status in ((keys[3], Qt.Key.Key_A, "active"), (keys[4], Qt.Key.Key_Delete, None),
                               (keys[5], Qt.Key.Key_A, "active")):
        assert panel.selected() == [key]
        qtbot.keyClick(panel.tree, press)
        _settled(qtbot, panel)
        assert _status(ctx, key) == status
    assert panel.items() == [] and panel.empty.isVisible()


def test_pressing_keys_faster_than_the_database_decides_each_item_once(panel, qtbot, ctx, waiting):
    keys, _ = waiting
    panel.select([keys[0]])
    panel.tree.setFocus()
    for _ in range(3):
        qtbot.keyClick(panel.tree, Qt.Key.Key_A)  # no waiting between the keys
    _settled(qtbot, panel)
    assert [_status(ctx, k) for k in keys[:4]] == ["active", "active", "active", "pending"]
    assert panel.selected() == [keys[3]]


def test_undo_brings_a_decision_back(panel, qtbot, ctx, waiting):
    keys, _ = waiting
    assert not panel.undo_button.isVisible()
    panel.select([keys[1]])
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Delete)
    _settled(qtbot, panel)
    assert keys[1] not in panel.items() and _status(ctx, keys[1]) is None
    assert panel.message.text() == "Rejected 1 item." and panel.undo_button.isVisible()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _settled(qtbot, panel)
    assert panel.items() == keys and panel.selected() == [keys[1]]  # back in its place, selected
    assert _status(ctx, keys[1]) == "pending" and panel.message.text().startswith("Undone")

    qtbot.keyClick(panel.tree, Qt.Key.Key_A)  # an accept is taken back by the button too
    _settled(qtbot, panel)
    assert _status(ctx, keys[1]) == "active"
    panel.undo_button.click()
    _settled(qtbot, panel)
    assert _status(ctx, keys[1]) == "pending" and keys[1] in panel.items()
    assert not panel.undo_button.isVisible()


def test_accept_all_asks_with_the_count_first(panel, qtbot, ctx, waiting, monkeypatch):
    keys, test_id = waiting
    asked = []

    def answer(button):
        def question(parent, title, text, *args):
            asked.append(text)
            return button
        return question

    panel.deck.setCurrentText("Byzantium")
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel))
    panel.accept_all_button.click()
    _settled(qtbot, panel)
    assert asked and asked[0].startswith("Accept all 6 items into the deck “Byzantium”?")
    assert "3 flashcards to “Byzantium”; 2 questions to their practice tests; 1 note to your notes" in asked[0]
    assert [_status(ctx, k) for k in keys] == ["pending"] * 6 and panel.items() == keys  # cancel accepts nothing

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    panel.accept_all_button.click()
    _settled(qtbot, panel)
    assert [_status(ctx, k) for k in keys] == ["active"] * 6 and panel.items() == []
    assert practice_repo.get_test(ctx.db, test_id).status == "ready"
    panel.undo()  # and the whole of it can be taken back
    _settled(qtbot, panel)
    assert [_status(ctx, k) for k in keys] == ["pending"] * 6 and panel.items() == keys
    assert study_repo.deck_named(ctx.db, "Byzantium", create=False) is None
