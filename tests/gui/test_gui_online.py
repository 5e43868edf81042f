"""Online pages (offscreen) against a real sync server on a loopback port: Account sign-up and sign-out, classes
with join codes, assignments, hand-in and grading, a group message round trip, the status badge going offline and
the queued work sent once the server is back."""

from __future__ import annotations

import keyring
import keyring.backend
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from server_fixtures import PASSWORD, LiveServer

from lmgpa_desktop.core.study import notes
from lmgpa_desktop.core.progress import notifications
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.ui.online.online_status import SOON_MS


@pytest.fixture
def live(tmp_path):
    """A running sync server on a fresh SQLite database."""
    srv = LiveServer(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def patient_waits(qtbot, monkeypatch):
    """Background network work may take seconds on a loaded CI machine; none of these waits is a speed check."""
    wait = qtbot.waitUntil
    monkeypatch.setattr(qtbot, "waitUntil", lambda callback, *, timeout=30000: wait(callback, timeout=timeout))


@pytest.fixture(autouse=True)
def no_keyring():
    """A system without a keyring (as on this headless test machine, made certain): tokens stay in memory."""
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


class Profile:
    """One student's or teacher's desktop: a profile, its online status and the three online pages."""

    def __init__(self, qtbot, ctx):
        from lmgpa_desktop.ui.online.online_status import OnlineStatus
        from lmgpa_desktop.ui.online.account_page import AccountPage
        from lmgpa_desktop.ui.online.classes_page import ClassesPage
        from lmgpa_desktop.ui.online.groups_page import GroupsPage

        self.qtbot, self.ctx = qtbot, ctx
        self.status = OnlineStatus(ctx)
        self.account = AccountPage(ctx, self.status)
        self.classes = ClassesPage(ctx, self.status)
        self.groups = GroupsPage(ctx, self.status)
        for page in (self.account, self.classes, self.groups):
            qtbot.addWidget(page)
            page.resize(1100, 800)
        self.service = self.status.service

    def sign_up(self, url: str, email: str, name: str, role: str) -> None:
        """Fill the Account page's new-account form and wait for the first sync."""
        acc = self.account
        acc.server.setText(url)
        acc.email.setText(email)
        acc.password.setText(PASSWORD)
        acc.display_name.setText(name)
        acc.role.setCurrentIndex(acc.role.findData(role))
        acc.sign_up_button.click()
        assert acc.busy and acc.spinner.isVisibleTo(acc)  # the page says it is working; the UI thread is free
        self.qtbot.waitUntil(lambda: self.status.status == "online" and not acc.busy, timeout=20000)
        self.settle()

    def settle(self) -> None:
        """Wait until no sync runs and nothing is left to send."""
        self.qtbot.waitUntil(lambda: not self.status.syncing and not self.status.soon.isActive()
                             and not self.account.busy and self.classes.in_flight == 0
                             and self.groups.in_flight == 0, timeout=20000)

    def sync(self) -> None:
        """Press Sync now on the Account page and wait for it."""
        self.settle()
        self.account.sync_button.click()
        self.qtbot.waitUntil(lambda: not self.status.syncing, timeout=20000)
        self.settle()

    def close(self) -> None:
        self.status.stop()


def _list_texts(widget) -> list[str]:
    return [widget.item(i).text() for i in range(widget.count())]


def _column(table, column: int) -> list[str]:
    return [table.item(r, column).text() if table.item(r, column) else "" for r in range(table.rowCount())]


@pytest.fixture
def teacher(qtbot, ctx):
    p = Profile(qtbot, ctx)
    yield p
    p.close()


@pytest.fixture
def student(qtbot, tmp_path):
    second = open_app(tmp_path / "student-home")
    p = Profile(qtbot, second)
    yield p
    p.close()
    second.close()


def test_class_flow_teacher_and_student_through_the_pages(live, teacher, student, qtbot, tmp_path):
    from sync_server import models

    teacher.sign_up(live.url, "rivera@school.example", "Ms Rivera", "teacher")
    acc = teacher.account
    assert acc.views.currentIndex() == 1
    assert "Online as Ms Rivera" in acc.state_label.text()
    assert acc.token_label.text() == "No keyring on this system: you will need to sign in again next time."
    assert teacher.status.badge.text() == "Online"

    page = teacher.classes
    assert page.create_row.isVisibleTo(page)  # teachers may create classes
    page.new_name.setText("Biology 101")
    page.create_button.click()
    qtbot.waitUntil(lambda: any("Biology 101" in t for t in _list_texts(page.list)))
    teacher.settle()
    qtbot.waitUntil(lambda: _list_texts(page.list) == ["Biology 101  · teacher"])  # sent: no longer waiting
    page.select_class(page.rows[0]["id"])
    code = page.rows[0]["join_code"]
    assert code and f"Join code: <b>{code}</b>" in page.join_code.text()

    student.sign_up(live.url, "sam@school.example", "Sam Student", "student")
    spage = student.classes
    assert not spage.create_row.isVisibleTo(spage)  # students join, they do not create
    spage.code.setText(code)
    spage.join_button.click()
    student.settle()
    qtbot.waitUntil(lambda: _list_texts(spage.list) == ["Biology 101  · student"])
    assert not spage.join_code.isVisibleTo(spage)  # only the teacher sees the code

    brief = tmp_path / "lab-brief.txt"
    brief.write_text("Measure the rate of photosynthesis at three light levels.", encoding="utf-8")
    teacher.sync()
    page.select_class(page.rows[0]["id"])
    assert any("Sam Student" in t for t in _list_texts(page.roster))
    page.a_title.setText("Lab report")
    page.a_description.setPlainText("Write up the light experiment.")
    page.a_points.setValue(20)
    page.set_attachments([str(brief)])
    page.post_button.click()
    teacher.settle()
    qtbot.waitUntil(lambda: _column(page.assignment_table, 0) == ["Lab report"]
                    and _column(page.assignment_table, 3) == ["0 handed in, 0 graded"])

    student.sync()
    qtbot.waitUntil(lambda: _column(spage.assignment_table, 0) == ["Lab report"])
    spage.select_assignment("Lab report")
    assert _column(spage.assignment_table, 3) == ["not handed in"]
    assert spage.assignment_text.text() == "Write up the light experiment.\nFiles: lab-brief.txt"
    assert spage.hand_in_box.isVisibleTo(spage) and not spage.grade_box.isVisibleTo(spage)
    spage.kind.setCurrentIndex(spage.kind.findData("text"))
    spage.hand_text.setPlainText("The rate doubled from low to medium light.")
    spage.submit_button.click()
    student.settle()
    qtbot.waitUntil(lambda: _column(spage.sub_table, 1) == ["1"] and _column(spage.sub_table, 3)[0] != "waiting "
                    "to send")
    assert student.service.outbox() == []

    teacher.sync()
    page.select_class(page.rows[0]["id"])
    page.select_assignment("Lab report")
    qtbot.waitUntil(lambda: _column(page.sub_table, 0) == ["Sam Student"])
    assert page.sub_text.toPlainText() == "The rate doubled from low to medium light."
    page.sub_table.selectRow(0)
    page.g_points.setValue(18)
    page.g_feedback.setText("Clear method; label the axes.")
    page.grade_button.click()
    teacher.settle()
    assert teacher.service.outbox() == []

    student.sync()
    spage.select_assignment("Lab report")
    qtbot.waitUntil(lambda: spage.my_grade.text() == "Your grade: 18 / 20. Feedback: Clear method; label the axes.")
    assert "graded" in _column(spage.assignment_table, 3)[0]

    # A second version: one of the student's own notes, exported from the app and handed in.
    notes.create(student.ctx, body_md="# Light experiment\n- rate doubles from low to medium light")
    spage.kind.setCurrentIndex(spage.kind.findData("note"))
    assert spage.pick.currentText() == "Light experiment"
    spage.submit_button.click()
    student.settle()
    assert student.service.outbox() == []
    qtbot.waitUntil(lambda: _column(spage.sub_table, 1) == ["1", "2"] and _column(spage.sub_table, 2)[1] == "note")
    assert live.count(models.Submission) == 2
    for name, widget in (("classes-student", spage), ("classes-teacher", page), ("account", acc)):
        assert widget.grab().save(str(tmp_path / f"{name}.png"))


def test_group_messages_round_trip_and_offline_queue(live, teacher, student, qtbot, tmp_path):
    from lmgpa_desktop.ui.online.groups_page import PENDING_COLOR
    from sync_server import models

    teacher.sign_up(live.url, "ana@school.example", "Ana", "student")
    student.sign_up(live.url, "ben@school.example", "Ben", "student")
    gpage = teacher.groups
    gpage.new_name.setText("Exam crew")
    qtbot.keyClick(gpage.new_name, Qt.Key.Key_Return)
    teacher.settle()
    qtbot.waitUntil(lambda: _list_texts(gpage.list) == ["Exam crew"] and "Invite code" in gpage.invite.text())
    code = gpage.rows[0]["invite_code"]

    bpage = student.groups
    bpage.code.setText(code)
    bpage.join_button.click()
    student.settle()
    qtbot.waitUntil(lambda: _list_texts(bpage.list) == ["Exam crew"])
    live_events: list = []
    student.status.live_event.connect(live_events.append)

    gpage.send_box.setText("Who has the notes from Tuesday?")
    qtbot.keyClick(gpage.send_box, Qt.Key.Key_Return)  # Enter sends
    teacher.settle()
    assert gpage.send_box.text() == ""
    # Ben hears of it over the live stream, without a sync of his own; the centre has it once.
    qtbot.waitUntil(lambda: any(e.get("kind") == "message" for e in live_events), timeout=20000)
    assert [n.kind for n in notifications.items(student.ctx)].count("message") == 1
    student.sync()
    qtbot.waitUntil(lambda: any("Who has the notes from Tuesday?" in t for t in _list_texts(bpage.messages)))
    assert len(_list_texts(bpage.members)) == 2
    assert [n.kind for n in notifications.items(student.ctx)].count("message") == 1

    notes.create(teacher.ctx, body_md="# Tuesday notes\n- enzymes lower activation energy")
    gpage.share_kind.setCurrentIndex(gpage.share_kind.findData("note"))
    gpage._share_kind_changed()
    assert gpage.share_pick.currentText() == "Tuesday notes"
    gpage.share_selected()
    teacher.settle()
    student.sync()
    qtbot.waitUntil(lambda: any(t.startswith("Tuesday notes · note · Ana") for t in _list_texts(bpage.share_list)))
    bpage.share_list.setCurrentRow(0)
    assert "enzymes lower activation energy" in bpage.share_view.toPlainText()
    saved = tmp_path / "tuesday.md"
    bpage.save_share(0, str(saved))
    qtbot.waitUntil(lambda: saved.exists() and "enzymes" in saved.read_text(encoding="utf-8"))

    # Connections: Ana asks Ben by email, Ben accepts from his requests.
    gpage.tabs.setCurrentIndex(1)
    gpage.add_email.setText("ben@school.example")
    gpage.add_email.returnPressed.emit()
    teacher.settle()
    assert teacher.service.outbox() == []
    qtbot.waitUntil(lambda: _list_texts(gpage.outgoing) == ["Ben"])
    student.sync()
    qtbot.waitUntil(lambda: _list_texts(bpage.incoming) == ["Ana"])
    bpage.incoming.setCurrentRow(0)
    bpage.answer(True)
    student.settle()
    qtbot.waitUntil(lambda: _list_texts(bpage.connected) == ["Ana"] and not _list_texts(bpage.incoming))
    teacher.sync()
    qtbot.waitUntil(lambda: _list_texts(gpage.connected) == ["Ben"] and not _list_texts(gpage.outgoing))

    live.stop()  # the server goes away: Ben keeps working
    bpage.send_box.setText("I do, sharing them tonight")
    qtbot.keyClick(bpage.send_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: student.status.status == "offline", timeout=20000)
    student.settle()
    last = bpage.messages.item(bpage.messages.count() - 1)
    assert last.text().startswith("You · sending…") and "I do, sharing them tonight" in last.text()
    assert last.foreground().color() == PENDING_COLOR  # greyed until sent
    assert student.status.badge.text() == "Offline · 1 waiting"
    assert "working offline; 1 changes waiting" in student.account.state_label.text()
    assert [i.state for i in student.service.outbox()] == ["pending"]

    live.start()
    student.sync()
    qtbot.waitUntil(lambda: student.status.status == "online" and student.service.outbox() == [])
    assert student.status.badge.text() == "Online"
    last = bpage.messages.item(bpage.messages.count() - 1)
    assert "sending…" not in last.text() and last.foreground().color() != PENDING_COLOR
    student.sync()  # a second sync sends nothing again
    assert live.count(models.Message) == 2
    teacher.sync()
    qtbot.waitUntil(lambda: any("I do, sharing them tonight" in t for t in _list_texts(gpage.messages)))
    bottom = gpage.messages.item(gpage.messages.count() - 1).text()
    assert bottom.startswith("Ben · ") and "I do, sharing them tonight" in bottom  # newest at the bottom
    assert gpage.grab().save(str(tmp_path / "groups.png"))


def test_window_badge_account_errors_devices_leaderboard_and_sign_out(live, ctx, qtbot):
    from lmgpa_desktop.app import build_window
    from lmgpa_desktop.ui.online.leaderboard_panel import NOT_OPTED_IN, SIGNED_OUT

    win = build_window(ctx)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    try:
        status = win.online
        qtbot.waitUntil(lambda: status.badge.text() == "Not signed in")
        win.show_area("progress")
        board = win.pages["progress"].leaderboard
        assert board.note.text() == SIGNED_OUT
        status.badge.click()
        assert win.current_area() == "account"
        acc = win.pages["account"]
        assert acc.views.currentIndex() == 0 and "Not signed in" in acc.state_label.text()

        acc.server.setText(live.url)
        acc.email.setText("nobody@school.example")
        acc.password.setText("wrong password entirely 1")
        acc.sign_in_button.click()
        qtbot.waitUntil(lambda: not acc.busy, timeout=20000)
        assert acc.message.text() and status.status == "signed_out"  # the server's reason, in the page

        acc.display_name.setText("Cleo")
        acc.password.setText(PASSWORD)
        acc.email.setText("cleo@school.example")
        acc.sign_up_button.click()
        qtbot.waitUntil(lambda: status.status == "online" and not acc.busy, timeout=20000)
        assert status.badge.text() == "Online" and status.timer.isActive()
        qtbot.waitUntil(lambda: not status.syncing, timeout=20000)
        assert acc.last_sync.text().startswith("Last sync: ")

        acc.load_devices_button.click()
        qtbot.waitUntil(lambda: not acc.busy and acc.devices_table.rowCount() == 1, timeout=20000)
        assert acc.devices_table.item(0, 3).text() == "this computer"

        # A change the server refuses stays in the outbox, failed, with the server's reason; Discard drops it.
        win.show_area("classes")
        classes = win.pages["classes"]
        classes.code.setText("NOPE2345")
        # The test sends it itself: a sync 400 ms after queueing could fail the join before a loaded machine's
        # event loop ever showed it waiting (failed items leave the list), and the wait below would never see it.
        status.soon.setInterval(600_000)
        classes.join_button.click()
        qtbot.waitUntil(lambda: any("waiting to send" in t for t in _list_texts(classes.list)))
        status.soon.stop()
        status.soon.setInterval(SOON_MS)
        assert status.sync_now()
        qtbot.waitUntil(lambda: [i.state for i in status.service.outbox()] == ["failed"] and not status.syncing,
                        timeout=20000)
        win.show_area("account")
        qtbot.waitUntil(lambda: _column(acc.outbox_table, 2) == ["failed"])
        assert _column(acc.outbox_table, 0) == ["join class"] and _column(acc.outbox_table, 3)[0]
        assert "1 could not be sent" in acc.state_label.text()
        acc.outbox_table.selectRow(0)
        assert acc.retry_button.isEnabled() and acc.discard_button.isEnabled()
        acc.discard_button.click()
        qtbot.waitUntil(lambda: acc.outbox_table.rowCount() == 0 and acc.outbox_empty.isVisibleTo(acc))
        assert status.service.outbox() == []
        assert classes.list.count() == 0  # the class that was never joined is gone

        board.refresh()
        assert NOT_OPTED_IN in board.note.text()
        acc.opt_in.click()
        qtbot.waitUntil(lambda: not acc.busy, timeout=20000)
        assert acc.message.text() == "You are on leaderboards."
        qtbot.waitUntil(lambda: not status.syncing and board.table.rowCount() == 1, timeout=20000)
        assert NOT_OPTED_IN not in board.note.text()
        assert board.table.item(0, 1).text() == "Cleo"

        acc.sign_out_button.click()
        qtbot.waitUntil(lambda: status.status == "signed_out" and not acc.busy, timeout=20000)
        assert status.badge.text() == "Not signed in" and not status.timer.isActive() and not status._live
        assert acc.views.currentIndex() == 0
        board.refresh()
        assert board.note.text() == SIGNED_OUT
    finally:
        win.close()


def test_device_signed_out_elsewhere_shows_session_expired_then_sign_in_again(live, teacher, student, qtbot):
    teacher.sign_up(live.url, "dana@school.example", "Dana", "teacher")
    other = student.account  # the same person on a second computer
    other.server.setText(live.url)
    other.email.setText("dana@school.example")
    other.password.setText(PASSWORD)
    other.sign_in_button.click()
    qtbot.waitUntil(lambda: student.status.status == "online" and not other.busy, timeout=20000)
    student.settle()
    other.load_devices_button.click()
    qtbot.waitUntil(lambda: not other.busy and other.devices_table.rowCount() == 2, timeout=20000)
    row = _column(other.devices_table, 3).index("")  # the first computer, not this one
    other.devices_table.selectRow(row)
    assert other.revoke_button.isEnabled()
    other.revoke_button.click()
    qtbot.waitUntil(lambda: other.devices_table.rowCount() == 1 and not other.busy, timeout=20000)
    assert other.message.text() == "That device is signed out."

    teacher.classes.new_name.setText("Chemistry")
    teacher.classes.create_button.click()
    teacher.settle()
    qtbot.waitUntil(lambda: teacher.status.status == "expired", timeout=20000)
    acc = teacher.account
    assert teacher.status.badge.text() == "Sign in again"
    assert acc.views.currentIndex() == 0 and acc.email.text() == "dana@school.example"
    assert acc.state_label.text().startswith("Your session has expired: sign in again as Dana.")
    assert [i.action for i in teacher.service.outbox()] == ["create_class"]  # kept for after signing in

    acc.password.setText(PASSWORD)
    acc.sign_in_button.click()
    qtbot.waitUntil(lambda: teacher.status.status == "online" and not acc.busy, timeout=20000)
    teacher.settle()
    assert teacher.service.outbox() == []
    qtbot.waitUntil(lambda: _list_texts(teacher.classes.list) == ["Chemistry  · teacher"])


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A working keyring that keeps passwords in a dict (stands in for the desktop's keyring)."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.saved: dict = {}

    def get_password(self, service, username):
        return self.saved.get((service, username))

    def set_password(self, service, username, password):
        self.saved[(service, username)] = password

    def delete_password(self, service, username):
        self.saved.pop((service, username), None)


def test_account_page_says_the_sign_in_is_in_the_keyring_and_sign_out_forgets_it(live, teacher, qtbot):
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    teacher.sign_up(live.url, "kim@school.example", "Kim", "student")
    assert teacher.account.token_label.text() == "Your sign-in is saved in the system keyring."
    assert list(backend.saved) == [("lmgpa", f"{live.url}|kim@school.example")]
    teacher.account.sign_out_button.click()
    qtbot.waitUntil(lambda: teacher.status.status == "signed_out" and not teacher.account.busy, timeout=20000)
    assert backend.saved == {}
    assert not teacher.account.token_label.isVisibleTo(teacher.account)
    assert teacher.account.server.text() == live.url  # the form keeps the server for signing in again


NEW_PASSWORD = "violet tram 19 quiet harbour"


def test_account_page_changes_the_password_and_the_old_one_no_longer_signs_in(live, teacher, student, qtbot):
    from lmgpa_desktop.ui.online.account_passwords import CHANGED

    teacher.sign_up(live.url, "quinn@school.example", "Quinn", "student")
    acc = teacher.account
    box = acc.change_password
    assert box.isVisibleTo(acc) and not acc.forgot_button.isVisibleTo(acc)
    box.current.setText(PASSWORD)
    box.new.setText(NEW_PASSWORD)
    box.repeat.setText("something else")
    box.button.click()
    assert acc.message.text() == "The new password and its repetition differ." and not acc.busy

    box.current.setText("not the password")
    box.repeat.setText(NEW_PASSWORD)
    box.button.click()
    assert acc.busy and not box.button.isEnabled()  # the call runs in the background
    qtbot.waitUntil(lambda: not acc.busy, timeout=20000)
    assert "current password is wrong" in acc.message.text() and acc.message.property("error")
    assert box.button.isEnabled()

    box.current.setText(PASSWORD)
    box.button.click()
    qtbot.waitUntil(lambda: not acc.busy, timeout=20000)
    assert acc.message.text() == CHANGED and not acc.message.property("error")
    assert box.current.text() == box.new.text() == box.repeat.text() == ""
    assert teacher.status.status == "online" and acc.views.currentIndex() == 1  # this computer stays signed in

    other = student.account  # the same person on a second computer, with the old password
    other.server.setText(live.url)
    other.email.setText("quinn@school.example")
    other.password.setText(PASSWORD)
    other.sign_in_button.click()
    qtbot.waitUntil(lambda: not other.busy, timeout=20000)
    assert student.status.status == "signed_out" and other.message.property("error")
    other.password.setText(NEW_PASSWORD)
    other.sign_in_button.click()
    qtbot.waitUntil(lambda: student.status.status == "online" and not other.busy, timeout=20000)
    student.settle()


def test_account_page_resets_a_forgotten_password_with_the_code(live, teacher, qtbot):
    from lmgpa_desktop.ui.online.account_passwords import RESET_ASKED, RESET_DONE

    teacher.sign_up(live.url, "rene@school.example", "Rene", "student")
    acc = teacher.account
    acc.sign_out_button.click()
    qtbot.waitUntil(lambda: teacher.status.status == "signed_out" and not acc.busy, timeout=20000)
    assert acc.forgot_button.isVisibleTo(acc) and not acc.forgot.isVisibleTo(acc)
    acc.email.setText("rene@school.example")
    acc.forgot_button.click()
    box = acc.forgot
    assert box.isVisibleTo(acc) and box.email.text() == "rene@school.example"
    assert "operator" in box.findChild(QLabel, "resetHelp").text()
    box.ask_button.click()
    assert acc.busy
    qtbot.waitUntil(lambda: not acc.busy, timeout=20000)
    assert acc.message.text() == RESET_ASKED
    assert [who for who, _token in live.resets] == ["rene@school.example"]

    box.code.setText("not-the-code")
    box.new.setText(NEW_PASSWORD)
    box.repeat.setText(NEW_PASSWORD)
    box.reset_button.click()
    qtbot.waitUntil(lambda: not acc.busy, timeout=20000)
    assert "invalid, used or expired" in acc.message.text() and acc.message.property("error")
    box.code.setText(live.resets[0][1])
    box.reset_button.click()
    qtbot.waitUntil(lambda: not acc.busy, timeout=20000)
    assert acc.message.text() == RESET_DONE and not box.isVisibleTo(acc)

    acc.password.setText(NEW_PASSWORD)
    acc.sign_in_button.click()
    qtbot.waitUntil(lambda: teacher.status.status == "online" and not acc.busy, timeout=20000)
    teacher.settle()


def _class_with_a_student(live, teacher, student, qtbot) -> None:
    """A teacher's class that the student has joined, both pages synced."""
    teacher.sign_up(live.url, "okafor@school.example", "Mr Okafor", "teacher")
    page = teacher.classes
    page.new_name.setText("Physics")
    page.create_button.click()
    teacher.settle()
    qtbot.waitUntil(lambda: _list_texts(page.list) == ["Physics  · teacher"] and bool(page.rows[0].get("join_code")))
    student.sign_up(live.url, "lia@school.example", "Lia", "student")
    student.classes.code.setText(page.rows[0]["join_code"])
    student.classes.join_button.click()
    student.settle()
    qtbot.waitUntil(lambda: _list_texts(student.classes.list) == ["Physics  · student"])
    teacher.sync()


def test_assignment_and_hand_in_files_are_saved_byte_for_byte(live, teacher, student, qtbot, tmp_path):
    _class_with_a_student(live, teacher, student, qtbot)
    page, spage = teacher.classes, student.classes
    brief = tmp_path / "sent" / "pendulum-brief.pdf"
    brief.parent.mkdir()
    brief.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\x00\xff end")
    data = tmp_path / "sent" / "readings.csv"
    data.write_bytes(b"length,period\r\n0.5,1.42\r\n1.0,2.01\r\n")
    page.select_class(page.rows[0]["id"])
    assert not page.save_file_button.isEnabled()  # no assignment yet
    page.a_title.setText("Pendulum lab")
    page.set_attachments([str(brief), str(data)])
    page.post_button.click()
    qtbot.waitUntil(lambda: page.in_flight == 0)  # queued; the sync goes a moment later
    # While it waits to be sent its files have no server id: nothing to save yet.
    assert page.current_assignment()["pending"] and not page.save_file_button.isEnabled()
    teacher.settle()
    qtbot.waitUntil(lambda: _column(page.assignment_table, 0) == ["Pendulum lab"]
                    and not page.current_assignment().get("pending"))
    assert page.save_file_button.isEnabled()

    student.sync()
    qtbot.waitUntil(lambda: _column(spage.assignment_table, 0) == ["Pendulum lab"])
    spage.select_assignment("Pendulum lab")
    assert spage.assignment_text.text() == "\nFiles: pendulum-brief.pdf, readings.csv"
    assert spage.save_file_button.isEnabled() and spage.save_file_button.isVisibleTo(spage)

    saved = tmp_path / "mine" / "brief-copy.pdf"
    saved.parent.mkdir()
    spage.save_assignment_file(0, str(saved))
    student.settle()
    assert saved.read_bytes() == brief.read_bytes()
    assert spage.message.text() == f"Saved pendulum-brief.pdf to {saved}."

    folder = tmp_path / "mine" / "all"
    spage.save_assignment_file(None, str(folder))  # both, into a folder made for them, under their own names
    student.settle()
    assert sorted(p.name for p in folder.iterdir()) == ["pendulum-brief.pdf", "readings.csv"]
    assert (folder / "readings.csv").read_bytes() == data.read_bytes()
    assert (folder / "pendulum-brief.pdf").read_bytes() == brief.read_bytes()

    # A place that cannot be written: the reason shows in the page, nothing is raised.
    spage.save_assignment_file(1, str(tmp_path / "no-such-folder" / "x.csv"))
    student.settle()
    assert spage.message.text().startswith("Cannot save ")  # in plain words, capitalised
    assert not (tmp_path / "no-such-folder").exists()

    # The student hands in a file; the teacher saves exactly those bytes from the selected hand-in.
    work = tmp_path / "sent" / "lia-report.odt"
    work.write_bytes(b"PK\x03\x04" + bytes(reversed(range(256))) * 30)
    spage.kind.setCurrentIndex(spage.kind.findData("file"))
    spage.set_hand_in_file(str(work))
    spage.submit_button.click()
    assert not spage.save_sub_button.isEnabled()  # the hand-in is still waiting to send
    student.settle()
    assert student.service.outbox() == []
    qtbot.waitUntil(lambda: _column(spage.sub_table, 1) == ["1"] and spage.save_sub_button.isEnabled())
    teacher.sync()
    page.select_class(page.rows[0]["id"])
    page.select_assignment("Pendulum lab")
    qtbot.waitUntil(lambda: _column(page.sub_table, 0) == ["Lia"])
    page.sub_table.selectRow(0)
    assert page.save_sub_button.isEnabled()
    got = tmp_path / "marking" / "lia.odt"
    got.parent.mkdir()
    page.save_submission_file(str(got))
    teacher.settle()
    assert got.read_bytes() == work.read_bytes()
    assert page.message.text() == f"Saved lia-report.odt to {got}."


def test_a_deck_file_shared_to_a_group_is_saved_byte_identical_by_the_other_member(live, teacher, student, qtbot,
                                                                                    tmp_path):
    teacher.sign_up(live.url, "noor@school.example", "Noor", "student")
    student.sign_up(live.url, "omar@school.example", "Omar", "student")
    gpage, opage = teacher.groups, student.groups
    gpage.new_name.setText("Flashcard club")
    gpage.create_button.click()
    teacher.settle()
    qtbot.waitUntil(lambda: _list_texts(gpage.list) == ["Flashcard club"] and bool(gpage.rows[0].get("invite_code")))
    opage.code.setText(gpage.rows[0]["invite_code"])
    opage.join_button.click()
    student.settle()
    qtbot.waitUntil(lambda: _list_texts(opage.list) == ["Flashcard club"])

    deck = tmp_path / "Cell biology.apkg"
    deck.write_bytes(b"PK\x03\x04\x14\x00" + bytes(range(256)) * 64 + b"\r\n\x00\x1a")
    gpage.share_file(str(deck))
    assert gpage.in_flight == 1
    qtbot.waitUntil(lambda: gpage.in_flight == 0)
    # Still waiting to be sent: there is no file on the server to fetch yet, and the page says so.
    assert [s.get("pending") for s in gpage.shares] == [True]
    gpage.save_share(0, str(tmp_path / "early.apkg"))
    assert "waiting to be sent" in gpage.message.text() and not (tmp_path / "early.apkg").exists()
    teacher.settle()
    assert teacher.service.outbox() == []

    student.sync()
    qtbot.waitUntil(lambda: any(t.startswith("Cell biology · deck · Noor") for t in _list_texts(opage.share_list)))
    opage.share_list.setCurrentRow(0)
    assert "use Save…" in opage.share_view.toPlainText()
    saved = tmp_path / "omar" / "deck.apkg"
    saved.parent.mkdir()
    opage.save_share(0, str(saved))
    student.settle()
    assert opage.message.text() == f"Saved to {saved}."
    assert saved.read_bytes() == deck.read_bytes()
