"""Polish (issue #14): readable drop-downs and links in both themes, the system's font size, toasts that cover no
control, status lines that clear, errors in plain words that keep what was typed, sidebar icons."""

from __future__ import annotations

from collections import Counter

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractItemView, QApplication, QComboBox, QLabel, QLineEdit, QVBoxLayout, QWidget,
)

from lmgpa_desktop import paths
from lmgpa_desktop.ui.kit.plain_errors import plain_message
from lmgpa_desktop.ui.kit.status_line import StatusLine
from lmgpa_desktop.ui.progress import celebration
from lmgpa_desktop.ui.shell import theme
from lmgpa_desktop.ui.shell.main_window import AREAS

THEMES = ["light", "dark"]


@pytest.fixture
def themed(qapp):
    """Restores the light theme (the app's default) after a test switched themes."""
    yield qapp
    theme.apply(qapp, "light")


@pytest.fixture
def window(laptop_window):
    return laptop_window


def _row_colors(view, image, row: int) -> Counter:
    rect = view.visualRect(view.model().index(row, 0)).intersected(image.rect())
    return Counter(image.pixelColor(x, y).name() for y in range(rect.top(), rect.bottom())
                   for x in range(rect.left(), rect.right()))


@pytest.mark.parametrize("name", THEMES)
def test_the_current_entry_of_a_drop_down_stands_out(themed, qtbot, name):
    theme.apply(themed, name)
    host = QWidget()
    qtbot.addWidget(host)
    combo = QComboBox()
    combo.addItems(["Last 7 days", "Last 30 days", "All time"])
    combo.setCurrentIndex(1)
    QVBoxLayout(host).addWidget(combo)
    host.show()
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    image = view.viewport().grab().toImage()
    current, other = _row_colors(view, image, 1), _row_colors(view, image, 0)
    current_bg, other_bg = current.most_common(1)[0][0], other.most_common(1)[0][0]
    assert current_bg != other_bg  # before: both white in light (the text white on white), both #262a36 in dark
    assert current_bg == themed.palette().color(QPalette.ColorRole.Highlight).name() or current_bg in (
        "#5b5bd6", "#7b7bef")
    assert len(current) > 2  # the entry's text is drawn in a colour other than its background
    combo.hidePopup()


@pytest.mark.parametrize("name", THEMES)
def test_links_are_readable_on_both_backgrounds(themed, name):
    theme.apply(themed, name)
    palette = themed.palette()
    for link in (QPalette.ColorRole.Link, QPalette.ColorRole.LinkVisited):
        for ground in (QPalette.ColorRole.Base, QPalette.ColorRole.Window):
            ratio = theme.contrast(palette.color(link), palette.color(ground))
            assert ratio >= 4.5, (name, link, ground, ratio)  # Qt's default #0000ff on #232733 is 1.7


def test_the_stylesheets_follow_the_system_font(themed, qtbot):
    for name in THEMES:
        text = paths.resource("styles", f"{name}.qss").read_text(encoding="utf-8")
        sizes = [line for line in text.splitlines() if "font-size" in line]
        assert sizes and all("em;" in line for line in sizes), sizes  # relative sizes only, no px or fixed pt
        assert "QWidget { font-size" not in text
    big = theme.stylesheet("light", 14.0)
    assert "QLabel#pageTitle { font-size: 22.4pt;" in big  # 1.6em of a 14 pt desktop font
    theme.apply(themed, "dark")
    body, title = QLabel("text"), QLabel("Title")
    title.setObjectName("pageTitle")
    host = QWidget()
    qtbot.addWidget(host)
    layout = QVBoxLayout(host)
    layout.addWidget(title)
    layout.addWidget(body)
    host.show()
    system = theme.base_point_size(themed)
    assert body.font().pointSizeF() == pytest.approx(QFont(themed.font()).pointSizeF())  # was forced to 10.5 pt
    assert title.font().pointSizeF() == pytest.approx(round(1.6 * system, 1))


def _controls(window) -> list[QWidget]:
    kinds = (QAbstractButton, QLineEdit, QComboBox, QAbstractItemView)
    return [w for w in window.findChildren(QWidget) if isinstance(w, kinds) and w.isVisible()
            and not isinstance(w.window().parentWidget(), QComboBox)]


