"""The Study page: its Generate, To review, Notes and Practice tests tabs sharing open_location."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from lmgpa_desktop.ui.kit import page_focus
from lmgpa_desktop.ui.study.generate_tab import GeneratePanel
from lmgpa_desktop.ui.study.notes_tab import NotesPanel
from lmgpa_desktop.ui.study.pending_tab import PendingPanel
from lmgpa_desktop.ui.study.practice_tab import PracticePanel

TABS = ["generate", "review", "notes", "practice"]


class StudyPage(QWidget):
    """The Study area: four tabs sharing the page's open_location signal."""

    open_location = Signal(int, object, object)  # source id, page or None, second or None

    def __init__(self, ctx, runner, parent=None):
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        title = QLabel("Study")
        title.setObjectName("pageTitle")
        self.generate = GeneratePanel(ctx, runner)
        self.pending = PendingPanel(ctx)
        self.notes = NotesPanel(ctx, runner)
        self.practice = PracticePanel(ctx, runner)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.generate, "Generate")
        self.tabs.addTab(self.pending, "To review")
        self.tabs.addTab(self.notes, "Notes")
        self.tabs.addTab(self.practice, "Practice tests")
        self.tabs.currentChanged.connect(self._tab_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.tabs, 1)

        for panel in (self.pending, self.notes, self.practice):
            panel.open_location.connect(self.open_location)
        self.generate.generated.connect(self._generated)
        self.pending.changed.connect(self._accepted)
        self.pending.loaded.connect(self._count_pending)
        self.pending.loaded.connect(self._first_load)
        self._first_loaded = False

    def _first_load(self) -> None:
        """Open on To review when something waits there (unless the student already chose a tab)."""
        if self._first_loaded:
            return
        self._first_loaded = True
        if not self.pending.pending.empty and self.tabs.currentIndex() == 0:
            self.show_tab("review")

    def first_focus(self):
        """Where the keyboard goes when the page is opened by keyboard: the first control of the tab on screen."""
        return page_focus.first_control(self.tabs.currentWidget())

    def show_tab(self, key: str) -> None:
        """Switch to generate, review, notes or practice."""
        self.tabs.setCurrentIndex(TABS.index(key))

    def current_tab(self) -> str:
        """Key of the tab on screen."""
        return TABS[self.tabs.currentIndex()]

    def refresh(self) -> None:
        """Reload every tab from the database."""
        self.generate.refresh()
        self.pending.refresh()
        self.notes.refresh()
        self.practice.refresh()

    def showEvent(self, event) -> None:
        """Coming back to the page shows what changed elsewhere (new sources, tests finished)."""
        super().showEvent(event)
        self.generate.refresh()
        self.pending.refresh()

    def _tab_changed(self, index: int) -> None:
        key = TABS[index]
        if key == "review":
            self.pending.refresh()
        elif key == "notes" and not self.notes.dirty:
            self.notes.refresh()
        elif key == "practice" and self.practice.stack.currentIndex() == 0:
            self.practice.refresh()
        elif key == "generate":
            self.generate.refresh()

    def _count_pending(self) -> None:
        """The To review tab's title counts what waits (after each reload of the list)."""
        p = self.pending.pending
        n = len(p.cards) + sum(len(q) for _, q in p.tests) + len(p.notes)
        self.tabs.setTabText(TABS.index("review"), f"To review ({n})" if n else "To review")

    def _generated(self, job) -> None:
        self.pending.refresh()

    def _accepted(self) -> None:
        if not self.notes.dirty:
            self.notes.refresh()
        if self.practice.stack.currentIndex() == 0:
            self.practice.refresh()
