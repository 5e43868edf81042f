"""Search: results as you type, by meaning and words, each with its snippet, source and location."""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.library import library
from lmgpa_desktop.core.library.search import Scope, search
from lmgpa_desktop.ui.kit.empty_state import EmptyState
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.plain_errors import plain_message

DEBOUNCE_MS = 200


def snippet_html(snippet: str) -> str:
    """FTS marks matched words as [word]; show them bold."""
    return re.sub(r"\[([^\[\]]+)\]", r"<b>\1</b>", html.escape(snippet))


class SearchPage(QWidget):
    """Type; results follow. Enter or double-click opens a result at its page, second or region."""

    open_hit = Signal(object)  # Hit
    next_step = Signal(str)  # what an empty state offers: "add_files", "record", "library"

    def __init__(self, ctx, runner, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.generation = 0
        self.hits = []
        title = QLabel("Search")
        title.setObjectName("pageTitle")
        self.box = QLineEdit()
        self.box.setObjectName("searchBox")
        self.box.setPlaceholderText("Ask a question or type words, e.g. “what does the stroma do”")
        self.box.textChanged.connect(lambda _t: self.timer.start())
        self.box.returnPressed.connect(self.open_current)
        self.scope = QComboBox()
        self.scope.addItem("Everything", Scope())  # the classes and sources follow from fill_scopes()
        self.scope.currentIndexChanged.connect(lambda _i: self.run_search())
        self.status = QLabel("")
        self.status.setObjectName("muted")
        self.results = QListWidget()
        self.results.setAccessibleName("Search results")
        self.results.setWordWrap(True)
        self.results.itemActivated.connect(lambda _item: self.open_current())
        row = QHBoxLayout()
        row.addWidget(self.box, 1)
        row.addWidget(self.scope)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)
        self.empty = EmptyState()  # before a query and when nothing matched: what to do next, not a blank list
        layout.addWidget(self.empty, 1)
        self.library_size: int | None = None  # sources outside the trash, once read
        self._nothing_found = False
        self._update_empty()
        self.timer = QTimer(self)  # results as you type, without a search per keystroke
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.run_search)
        self.ops = Operations(self, "search", lane="compute")  # the first search also loads the embedding model
        runner.finished.connect(lambda job: self.fill_scopes() if job.kind.startswith("import") else None)
        self.fill_scopes()

    def fill_scopes(self) -> None:
        """Everything, each class, each source (read off the UI thread)."""
        ctx = self.ctx
        self.ops.run(lambda: (library.courses(ctx), library.sources(ctx)), self._set_scopes, lane="db")

    def _set_scopes(self, found) -> None:
        courses, sources = found
        self.library_size = len(sources)
        self._update_empty()
        chosen = self.scope.currentData()
        self.scope.blockSignals(True)
        self.scope.clear()
        self.scope.addItem("Everything", Scope())
        for course in courses:
            self.scope.addItem(f"Class: {course.name}", Scope(course_id=course.id))
        for source in sources:
            self.scope.addItem(f"Source: {source.title}", Scope(source_id=source.id))
        index = next((i for i in range(self.scope.count()) if self.scope.itemData(i) == chosen), 0)
        self.scope.setCurrentIndex(index)
        self.scope.blockSignals(False)

    def run_search(self) -> None:
        """Search for what is in the box now (older answers still on their way are ignored)."""
        query = self.box.text()
        self.generation += 1
        self._nothing_found = False
        if not query.strip():
            self.results.clear()
            self.status.setText("")
            self._update_empty()
            return
        self._update_empty()
        self.status.setText("Searching…")
        ctx, generation, scope = self.ctx, self.generation, self.scope.currentData() or Scope()
        self.ops.run(lambda: search(ctx, query, k=20, scope=scope, as_you_type=True),
                     lambda hits: self._show(generation, hits, ""),
                     lambda exc: self._show(generation, [], str(exc)))  # shown in the page

    def _show(self, generation: int, hits, error: str) -> None:
        if generation != self.generation:
            return
        self.hits = hits
        self.results.clear()
        if error:
            self.status.setText(f"Search failed: {plain_message(error)}")
            return
        self.status.setText(f"{len(hits)} results" if hits else "No results.")
        self._nothing_found = not hits
        self._update_empty()
        for hit in hits:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, hit.chunk_id)
            label = QLabel(f"<b>{html.escape(hit.source_title)}</b> &nbsp;<span style='color:#7a8092'>"
                           f"{html.escape(hit.location)}</span><br>{snippet_html(hit.snippet)}")
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setContentsMargins(6, 4, 6, 4)
            width = max(200, self.results.viewport().width() - 24)
            item.setSizeHint(QSize(width, label.heightForWidth(width) + 6))
            self.results.addItem(item)
            self.results.setItemWidget(item, label)
        if hits:
            self.results.setCurrentRow(0)

    def first_focus(self):
        """Where the keyboard goes when the page is opened by keyboard: the search box."""
        return self.box

    def open_current(self) -> None:
        """Open the selected result where it came from."""
        row = self.results.currentRow()
        if 0 <= row < len(self.hits):
            self.open_hit.emit(self.hits[row])

    def _update_empty(self) -> None:
        """Before a query, or when nothing matched, say what to do next in place of the empty list."""
        query = self.box.text().strip()
        empty = not query or self._nothing_found
        self.results.setVisible(not empty)
        self.empty.setVisible(empty)
        if not empty:
            return
        step = self.next_step.emit
        if self.library_size == 0:
            self.empty.set("Your library is empty",
                           "Search looks through the PDFs, slides, photos and lecture transcripts you add. "
                           "Add some, or record a lecture, then search them here.",
                           [("Add files…", lambda: step("add_files")), ("Record a lecture", lambda: step("record"))])
        elif not query:
            self.empty.set("Search your library",
                           "Type a question or a few words above. Passages match by their words and by their "
                           "meaning; Enter opens the first one at its page or second.",
                           [("Show my library", lambda: step("library"))])
        elif self.scope.currentIndex() > 0:
            self.empty.set(f"Nothing matches “{query}” in {self.scope.currentText()}",
                           "Search everything you have added, or try other words.",
                           [("Search everything", lambda: self.scope.setCurrentIndex(0))])
        else:
            self.empty.set(f"Nothing matches “{query}”",
                           "Try other words or a question in your own words. A source still being read or "
                           "transcribed is searchable once its job is done.",
                           [("Add files…", lambda: step("add_files")), ("Show my library", lambda: step("library"))])