def _in_window(widget: QWidget, window) -> QRect:
    """The part of widget the student can see (a scroll area clips what is scrolled away), in window coordinates."""
    seen = widget.visibleRegion().boundingRect()
    return QRect(widget.mapTo(window, seen.topLeft()), seen.size())


@pytest.mark.parametrize("key", ["study", "review", "home", "settings"])
def test_a_toast_covers_no_control(window, qtbot, key):
    window.show_area(key)
    if key == "study":
        window.pages["study"].show_tab("practice")  # its buttons sat under the old bottom-right toast
    qtbot.wait(50)
    toast = celebration.celebrate(window, "Achievement unlocked: Century", "Answer 100 flashcards.", show_ms=60_000)
    qtbot.waitUntil(toast.isVisible)
    where = _in_window(toast, window)
    assert window.rect().contains(where)
    covered = [w for w in _controls(window) if w is not toast and not toast.isAncestorOf(w)
               and _in_window(w, window).intersects(where)]
    assert not covered, [f"{type(w).__name__} {getattr(w, 'text', lambda: '')()}" for w in covered]
    assert toast.focusPolicy().name == "NoFocus" and QApplication.focusWidget() is not toast
    toast.close()


def test_toasts_for_one_window_take_turns(window, qtbot):
    first = celebration.celebrate(window, "First card", "Answer one card.", show_ms=60_000)
    second = celebration.celebrate(window, "Century", "Answer 100 flashcards.", show_ms=60_000)
    qtbot.waitUntil(first.isVisible)
    assert not second.isVisible()  # waits: its time starts when it can be read
    first.close()
    qtbot.waitUntil(second.isVisible)
    second.close()


def test_a_status_line_clears_a_done_message_but_keeps_work_and_errors(qtbot):
    line = StatusLine(done_ms=30)
    qtbot.addWidget(line)
    line.setText("Saving…")
    assert not line.timer.isActive()  # work under way stays
    line.setText("Saved to notes.md.")
    qtbot.waitUntil(lambda: line.text() == "")
    line.show_error("Could not save: the disk is full.")
    assert not line.timer.isActive() and line.text().startswith("Could not save")


@pytest.mark.parametrize("message, plain", [
    ("sign in to a Little Monster GPA server first (Account page, or `lmgpa account signin`)",
     "Sign in to a Little Monster GPA server first (Account page)."),
    ("a group needs a name", "A group needs a name."),
])
def test_errors_are_shown_without_command_lines(message, plain):
    assert plain_message(RuntimeError(message)) == plain


def test_offline_is_said_plainly():
    class ServerUnreachable(Exception):
        pass

    text = plain_message(ServerUnreachable("the server at http://x cannot be reached (ConnectError)"))
    assert "ConnectError" not in text and "offline" in text


def test_groups_keep_what_was_typed_when_it_cannot_be_sent(window, qtbot, monkeypatch):
    window.show_area("groups")
    page = window.pages["groups"]
    assert page.status.status == "signed_out"
    page.new_name.setText("Biology study group")
    page.create_group()
    qtbot.waitUntil(lambda: page.in_flight == 0 and page.message.text() != "Saving…")
    assert page.new_name.text() == "Biology study group"  # before: cleared, and lost
    assert "lmgpa" not in page.message.text() and "`" not in page.message.text()
    assert "kept" in page.message.text()
    monkeypatch.setattr(page, "current_group_id", lambda: "g1")
    page.send_box.setText("Does anyone have the notes from Tuesday?")
    page.send()
    qtbot.waitUntil(lambda: page.in_flight == 0 and page.message.text() != "Saving…")
    assert page.send_box.text() == "Does anyone have the notes from Tuesday?"
    assert "message is kept" in page.message.text() and "lmgpa" not in page.message.text()
    assert not page.message.timer.isActive()  # an error stays until the next message


def test_every_sidebar_entry_has_an_icon_and_the_badge_keeps_it(window):
    assert all(not window.nav.item(i).icon().isNull() for i in range(window.nav.count()))
    row = [a.key for a in AREAS].index("notifications")
    window.show_unread(3)
    assert not window.nav.item(row).icon().isNull()
    window.show_unread(0)
    assert not window.nav.item(row).icon().isNull()  # before: the entry lost its icon with no unread left


# -- status lines on the pages that kept "Stopped." or "Saved …" forever --------------------------------------------

def _drop(widget, files) -> None:
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
    widget.dropEvent(QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier))


