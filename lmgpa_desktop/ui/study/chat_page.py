"""Chat: ask your library; checked sentences stream in, citing numbered passages that open the source at the right
place."""

from __future__ import annotations

import re
import threading
from concurrent.futures import wait

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication, QComboBox, QHBoxLayout, QInputDialog, QLabel, QListWidget, QListWidgetItem, QMessageBox,
    QPlainTextEdit, QPushButton, QSplitter, QToolTip, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.study.chat import ask as chat
from lmgpa_desktop.core.study.chat import conversations
from lmgpa_desktop.core.library import library
from lmgpa_desktop.core.library.search import Scope
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.read_aloud import ReadAloudAction, ReadAloudBar
from lmgpa_desktop.ui.study.chat_answer_view import ChatView
from lmgpa_desktop.ui.kit.plain_errors import plain_message
from lmgpa_desktop.ui.kit.status_line import StatusLine

STARTING = "Getting ready…"
STOPPING = "Stopping…"


class _AnswerStream(QObject):
    """One answer being written: its checked pieces and what is happening, relayed to the UI thread in order;
    `cancel` stops it."""

    token = Signal(str)
    stage = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.cancel = threading.Event()
        self.future = None  # the compute lane's future, for waiting at shutdown


class _Input(QPlainTextEdit):
    """The question box: Enter sends, Shift+Enter starts a new line."""

    KEYS = [(("Return",), "Send the question"), (("Shift+Return",), "Start a new line")]  # for `?`: keyPressEvent

    submitted = Signal()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
                event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            self.submitted.emit()
            return
        super().keyPressEvent(event)


def _read_conversation(ctx, conversation_id: int | None) -> tuple[int | None, list, Scope | None]:
    """(id, messages, scope) of a conversation, for showing it (None: nothing to show)."""
    if conversation_id is None:
        return None, [], None
    return (conversation_id, conversations.messages(ctx, conversation_id),
            conversations.scope_of(conversations.conversation(ctx, conversation_id)))


