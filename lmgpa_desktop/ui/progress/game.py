"""Goals (add, edit, remove) and gamification (level, points, streak, achievements, bests) panels for Progress."""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from lmgpa_desktop.core.formatting import amount
from lmgpa_desktop.core.progress import gamification
from lmgpa_desktop.core.progress import goals
from lmgpa_desktop.core.library import library
from lmgpa_desktop.core.progress.points import RULES
from lmgpa_desktop.core.progress.streaks import FREEZE_EVERY, MAX_FREEZES
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.reflow import ReflowGrid
from lmgpa_desktop.ui.progress.celebration import install_unlock_toasts

log = logging.getLogger(__name__)
__all__ = ["AchievementTile", "GamificationPanel", "GoalDialog", "GoalsPanel"]
GRID_COLUMNS = 4  # achievements per row at most; fewer when the panel is narrow
TILE_MIN_WIDTH = 200


def _when(at: datetime | None) -> str:
    """An unlock time in the computer's local time."""
    return at.astimezone().strftime("%d %b %Y, %H:%M") if at else ""


def _title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    return label


# -- goals -------------------------------------------------------------------------------------------------------
class GoalDialog(QDialog):
    """Add or edit one goal: what it counts, daily or weekly, the target, and optionally a class."""

    def __init__(self, courses: dict[int, str], goal=None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Edit goal" if goal else "Add goal")
        self.goal = goal
        self.metric = QComboBox()
        for key, text in goals.METRICS.items():
            self.metric.addItem(text, key)
        self.period = QComboBox()
        self.period.addItem("every day", "daily")
        self.period.addItem("every week", "weekly")
        self.target = QSpinBox()
        self.target.setRange(1, goals.MAX_TARGET)
        self.target.setValue(30)
        self.course = QComboBox()
        self.course.addItem("All classes", None)
        for cid, name in sorted(courses.items(), key=lambda kv: kv[1].lower()):
            self.course.addItem(name, cid)
        if goal is not None:
            self.metric.setCurrentIndex(self.metric.findData(goal.metric))
            self.period.setCurrentIndex(self.period.findData(goal.period))
            self.target.setValue(goal.target)
            self.course.setCurrentIndex(max(0, self.course.findData(goal.course_id)))
        form = QFormLayout(self)
        form.addRow("Count", self.metric)
        form.addRow("Target", self.target)
        form.addRow("Period", self.period)
        form.addRow("Class", self.course)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict:
        """The goal as fields for core.goals."""
        return {"metric": self.metric.currentData(), "period": self.period.currentData(),
                "target": self.target.value(), "course_id": self.course.currentData()}


class GoalsPanel(QFrame):
    """The student's goals with progress bars for today and this week; add, edit and remove."""

    loaded = Signal()  # the bars are on screen (tests wait for it)

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("goalsPanel")
        self.ops = Operations(self, "goals")
        self.progress: list[goals.GoalProgress] = []
        self.courses: dict[int, str] = {}
        self.dialog: GoalDialog | None = None
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.rows = QGridLayout()
        self.add_button = QPushButton("Add goal…")
        self.add_button.clicked.connect(lambda: self.edit_goal(None))
        head = QHBoxLayout()
        head.addWidget(_title("Goals"))
        head.addStretch(1)
        head.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.note)
        layout.addLayout(self.rows)
        layout.addWidget(self.message)
        self.refresh()

    def refresh(self) -> None:
        """Reload goal progress and classes off the UI thread."""
        ctx = self.ctx
        self.ops.run_either(lambda: (goals.progress(ctx), {c.id: c.name for c in library.courses(ctx)}), self._fill)

    def _fill(self, result) -> None:
        if isinstance(result, Exception):
            log.error("goal progress failed: %s", result, exc_info=result)
            self.message.setText(f"Could not load your goals: {result}")
            return
        self.progress, self.courses = result
        while self.rows.count():
            item = self.rows.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        defaults = any(p.default for p in self.progress)
        self.note.setText(goals.DEFAULT_TEXT + " Add a daily goal of your own to choose." if defaults else
                          "A day counts for your streak when every daily goal is met.")
        for row, p in enumerate(self.progress):
            self._add_row(row, p)
        self.loaded.emit()

    def _add_row(self, row: int, p: goals.GoalProgress) -> None:
        course = self.courses.get(p.goal.course_id, "") if p.goal.course_id else ""
        label = QLabel(p.label + (f" · {course}" if course else "") + (" (default)" if p.default else ""))
        label.setWordWrap(True)  # a long class name wraps instead of widening the page
        bar = QProgressBar()
        bar.setRange(0, 1000)
        bar.setValue(round(p.fraction * 1000))
        bar.setFormat(f"{amount(p.done)} / {p.target}" + ("  ✓" if p.met else ""))
        bar.setProperty("met", p.met)
        self.rows.addWidget(label, row, 0)
        self.rows.addWidget(bar, row, 1)
        if p.goal.id is not None:
            edit, remove = QPushButton("Edit…"), QPushButton("Remove")
            edit.clicked.connect(lambda _=False, g=p.goal: self.edit_goal(g))
            remove.clicked.connect(lambda _=False, g=p.goal: self.remove_goal(g.id))
            self.rows.addWidget(edit, row, 2)
            self.rows.addWidget(remove, row, 3)

    def edit_goal(self, goal=None) -> GoalDialog:
        """Open the goal dialog (without blocking); saving writes off the UI thread and reloads."""
        self.dialog = GoalDialog(self.courses, goal, self)
        self.dialog.accepted.connect(lambda d=self.dialog: self._save(d.goal, d.values()))
        self.dialog.open()
        return self.dialog

    def _save(self, goal, fields: dict) -> None:
        ctx = self.ctx
        if goal is None:
            self.ops.run_either(lambda: goals.add(ctx, **fields), self._written)
        else:
            self.ops.run_either(lambda: goals.update(ctx, goal.id, **fields), self._written)

    def remove_goal(self, goal_id: int) -> None:
        """Delete a goal off the UI thread and reload."""
        ctx = self.ctx
        self.ops.run_either(lambda: goals.remove(ctx, goal_id), self._written)

    def _written(self, result) -> None:
        self.message.setText(str(result) if isinstance(result, Exception) else "")
        self.refresh()