def test_done_messages_clear_on_notes_review_record_and_chat(window, qtbot, tmp_path):
    from lmgpa_desktop.core.study.chat.conversations import Message

    for area in ("study", "review", "record", "chat"):
        window.show_area(area)  # pages are built when first shown
    study, review_page = window.pages["study"], window.pages["review"]
    record, chat = window.pages["record"], window.pages["chat"]
    lines = {"notes": study.notes.message, "review": review_page.message, "record": record.message,
             "chat": chat.status}
    for name, line in lines.items():
        assert isinstance(line, StatusLine), name  # before: plain labels that kept their last words
        line.done_ms = 50

    window.show_area("study")
    study.show_tab("notes")
    notes = study.notes
    notes.new_note()
    qtbot.waitUntil(lambda: notes.note_id is not None and notes.ops.pending == 0)
    assert notes.save()
    assert notes.message.text().startswith("Saved")
    qtbot.waitUntil(lambda: notes.message.text() == "")

    window.show_area("chat")
    chat.messages = [Message(None, None, "assistant", "Kepler's laws describe the orbits.")]
    chat.copy_answer()
    assert chat.status.text() == "Answer copied."
    qtbot.waitUntil(lambda: chat.status.text() == "")

    window.show_area("record")
    notes_file = tmp_path / "notes.txt"
    notes_file.write_text("not a recording")
    _drop(record, [notes_file])
    assert record.message.text().startswith("Not audio or video")
    qtbot.waitUntil(lambda: record.message.text() == "")

    window.show_area("review")
    review_page.reviewer.message.emit("Undid the last answer.")
    assert review_page.message.text() == "Undid the last answer."
    qtbot.waitUntil(lambda: review_page.message.text() == "")
    review_page.transfer.message.emit("Importing 1 file(s)…")
    qtbot.wait(150)
    assert review_page.message.text() == "Importing 1 file(s)…"  # work under way stays while it runs


# -- errors: what to do in the app, not a command line ---------------------------------------------------------

@pytest.mark.parametrize("message, plain", [
    ("the model package foo is not installed; run ./run (or pip install foo)",
     "The model package foo is not installed. Reinstall Little Monster GPA to restore it."),
    ("Qwen is not installed (missing x); install it with: lmgpa models install qwen",
     "Qwen is not installed (missing x). Install it from Settings → Models."),
    ("Qwen 2.5 is not installed; install it first (1.1 GB download): lmgpa models install qwen",
     "Qwen 2.5 is not installed. Install it from Settings → Models."),
    ("the parts of Qwen do not join into the expected file (SHA-256 ab… instead of cd…); it was not loaded. "
     "Reinstall: lmgpa models install qwen",
     "The parts of Qwen do not join into the expected file (SHA-256 ab… instead of cd…); it was not loaded. "
     "Install it from Settings → Models."),
    ("the language model chosen in Settings (foo) is not in this version's catalogue; choose another with: "
     "lmgpa models use default",
     "The language model chosen in Settings (foo) is not in this version's catalogue. "
     "Choose another one in Settings → Models."),
    ("tesseract is not installed or not on PATH: install tesseract-ocr "
     "(Debian/Ubuntu: apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd)",
     "Tesseract is not installed or not on PATH. Install “tesseract-ocr” with your computer's software manager, "
     "then restart Little Monster GPA."),
])
def test_model_and_ocr_errors_say_where_to_fix_it_in_the_app(message, plain):
    assert plain_message(RuntimeError(message)) == plain  # before: the advice went with the command line


def test_settings_shows_model_problems_without_command_lines(window, qtbot):
    from types import SimpleNamespace

    window.show_area("settings")
    page = window.pages["settings"]
    problem = "error: Qwen is not installed (missing part1); install it with: lmgpa models install qwen"
    page._check_job = 4242
    page._on_job_finished(SimpleNamespace(id=4242, state="done", result={"llm": problem}))
    status = page.model_rows["llm"]["status"].text()
    assert "lmgpa" not in status and "Settings → Models" in status, status  # before: the command line, raw
    page._install_job = 4343
    page._install_finished(SimpleNamespace(id=4343, state="failed", error=problem[7:], result=None))
    said = page.catalogue_status.text()
    assert said.startswith("Install failed: Qwen is not installed") and "lmgpa" not in said, said


# -- shortcuts the overlay could not see ---------------------------------------------------------------------------

