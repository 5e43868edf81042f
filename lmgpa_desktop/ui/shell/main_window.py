"""Main window: navigation to every area, pages built on first visit, jobs panel, status bar, tray."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QMenu, QStackedWidget,
    QSystemTrayIcon, QWidget,
)

from lmgpa_desktop import __version__, paths
from lmgpa_desktop.ui.kit import accessibility, page_focus, tab_order, wheel_guard
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.shell import nav_icons, shortcuts_overlay, theme

if TYPE_CHECKING:  # the database layer loads on a worker thread after the first paint
    from lmgpa_desktop.core.context import AppContext
    from lmgpa_desktop.ui.kit.job_runner import JobRunner


@dataclass(frozen=True)
class Area:
    """One entry of the navigation and how to build its page."""

    key: str
    title: str
    make: Callable[[MainWindow], QWidget]


def _settings(window: MainWindow) -> QWidget:
    from lmgpa_desktop.ui.shell.settings_page import SettingsPage
    from lmgpa_desktop.ui.shell.first_run import show_first_run
    from lmgpa_desktop.ui.shell.welcome import show_welcome

    page = SettingsPage(window.ctx, window.runner)
    page.theme_changed.connect(lambda name: theme.apply(QApplication.instance(), name))
    page.welcome_requested.connect(lambda: show_welcome(window))
    page.first_run_requested.connect(lambda: show_first_run(window))
    return page


def _record(window: MainWindow) -> QWidget:
    from lmgpa_desktop.ui.capture.record_page import RecordPage

    return RecordPage(window.ctx, window.runner)


def _chat(window: MainWindow) -> QWidget:
    from lmgpa_desktop.ui.study.chat_page import ChatPage

    page = ChatPage(window.ctx, window.runner)
    page.open_location.connect(window.open_location)  # with the region and the quote, marked on a PDF page
    return page


def _study(window) -> QWidget:
    """Generate notes, flashcards and practice tests, review them, edit notes, take tests."""
    from lmgpa_desktop.ui.study.study_page import StudyPage

    page = StudyPage(window.ctx, window.runner)
    page.open_location.connect(lambda source_id, page_no, start_s: window.open_location(source_id, page_no, start_s))
    return page


def _review(window) -> QWidget:
    """Decks, FSRS review, the card browser and Anki import/export."""
    from lmgpa_desktop.ui.study.review_page import ReviewPage

    page = ReviewPage(window.ctx, window.runner)
    page.open_location.connect(lambda source_id, page_no, start_s: window.open_location(source_id, page_no, start_s))
    return page


def _progress(window) -> QWidget:
    """Focus timer, goals and points, charts of study time, reviews, retention, due cards and tests."""
    from lmgpa_desktop.ui.online.leaderboard_panel import LeaderboardPanel
    from lmgpa_desktop.ui.progress.progress_page import ProgressPage

    return ProgressPage(window.ctx, window.runner, leaderboard=LeaderboardPanel(window.ctx))


def _notifications(window) -> QWidget:
    """The notification centre; its unread count also drives the badge on the navigation."""
    from lmgpa_desktop.ui.progress.notifications_page import NotificationsPage

    page = NotificationsPage(window.ctx)
    page.unread_changed.connect(window.show_unread)
    return page


def _classes(window) -> QWidget:
    """Classes from the sync server's cache: join codes, assignments, hand-ins and grades."""
    from lmgpa_desktop.ui.online.classes_page import ClassesPage

    return ClassesPage(window.ctx, window.online)


def _groups(window) -> QWidget:
    """Study groups (messages, shares) and connections."""
    from lmgpa_desktop.ui.online.groups_page import GroupsPage

    return GroupsPage(window.ctx, window.online)


def _account(window) -> QWidget:
    """Sign in to a sync server, devices, sync now and the outbox."""
    from lmgpa_desktop.ui.online.account_page import AccountPage

    return AccountPage(window.ctx, window.online, runner=window.runner)  # the Sync section runs jobs


def _home(window) -> QWidget:
    """Today at a glance; each item opens the page where it continues."""
    from lmgpa_desktop.ui.progress.home_page import HomePage

    page = HomePage(window.ctx, window.runner)
    page.navigate.connect(window.show_area)
    page.open_location.connect(lambda source_id, page_no, start_s: window.open_location(source_id, page_no, start_s))
    page.open_item.connect(window.open_item)
    return page