# -- points, level, streak, achievements -------------------------------------------------------------------------
class AchievementTile(QFrame):
    """One achievement: title, its condition, and when it was unlocked or how far along it is."""

    def __init__(self, status, parent=None):
        super().__init__(parent)
        self.code = status.code
        self.setObjectName("achievementTile")
        self.setProperty("unlocked", status.unlocked)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setToolTip(status.description)
        title = QLabel(status.title)
        title.setStyleSheet("font-weight: bold;")
        condition = QLabel(status.description)
        condition.setWordWrap(True)
        state = QLabel(f"Unlocked {_when(status.unlocked_at)}" if status.unlocked else
                       f"Locked · {amount(min(status.current, status.needed))} / {amount(status.needed)}")
        self.state = state
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(title)
        layout.addWidget(condition)
        layout.addWidget(state)
        if not status.unlocked:
            self.setStyleSheet("#achievementTile QLabel { color: palette(mid); }")


class GamificationPanel(QFrame):
    """Level bar and points, the streak with its freezes, personal bests, achievements, and the point rules."""

    loaded = Signal()  # the panel shows fresh numbers (tests wait for it)

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("gamificationPanel")
        self.ops = Operations(self, "gamification")
        self.data: dict | None = None
        self.level = QLabel("Level …")
        self.level.setObjectName("levelTitle")
        self.level_bar = QProgressBar()
        self.points = QLabel("")
        self.streak = QLabel("")
        self.streak.setWordWrap(True)
        self.bests = QLabel("")
        self.bests.setWordWrap(True)
        self.grid = ReflowGrid(TILE_MIN_WIDTH, GRID_COLUMNS, align_top=False)
        self.tiles: dict[str, AchievementTile] = {}
        self.rules = QTableWidget(len(RULES), 3)
        self.rules.setAccessibleName("Points rules")
        self.rules.setHorizontalHeaderLabels(["Learning action", "Points", "Counts up to"])
        self.rules.verticalHeader().setVisible(False)
        self.rules.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.rules.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        for r, rule in enumerate(RULES):
            self.rules.setItem(r, 0, QTableWidgetItem(rule.description))
            self.rules.setItem(r, 1, QTableWidgetItem(f"+{rule.points}"))
            times = "once a day" if rule.cap_per_day == 1 else f"{rule.cap_per_day} times a day"
            self.rules.setItem(r, 2, QTableWidgetItem(times))
        self.rules.resizeRowsToContents()
        self.rules.setFixedHeight(self.rules.verticalHeader().length() + header.sizeHint().height() + 4)
        self.message = QLabel("")
        layout = QVBoxLayout(self)
        layout.addWidget(_title("Level and points"))
        layout.addWidget(self.level)
        layout.addWidget(self.level_bar)
        layout.addWidget(self.points)
        layout.addWidget(_title("Streak"))
        layout.addWidget(self.streak)
        layout.addWidget(_title("Personal bests"))
        layout.addWidget(self.bests)
        layout.addWidget(_title("Achievements"))
        layout.addWidget(self.grid)
        layout.addWidget(_title("How points are earned"))
        note = QLabel("Points reward learning, not opening the app: each action counts only up to its daily limit, "
                      "the same card or test counts once a day, and an undone answer gives its points back. "
                      "Each level takes 100 points more than the one before.")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addWidget(self.rules)
        layout.addWidget(self.message)
        self.refresh()

    def showEvent(self, event) -> None:
        """Celebrate unlocks over the window this panel lives in."""
        super().showEvent(event)
        install_unlock_toasts(self.window(), self.ctx)

    def refresh(self) -> None:
        """Reload everything off the UI thread."""
        ctx = self.ctx

        def load() -> dict:
            return {"summary": gamification.summary(ctx), "streak": gamification.streak(ctx),
                    "achievements": gamification.achievements(ctx), "bests": gamification.personal_bests(ctx)}

        self.ops.run_either(load, self._fill)

    def _fill(self, result) -> None:
        if isinstance(result, Exception):
            log.error("gamification failed: %s", result, exc_info=result)
            self.message.setText(f"Could not load your points: {result}")
            return
        self.data = result
        s, streak, bests = result["summary"], result["streak"], result["bests"]
        self.level.setText(f"Level {s['level']}")
        self.level_bar.setRange(0, s["next_level_points"] - s["level_points"])
        self.level_bar.setValue(s["points"] - s["level_points"])
        self.level_bar.setFormat(f"{s['points']} / {s['next_level_points']} points")
        self.points.setText(f"{s['points']} points · {s['next_level_points'] - s['points']} to level {s['level'] + 1}")
        self.streak.setText(self._streak_text(streak))
        best_test = f"{bests.best_test_percent:.0f}%" if bests.best_test_percent is not None else "no test yet"
        self.bests.setText(
            f"Most cards in a day: {bests.most_cards_day}" + (f" ({bests.most_cards_on})" if bests.most_cards_on
                                                              else "")
            + f" · Longest streak: {bests.longest_streak} days · Best test: {best_test}"
            + f" · Longest focus period: {bests.longest_focus_min:.0f} min")
        self._fill_grid(result["achievements"])
        self.message.setText("")
        self.loaded.emit()

    @staticmethod
    def _streak_text(streak) -> str:
        freezes = str(streak.freezes_available) if streak.freezes_available else "none"
        text = (f"{streak.days}-day streak (longest {streak.longest}). Freezes held: {freezes} "
                f"(one earned per {FREEZE_EVERY} goal days in a row, at most {MAX_FREEZES}; "
                "one is spent by itself on a missed day).")
        if streak.met_today:
            text += " Today's goal is met."
        elif streak.at_risk_today:
            text += " Meet today's goal to keep it going."
        return text

    def _fill_grid(self, statuses) -> None:
        self.grid.clear()
        ordered = sorted(statuses, key=lambda a: (not a.unlocked, -a.fraction))
        self.tiles = {status.code: AchievementTile(status) for status in ordered}
        self.grid.extend(list(self.tiles.values()))