def _key_holders(window):
    from PySide6.QtGui import QAction, QShortcut

    actions = [a for w in [window, *window.findChildren(QWidget)] for a in w.actions()
               if isinstance(a, QAction) and not all(s.isEmpty() for s in a.shortcuts())]
    return actions, [s for s in window.findChildren(QShortcut) if not all(k.isEmpty() for k in s.keys())]


def test_every_shortcut_says_what_it_does(window, qtbot):
    for area in AREAS:
        window.show_area(area.key)  # every page built, with its shortcuts
    window.pages["study"].show_tab("notes")
    actions, shortcuts = _key_holders(window)
    assert len(actions) > 20 and shortcuts
    nameless = [a.shortcut().toString() for a in actions if not a.text().strip()]
    nameless += [s.key().toString() + " on " + type(s.parent()).__name__ for s in shortcuts if not s.whatsThis()]
    assert not nameless  # before: Ctrl+M, Ctrl+F, Ctrl+Space, Ctrl+S (card and note), Esc in chat, A/E/Delete…


def test_the_overlay_lists_page_keys_the_widgets_declare(window, qtbot):
    from lmgpa_desktop.ui.shell.shortcuts_overlay import collect

    def listed(area: str) -> set[tuple[str, str]]:
        return {(s.keys, s.does) for s in collect(window, window.pages[area], area) if s.where == area}

    window.show_area("record")
    assert {("Ctrl+M", "Mark this moment"), ("Ctrl+F", "Find in the transcript"),
            ("Ctrl+Space", "Play or pause the recording")} <= listed("record")
    window.show_area("chat")
    assert {("Esc", "Stop the answer"), ("Return", "Send the question")} <= listed("chat")
    window.show_area("study")
    window.pages["study"].show_tab("notes")
    assert any(keys.startswith("Ctrl+S") and does == "Save the note" for keys, does in listed("study"))
    window.show_area("review")
    page = window.pages["review"]
    assert ("Return", "Study the selected deck") in listed("review")
    assert not any(does == "Show the answer" for _keys, does in listed("review"))  # the study screen is hidden
    page.study(None)
    qtbot.waitUntil(lambda: page.ops.pending == 0)
    keys = listed("review")
    assert {("Space, Return", "Show the answer"), ("1, 2, 3, 4", "Rate the answer: Again, Hard, Good, Easy"),
            ("Esc", "Back to the deck list"), ("R", "Read the card aloud, or pause")} <= keys
    page.leave_study()


@pytest.fixture
def review_pages(qtbot, ctx):
    """A deck of eight new cards, and a function that opens a Review page on it (as at start-up)."""
    from lmgpa_desktop.core.study import decks
    from lmgpa_desktop.ui.kit.job_runner import JobRunner
    from lmgpa_desktop.ui.study.review_page import ReviewPage

    deck = decks.create_deck(ctx, "Capitals")
    for country, city in [("France", "Paris"), ("Japan", "Tokyo"), ("Kenya", "Nairobi"), ("Peru", "Lima"),
                          ("Chile", "Santiago"), ("Egypt", "Cairo"), ("Norway", "Oslo"), ("Ghana", "Accra")]:
        decks.create_card(ctx, deck.id, f"Capital of {country}?", city)
    runner = JobRunner(ctx)
    runner.start()
    pages = []

    def open_page() -> tuple:
        page = ReviewPage(ctx, runner)
        qtbot.addWidget(page)
        page.resize(1024, 700)
        page.show()
        pages.append(page)
        return page, deck.id

    yield open_page
    runner.stop()
    for page in pages:
        page.ops.close()


@pytest.fixture
def review_page(review_pages):
    return review_pages()


def _press(qtbot, widget, key: str) -> None:
    from PySide6.QtGui import QKeySequence

    combo = QKeySequence(key)[0]
    qtbot.keyClick(widget, combo.key(), combo.keyboardModifiers())