AREAS = [
    Area("home", "Home", _home),
    Area("record", "Record", _record),
    Area("library", "Library", lambda w: w._library()),
    Area("search", "Search", lambda w: w._search()),
    Area("chat", "Chat", _chat),
    Area("study", "Study", _study),
    Area("review", "Review", _review),
    Area("classes", "Classes", _classes),
    Area("groups", "Groups", _groups),
    Area("progress", "Progress", _progress),
    Area("notifications", "Notifications", _notifications),
    Area("settings", "Settings", _settings),
    Area("account", "Account", _account),
]
KEYS = [a.key for a in AREAS]


class NavList(QListWidget):
    """The page list. Enter is handled here, not by a shortcut: a shortcut on the list fired for Enter sent to any
    widget while the list had the focus, and took it from the search box."""

    KEYS = [(("Return", "Enter"), "In the navigation: go into the chosen page")]  # listed by the `?` overlay
    entered = Signal()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            self.entered.emit()
            return
        super().keyPressEvent(event)


class MainWindow(QMainWindow):
    """The app's one window; paints before the profile is open, then attach() brings it to life."""

    def __init__(self, boot: dict | None = None):
        super().__init__()
        boot = boot or {}
        wheel_guard.install(QApplication.instance())
        tab_order.install(QApplication.instance())  # Tab leaves a list of rows instead of walking its cells
        accessibility.install(QApplication.instance())  # controls shown later get a name a screen reader reads
        self.ctx: AppContext | None = None
        self.runner: JobRunner | None = None
        self.jobs_panel = None
        self.notifier = None
        self.online = None
        self.sync_status = None
        self.ops = Operations(self, "window")
        self.setWindowTitle("Little Monster GPA")
        self.setWindowIcon(QIcon(str(paths.resource("icons", "app.svg"))))
        self.setMinimumSize(720, 520)  # every navigation entry stays visible
        self.nav = NavList()
        self.nav.setObjectName("nav")
        self.nav.setAccessibleName("Navigation")
        self.nav.setFixedWidth(190)
        self.nav.setIconSize(nav_icons.ICON_SIZE)
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        for area in AREAS:
            item = QListWidgetItem(nav_icons.icon(area.key), area.title)
            item.setData(Qt.ItemDataRole.UserRole, area.key)
            self.nav.addItem(item)
            waiting = QLabel("Opening your library…")
            waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.stack.addWidget(waiting)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Opening your library…")
        self._actions()
        self.tray = self._tray()
        self._restore(boot)
        self.nav.currentRowChanged.connect(self._show_row)

    # -- life cycle ----------------------------------------------------------------------------------------------
    def attach(self, ctx: AppContext, runner: JobRunner) -> None:
        """The profile is open: add the jobs panel and status widget, build the visible page."""
        from lmgpa_desktop.ui.shell.jobs_panel import JobsPanel
        from lmgpa_desktop.ui.shell.status_job import StatusJob

        self.ctx, self.runner = ctx, runner
        self.jobs_panel = JobsPanel(runner, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.jobs_panel)
        self.jobs_panel.hide()
        self.statusBar().addPermanentWidget(StatusJob(runner))
        from lmgpa_desktop.ui.online.online_status import OnlineStatus

        self.online = OnlineStatus(ctx, self)  # badge, background sync and live notifications while signed in
        self.online.open_account.connect(lambda: self.show_area("account"))
        self.online.live_event.connect(self._live_notification)
        self.online.synced.connect(lambda _r: self._refresh_online_pages())
        self.statusBar().addPermanentWidget(self.online.badge)
        from lmgpa_desktop.ui.sync.sync_status import SyncStatus

        self.sync_status = SyncStatus(ctx, runner, self.online, self)  # "Synced 2 min ago · 3 waiting · 1 conflict"
        self.sync_status.open_sync.connect(self.open_sync)
        self.statusBar().addPermanentWidget(self.sync_status.badge)
        self.statusBar().showMessage(f"Data folder: {ctx.home}", 8000)
        from lmgpa_desktop.ui.shell.tray import Notifier

        self.notifier = Notifier(ctx, self.tray, self)  # reminders: scheduler, tray messages, unread badge
        self.notifier.unread.connect(self.show_unread)
        self.notifier.start()
        from lmgpa_desktop.ui.progress.celebration import install_unlock_toasts

        install_unlock_toasts(self, ctx)  # achievements unlocked anywhere get a small, non-blocking celebration
        self._show_row(self.nav.currentRow())

    def closeEvent(self, event) -> None:
        """Remember geometry and stop workers (running jobs resume at next start)."""
        if self.ctx is not None:
            settings, geometry = self.ctx.settings, bytes(self.saveGeometry().toBase64()).decode()
            written = self.ops.run(lambda: settings.set("ui.geometry", geometry))
            self.runner.stop()
            if self.notifier is not None:
                self.notifier.stop()
            if self.online is not None:
                self.online.stop()
            if self.sync_status is not None:
                self.sync_status.stop()
            if written is not None:
                # The next start reads these settings before anything else: wait for the lane, which runs in order,
                # so the last page and the geometry (and every change queued before them) are on disk.
                written.result()
        if self.tray:
            self.tray.hide()
        super().closeEvent(event)

    # -- pages that talk to each other ---------------------------------------------------------------------------
    def _library(self) -> QWidget:
        from lmgpa_desktop.ui.library.library_page import LibraryPage

        page = LibraryPage(self.ctx, self.runner)
        page.open_audio.connect(lambda source_id, start_s: self.open_location(source_id, start_s=start_s))
        return page

    def _search(self) -> QWidget:
        from lmgpa_desktop.ui.library.search_page import SearchPage

        page = SearchPage(self.ctx, self.runner)
        # The snippet names the sentence that matched and marks the words searched for: the viewer marks those.
        page.open_hit.connect(lambda hit: self.open_location(hit.source_id, hit.page_no, hit.start_s, hit.region,
                                                            hit.snippet))
        return page

    def open_location(self, source_id: int, page_no: int | None = None, start_s: float | None = None,
                      region: list | None = None, highlight: str = "") -> None:
        """Show a source where a hit or citation points: audio at its second, documents at their page."""
        from lmgpa_desktop.core.library import library

        ctx = self.ctx
        self.ops.run(lambda: library.get(ctx, source_id),
                     lambda src: self._go_to(src, page_no, start_s, region, highlight))

    def _go_to(self, src, page_no: int | None, start_s: float | None, region: list | None, highlight: str) -> None:
        if src is None:
            return
        if src.kind in ("audio", "video", "recording"):
            self.show_area("record")
            record = self._page("record")
            record.select_source(src.id)
            if start_s is not None:
                record.view.seek(start_s, play=False)
        else:
            self.show_area("library")
            self._page("library").show_document(src.id, page_no, region, highlight)

    def open_item(self, kind: str, item_id: int) -> None:
        """Open a deck to study, a note, a practice test or a conversation (from Home's "continue")."""
        if kind == "deck":
            self.show_area("review")
            self._page("review").study(item_id)
        elif kind == "note":
            self.show_area("study")
            study = self._page("study")
            study.show_tab("notes")
            study.notes.open_note(item_id)
        elif kind == "test":
            self.show_area("study")
            study = self._page("study")
            study.show_tab("practice")
            study.practice.select_test(item_id)
        elif kind == "chat":
            self.show_area("chat")
            self._page("chat").refresh_conversations(select=item_id)

    # -- navigation ----------------------------------------------------------------------------------------------
    def _page(self, key: str) -> QWidget | None:
        """The page of an area, built on first visit (keeps start-up fast)."""
        if key not in self.pages and self.ctx is not None:
            index = KEYS.index(key)
            page = AREAS[index].make(self)
            page.setObjectName(f"page_{key}")
            accessibility.name_controls(page)  # every control gets a name from what is seen next to it
            placeholder = self.stack.widget(index)
            self.stack.insertWidget(index, page)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            self.pages[key] = page
            if self.jobs_panel is not None:  # Tab from the navigation goes into the page, then to the chrome
                page_focus.move_to_end(self, [self.jobs_panel, self.statusBar()])
            if hasattr(page, "next_step"):  # an empty state's button that leads to another page
                from lmgpa_desktop.ui.shell.welcome import follow

                page.next_step.connect(lambda step: follow(self, step))
        return self.pages.get(key)

    def _show_row(self, row: int) -> None:
        if not 0 <= row < len(AREAS):
            return
        self._page(KEYS[row])
        self.stack.setCurrentIndex(row)
        if self.ctx is not None:
            settings, key = self.ctx.settings, KEYS[row]
            self.ops.run(lambda: settings.set("ui.last_page", key))  # closeEvent waits for it: the next start reads it

    def show_area(self, key: str) -> None:
        """Switch to an area by key."""
        self.nav.setCurrentRow(KEYS.index(key))

    def go_to_area(self, row: int) -> None:
        """Switch to an area by keyboard (Ctrl+1…0, Enter in the navigation): the keyboard goes into the page."""
        self.nav.setCurrentRow(row)
        self.focus_page()

    def focus_page(self) -> None:
        """The keyboard on the page's first useful control (the search box, the question box, the deck list…)."""
        # Only keyboard switches call this, as Enter in Anki's or Obsidian's sidebar opens the item and goes into
        # it: a mouse click keeps focus in the navigation, and the arrow keys keep it there to walk the entries.
        page = self.pages.get(self.current_area())
        if page is not None:
            page_focus.focus_first(page)

    def current_area(self) -> str:
        """Key of the area on screen."""
        return KEYS[self.stack.currentIndex()]

    def show_unread(self, count: int) -> None:
        """A badge with the unread count on the Notifications entry."""
        from lmgpa_desktop.ui.shell.tray import badge_icon

        item = self.nav.item(KEYS.index("notifications"))
        item.setIcon(badge_icon(count, base=nav_icons.icon("notifications")))
        item.setToolTip(f"{count} unread" if count else "")

    def _live_notification(self, _event) -> None:
        """A server notification arrived live: the centre and its count show it now."""
        page = self.pages.get("notifications")
        if page is not None:
            page.refresh()
        if self.notifier is not None:
            self.notifier.refresh_count()

    def _refresh_online_pages(self) -> None:
        """After a sync: the leaderboard on Progress reads the new rankings (the online pages listen themselves)."""
        page = self.pages.get("progress")
        if page is not None and page.leaderboard is not None:
            page.leaderboard.refresh()

    def open_sync(self) -> None:
        """The status bar's sync line was clicked: the Account page, scrolled to its Sync section."""
        self.show_area("account")
        panel = getattr(self._page("account"), "sync_panel", None)
        if panel is not None and panel.isVisibleTo(self):
            panel.reveal()

    def toggle_jobs(self) -> None:
        """Show or hide the jobs panel."""
        if self.jobs_panel is not None:
            self.jobs_panel.setVisible(not self.jobs_panel.isVisible())

    # -- chrome --------------------------------------------------------------------------------------------------
    def _actions(self) -> None:
        """Keyboard shortcuts: Ctrl+1..9/0 jump to areas, Ctrl+J jobs, Ctrl+, settings, Ctrl+L nav, Ctrl+Q quit."""
        for index, digit in enumerate("1234567890"[: len(AREAS)]):
            self._shortcut(f"Ctrl+{digit}", lambda i=index: self.go_to_area(i), f"Go to {AREAS[index].title}")
        self._shortcut("Ctrl+J", self.toggle_jobs, "Show or hide the jobs panel")
        self._shortcut("Ctrl+,", lambda: self.go_to_area(KEYS.index("settings")), "Open Settings")
        self._shortcut("Ctrl+L", self.nav.setFocus, "Move to the navigation")
        self.nav.entered.connect(lambda: self.go_to_area(self.nav.currentRow()))  # the arrows choose, Enter goes in
        self._shortcut("Ctrl+Q", self.close, "Quit")
        shortcuts_overlay.install(self, lambda: self.stack.currentWidget(),
                                  lambda: AREAS[self.stack.currentIndex()].title)  # ? and F1: this list

    def _shortcut(self, key: str, slot: Callable[[], object], text: str = "") -> None:
        action = QAction(text, self, shortcut=QKeySequence(key))  # the text is what the shortcuts overlay lists
        action.triggered.connect(lambda _=False: slot())
        self.addAction(action)

    def _tray(self) -> QSystemTrayIcon | None:
        """A tray icon with Show and Quit where the desktop has a tray."""
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        tray = QSystemTrayIcon(self.windowIcon(), self)
        tray.setToolTip(f"Little Monster GPA {__version__}")
        menu = QMenu(self)
        menu.addAction("Show", self.showNormal)
        menu.addAction("Quit", self.close)
        tray.setContextMenu(menu)
        tray.activated.connect(
            lambda reason: self.showNormal() if reason == QSystemTrayIcon.ActivationReason.Trigger else None)
        tray.show()
        return tray

    def _restore(self, boot: dict) -> None:
        """Window geometry and the last page, as peeked from the settings before the profile opened."""
        geometry = boot.get("ui.geometry")
        if not (geometry and self.restoreGeometry(QByteArray.fromBase64(str(geometry).encode()))):
            self.resize(1200, 780)
        last = boot.get("ui.last_page")
        row = KEYS.index(last) if last in KEYS else 0
        self.nav.setCurrentRow(row)
        self.stack.setCurrentIndex(row)
        self.nav.setFocus()
