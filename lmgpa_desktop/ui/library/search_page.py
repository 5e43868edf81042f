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
from lmgpa_desktop.ui.kit.operations import Operations

DEBOUNCE_MS = 200


def snippet_html(snippet: str) -> str:
    """FTS marks matched words as [word]; show them bold."""
    return re.sub(r"\[([^\[\]]+)\]", r"<b>\1</b>", html.escape(snippet))


class SearchPage(QWidget):
    """Type; results follow. Enter or double-click opens a result at its page, second or region."""

    open_hit = Signal(object)  # Hit

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
        if not query.strip():
            self.results.clear()
            self.status.setText("")
            return
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
            self.status.setText(f"Search failed: {error}")
            return
        self.status.setText(f"{len(hits)} results" if hits else "Nothing in your library matches.")
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

    def open_current(self) -> None:
        """Open the selected result where it came from."""
        row = self.results.currentRow()
        if 0 <= row < len(self.hits):
            self.open_hit.emit(self.hits[row])