class ChatPage(QWidget):
    """Conversations on the left, the selected one on the right with its scope, input and actions."""

    # source id, page number or None, start second or None, region or None, the quoted text (marked on a PDF page)
    open_location = Signal(int, object, object, object, str)

    def __init__(self, ctx, runner, parent=None):
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.conversation_id: int | None = None
        self._wanted: int | None = None  # the conversation last chosen: an older read is not shown over it
        self.messages: list[conversations.Message] = []
        # Answers run on the compute lane: seconds of model time must not hold up other pages' database reads.
        self.ops = Operations(self, "chat", lane="compute")
        self.stream: _AnswerStream | None = None
        self.streamed = ""  # the checked sentences of the answer being written (nothing else is ever shown)

        title = QLabel("Chat")
        title.setObjectName("pageTitle")
        self.list = QListWidget()
        self.list.setAccessibleName("Conversations")
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # long titles are elided
        self.list.currentItemChanged.connect(self._conversation_selected)
        self.new_button = QPushButton("New chat")
        self.new_button.clicked.connect(self.new_conversation)
        self.rename_button = QPushButton("Rename…")
        self.rename_button.clicked.connect(self.rename_conversation)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(lambda: self.delete_conversation())  # Qt would pass checked=False as confirm
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.new_button)
        left_layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(self.rename_button)
        row.addWidget(self.delete_button)
        left_layout.addLayout(row)

        self.scope = QComboBox()
        self.scope.setToolTip("Where answers come from")
        self.scope.setMinimumWidth(240)
        self.scope.activated.connect(self._scope_chosen)
        self.status = StatusLine("", "muted")  # "Stopped." and "Answer copied." clear themselves
        header = QHBoxLayout()
        header.addWidget(QLabel("Answer from"))
        header.addWidget(self.scope)
        header.addStretch(1)
        header.addWidget(self.status)

        self.body = ChatView()
        self.body.setAccessibleName("Conversation")
        self.body.anchorClicked.connect(self._anchor)
        self.body.highlighted.connect(self._hover)
        self.body.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.body.customContextMenuRequested.connect(self._context_menu)
        self.read_aloud = ReadAloudBar(ctx, self.text_to_read, self)
        self.read_aloud.play_button.setToolTip("Read the last answer (or the selected text) aloud / pause")
        self.read_aloud_action = ReadAloudAction(self.read_aloud, self.text_to_read, self)
        self.read_aloud_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.read_aloud_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.read_aloud_action)
        stop = QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.stop, whatsThis="Stop the answer")  # `?` lists it
        stop.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.input = _Input()
        self.input.setPlaceholderText("Ask a question about your material (Enter sends, Shift+Enter for a new line)")
        self.input.setFixedHeight(72)
        self.input.submitted.connect(self.send)
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("primary")
        self.send_button.clicked.connect(self._send_or_stop)
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.setToolTip("Answer the last question again, in other words")
        self.regenerate_button.clicked.connect(self.regenerate)
        self.copy_button = QPushButton("Copy answer")
        self.copy_button.clicked.connect(self.copy_answer)
        actions = QVBoxLayout()
        for w in (self.send_button, self.regenerate_button, self.copy_button):
            actions.addWidget(w)
        actions.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.input, 1)
        bottom.addLayout(actions)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(header)
        right_layout.addWidget(self.body, 1)
        right_layout.addWidget(self.read_aloud)
        right_layout.addLayout(bottom)

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        split.setSizes([220, 700])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(split, 1)

        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.refresh_scopes()
        self.refresh_conversations()
        self._update_buttons()

    # -- conversations -----------------------------------------------------------------------------------------
    def first_focus(self):
        """Where the keyboard goes when the page is opened by keyboard: the question box."""
        return self.input

    def refresh_conversations(self, select: int | None = None, before=None) -> None:
        """Reload the conversation list (off the UI thread, after `before()` if given: a write to make first) and
        show one: the current one, or the most recent."""
        wanted = self._wanted = select if select is not None else self.conversation_id
        ctx = self.ctx

        def read():
            if before is not None:
                before()
            rows = conversations.conversations(ctx)
            chosen = wanted if wanted in {c.id for c in rows} else (rows[0].id if rows else None)
            return rows, _read_conversation(ctx, chosen)

        self.ops.run(read, lambda found: self._fill_conversations(wanted, *found), lane="db")

    def _fill_conversations(self, wanted: int | None, rows, shown) -> None:
        # Another conversation was chosen (or started) while this was read: the list follows, the screen stays.
        moved_on = self._wanted != wanted
        current = self.conversation_id if moved_on else shown[0]
        self.list.blockSignals(True)
        self.list.clear()
        for conv in rows:
            item = QListWidgetItem(conv.title)
            item.setData(Qt.ItemDataRole.UserRole, conv.id)
            item.setToolTip(conv.title)
            self.list.addItem(item)
            if conv.id == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        if moved_on or (self.busy and shown[0] == self.conversation_id):
            return  # (busy: an answer is being written into it, so the screen shows more than is stored)
        self._display(*shown)

    def _conversation_selected(self, item, _previous) -> None:
        self._show(item.data(Qt.ItemDataRole.UserRole) if item else None)

    def new_conversation(self) -> int:
        """Start an empty conversation with the scope currently chosen."""
        conv = conversations.new_conversation(self.ctx, self._chosen_scope())
        self._display(conv.id, [], None)  # new, so empty: the question can be asked before the list is read
        self.refresh_conversations(select=conv.id)
        self.input.setFocus()
        return conv.id

    def rename_conversation(self) -> None:
        """Ask for a new title."""
        if self.conversation_id is None:
            return
        item = self.list.currentItem()
        current = item.text() if item is not None else ""
        title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=current)
        if ok and title.strip():
            self.rename_to(title)

    def rename_to(self, title: str) -> None:
        """Give the current conversation a new title (stored off the UI thread)."""
        ctx, conv_id = self.ctx, self.conversation_id
        self.refresh_conversations(before=lambda: conversations.rename(ctx, conv_id, title))

    def delete_conversation(self, confirm: bool = True) -> None:
        """Delete the current conversation (after asking)."""
        if self.conversation_id is None:
            return
        if confirm and QMessageBox.question(self, "Delete conversation",
                                            "Delete this conversation and all its messages?") \
                != QMessageBox.StandardButton.Yes:
            return
        ctx, conv_id = self.ctx, self.conversation_id
        self.conversation_id = None
        self.refresh_conversations(before=lambda: conversations.delete(ctx, conv_id))

    def _show(self, conversation_id: int | None) -> None:
        """Switch to a conversation: its messages and scope are read off the UI thread."""
        self._wanted = conversation_id
        if conversation_id is None:
            self._display(None, [], None)
            return
        ctx = self.ctx
        self.ops.run(lambda: _read_conversation(ctx, conversation_id),
                     lambda shown: self._display(*shown) if self._wanted == conversation_id else None, lane="db")

    def _display(self, conversation_id: int | None, messages: list, scope: Scope | None) -> None:
        self._wanted = self.conversation_id = conversation_id
        self.messages = messages
        if scope is not None:
            self._select_scope(scope)
        self.render()
        self._update_buttons()

    # -- scope -------------------------------------------------------------------------------------------------
    def refresh_scopes(self) -> None:
        """Fill the scope selector: everything, each class, each source."""
        keep = self._chosen_scope()
        self.scope.clear()
        self.scope.addItem("Everything in my library", Scope())
        for course in library.courses(self.ctx):
            self.scope.addItem(f"Class: {course.name}", Scope(course_id=course.id))
        for item in library.items(self.ctx):
            self.scope.addItem(f"Source: {item.source.title}", Scope(source_id=item.source.id))
        self._select_scope(keep)

    def _chosen_scope(self) -> Scope:
        data = self.scope.currentData() if self.scope.count() else None
        return data if isinstance(data, Scope) else Scope()

    def _select_scope(self, scope: Scope) -> None:
        for i in range(self.scope.count()):
            if self.scope.itemData(i) == scope:
                self.scope.setCurrentIndex(i)
                return
        self.scope.setCurrentIndex(0)

    def _scope_chosen(self, _index: int) -> None:
        if self.conversation_id is not None:
            conversations.set_scope(self.ctx, self.conversation_id, self._chosen_scope())

    def showEvent(self, event) -> None:
        self.refresh_scopes()  # classes and sources may have changed on other pages
        super().showEvent(event)

    # -- asking ------------------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """Whether an answer is being generated."""
        return self.stream is not None

    def _send_or_stop(self) -> None:
        if self.busy:
            self.stop()
        else:
            self.send()

    def send(self) -> None:
        """Ask the question in the input box."""
        question = self.input.toPlainText().strip()
        if not question or self.busy:
            return
        if self.conversation_id is None:
            self.new_conversation()
        conv_id, scope = self.conversation_id, self._chosen_scope()
        self.input.clear()
        self.messages.append(conversations.Message(None, conv_id, "user", question))
        self._start(lambda cancel: chat.ask(self.ctx, conv_id, question, scope, cancel=cancel))

    def regenerate(self) -> None:
        """Answer the last question again."""
        if self.busy or self.conversation_id is None or not self.messages:
            return
        conv_id, scope = self.conversation_id, self._chosen_scope()
        if self.messages[-1].role == "assistant":
            self.messages.pop()
        self._start(lambda cancel: chat.regenerate(self.ctx, conv_id, scope, cancel=cancel))

    def stop(self) -> None:
        """Stop the answer being written; what was written so far is kept."""
        if self.stream is not None:
            self.stream.cancel.set()
            self.status.setText(STOPPING)
            self.body.show_writing(self.streamed, STOPPING)

    def _start(self, factory) -> None:
        # Only checked sentences are ever shown as the answer (the core holds the rest), so nothing shown here is
        # taken back later; until the first one, a muted line says what is happening.
        self.streamed = ""
        self.status.setText("")
        self.render(pending=True)
        self.body.show_writing("", STARTING)
        stream = self.stream = _AnswerStream(self)
        stream.token.connect(self._on_token)
        stream.stage.connect(self._on_stage)

        def work():
            done = None
            for event in factory(stream.cancel):
                if event.kind == "token":
                    stream.token.emit(event.text)  # queued: arrives before the result, in order
                elif event.kind == "stage":
                    stream.stage.emit(event.text)
                else:
                    done = event
            return done

        stream.future = self.ops.run(work, self._on_done, self._on_failed)
        self._update_buttons()

    def _on_stage(self, text: str) -> None:
        if self.stream is not None and not self.stream.cancel.is_set():
            self.body.show_writing(self.streamed, text)

    def _on_token(self, text: str) -> None:
        self.streamed = (self.streamed + text).lstrip()
        self.body.show_writing(self.streamed, self.body.progress)

    def _on_done(self, event) -> None:
        self.status.setText("Stopped." if event is not None and event.stopped else "")
        if event is not None and event.message is not None:
            self.messages.append(event.message)  # shown at once with its links; the reread below agrees
        self.render()
        self._on_finished()

    def _on_failed(self, exc: BaseException) -> None:
        self.status.setText("")  # shown to the student; the question stays stored
        self.render()
        QMessageBox.warning(self, "Chat", f"The answer could not be written: {plain_message(exc)}")
        self._on_finished()

    def _on_finished(self) -> None:
        stream, self.stream = self.stream, None
        stream.deleteLater()
        self.refresh_conversations()
        self._update_buttons()

    def shutdown(self) -> None:
        """Stop any answer in progress and wait for its thread (the app is closing)."""
        self.read_aloud.shutdown()
        if self.stream is not None:
            self.stream.cancel.set()
            if self.stream.future is not None:
                wait([self.stream.future])

    # -- rendering ---------------------------------------------------------------------------------------------
    def render(self, pending: bool = False) -> None:
        """Show the conversation (citations are links); `pending`: an answer to it is being written."""
        self.body.show_conversation(self.messages, writing=pending)

    def _citation(self, url: QUrl | str) -> conversations.Citation | None:
        match = re.fullmatch(r"cite:(\d+):(\d+)", url.toString() if isinstance(url, QUrl) else url)
        if not match:
            return None
        mid, n = int(match.group(1)), int(match.group(2))
        for m in self.messages:
            if m.id == mid:
                return next((c for c in m.citations if c.number == n), None)
        return None

    def _anchor(self, url: QUrl) -> None:
        c = self._citation(url)
        if c is not None:
            self.open_location.emit(c.source_id, c.page_no, c.start_s, c.region, c.snippet or "")

    def _hover(self, url: QUrl) -> None:
        c = self._citation(url)
        if c is not None:
            QToolTip.showText(self.cursor().pos(), f"{c.source_title} {c.location}\n{c.snippet}", self.body)

    # -- actions -----------------------------------------------------------------------------------------------
    def last_answer(self) -> conversations.Message | None:
        """The latest assistant message of this conversation."""
        return next((m for m in reversed(self.messages) if m.role == "assistant"), None)

    def text_to_read(self) -> str:
        """What Read aloud reads: the selected part of the conversation, else the last answer."""
        selected = self.body.textCursor().selectedText().replace("\u2029", "\n\n")  # Qt's paragraph mark
        if selected.strip():
            return selected
        m = self.last_answer()
        return m.content if m is not None else ""

    def _context_menu(self, pos) -> None:
        menu = self.body.createStandardContextMenu(pos)
        menu.addSeparator()
        has_selection = self.body.textCursor().hasSelection()
        self.read_aloud_action.setText("Read the selection aloud" if has_selection else "Read the last answer aloud")
        menu.addAction(self.read_aloud_action)
        menu.exec(self.body.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def copy_answer(self) -> None:
        """Put the last answer and its sources on the clipboard as plain text."""
        m = self.last_answer()
        if m is None:
            return
        lines = [m.content]
        if m.citations:
            lines.append("")
            lines += [f"[{c.number}] {c.source_title}{', ' + c.location if c.location else ''}" for c in m.citations]
        QGuiApplication.clipboard().setText("\n".join(lines))
        self.status.setText("Answer copied.")

    def _update_buttons(self) -> None:
        busy = self.busy
        self.send_button.setText("Stop" if busy else "Send")
        self.send_button.setToolTip("Stop the answer (Esc): the checked sentences shown so far are kept" if busy
                                    else "Send (Enter)")
        has_question = any(m.role == "user" for m in self.messages)
        self.regenerate_button.setEnabled(not busy and has_question)
        self.copy_button.setEnabled(not busy and self.last_answer() is not None)
        for w in (self.list, self.new_button, self.scope):
            w.setEnabled(not busy)
        for w in (self.rename_button, self.delete_button):
            w.setEnabled(not busy and self.conversation_id is not None)