def test_the_reviewer_handles_every_key_it_lists(review_page, qtbot, ctx, monkeypatch):
    from lmgpa_desktop.storage import review_logs_repo
    from lmgpa_desktop.ui.study.reviewer import Reviewer

    page, deck_id = review_page
    screen = page.reviewer
    declared = {key for keys, _does in Reviewer.KEYS for key in keys}
    pressed: set[str] = set()

    def study() -> None:
        page.study(deck_id)
        qtbot.waitUntil(lambda: screen.card is not None and not screen.answering)

    def answered() -> list[int]:
        return [log.rating for log in review_logs_repo.review_logs(ctx.db)]

    study()
    for key in ("Space", "Return"):  # each shows the answer of a new card
        assert not screen.revealed
        _press(qtbot, screen, key)
        assert screen.revealed, key
        pressed.add(key)
        _press(qtbot, screen, "1")  # and a rating key moves on to the next card
        qtbot.waitUntil(lambda: not screen.answering and not screen.revealed)
    for rating in ("2", "3", "4"):
        _press(qtbot, screen, "Space")
        before = screen.card.id
        _press(qtbot, screen, rating)
        qtbot.waitUntil(lambda: not screen.answering and screen.card is not None and screen.card.id != before)
        pressed.add(rating)
    assert answered() == [1, 1, 2, 3, 4]
    pressed.add("1")
    _press(qtbot, screen, "Space")
    _press(qtbot, screen, "Space")  # on the answer: Good
    qtbot.waitUntil(lambda: not screen.answering and len(answered()) == 6)
    assert answered()[-1] == 3
    last = review_logs_repo.review_logs(ctx.db)[-1].card_id
    _press(qtbot, screen, "Ctrl+Z")
    qtbot.waitUntil(lambda: not screen.answering and screen.card is not None and screen.card.id == last)
    assert answered()[-1] == 0 and page.message.text() == "Undid the last answer."
    pressed.add("Ctrl+Z")
    toggled = []
    monkeypatch.setattr(screen.read_aloud, "toggle", lambda: toggled.append(True))  # no voice model in this test
    _press(qtbot, screen, "R")
    assert toggled
    pressed.add("R")
    _press(qtbot, screen, "Esc")
    assert page.study_stack.currentIndex() == 0  # back on the deck list
    pressed.add("Esc")
    assert declared == pressed  # a key listed but not pressed here, or pressed but not listed, fails


# -- the system's font size -----------------------------------------------------------------------------------

@pytest.fixture
def bigger_font(qapp):
    """Run with the app font at a size, then restore the desktop's."""
    original = QFont(qapp.font())

    def set_size(points: float) -> None:
        font = QFont(original)
        font.setPointSizeF(points)
        qapp.setFont(font)

    yield set_size
    qapp.setFont(original)


def _body_height(points: float) -> float:
    from PySide6.QtGui import QFontMetricsF

    font = QFont(QApplication.font())
    font.setPointSizeF(points)
    return QFontMetricsF(font).height()


def test_card_text_follows_the_app_font(review_pages, qtbot, bigger_font):
    heights = []
    for points in (9.0, 18.0):
        bigger_font(points)  # the desktop's font size, as the app finds it when it starts
        page, deck_id = review_pages()
        page.study(deck_id)
        qtbot.waitUntil(lambda: page.reviewer.card is not None)
        heights.append(page.reviewer.card_view.document().firstBlock().layout().lineAt(0).height())
    small, big = heights
    assert big / small > 1.7  # before: 17 pt whatever the desktop's size (ratio 1.0)
    assert small > 1.3 * _body_height(9.0)  # still larger than the text around it


def test_the_streak_on_home_follows_the_app_font(window, qtbot, bigger_font):
    from types import SimpleNamespace

    window.show_area("home")
    page = window.pages["home"]
    streak = SimpleNamespace(days=12, freezes_available=1, met_today=True, at_risk_today=False)
    heights = []
    for points in (9.0, 18.0):
        bigger_font(points)
        page._show_streak(SimpleNamespace(streak=streak))
        number = page.streak_layout.itemAt(0).widget()
        assert "12" in number.text()
        heights.append(number.sizeHint().height())
    small, big = heights
    assert big / small > 1.7  # before: an 18 pt number (ratio about 1.0)
    assert small > 1.5 * _body_height(9.0)


def test_the_level_title_is_sized_by_the_theme(themed, qtbot, ctx):
    from lmgpa_desktop.ui.progress.game import GamificationPanel

    assert "QLabel#levelTitle { font-size: 28.0pt;" in theme.stylesheet("light", 20.0)  # 1.4em of a 20 pt font
    theme.apply(themed, "light")
    panel = GamificationPanel(ctx)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.level.styleSheet() == ""  # before: its own "font-size: 15pt"
    assert panel.level.font().pointSizeF() == pytest.approx(round(1.4 * theme.base_point_size(themed), 1))
    assert panel.level.font().bold()
    panel.ops.close()
