"""Progress → Leaderboard: this week's ranking of a class or of my connections, from the offline cache."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QTableWidgetItem, QVBoxLayout

from lmgpa_desktop.core.online import service as online
from lmgpa_desktop.ui.online.online_status import field, label, table

SIGNED_OUT = "Sign in to see class leaderboards (Account page)."
NOT_OPTED_IN = "You are not on leaderboards — opt in on the Account page."
NO_DATA = "No ranking yet for this week: it arrives with the next sync."


class LeaderboardPanel(QGroupBox):
    """Class / connections selector and the weekly ranking; reads only the cache."""

    def __init__(self, ctx, parent=None):
        super().__init__("Leaderboard", parent)
        self.ctx = ctx
        self.service = online.service(ctx)
        self.scope = QComboBox()
        self.scope.setObjectName("leaderboardScope")
        self.scope.currentIndexChanged.connect(lambda _i: self._show_board())
        self.note = label("", "leaderboardNote")
        self.table = table(["#", "Name", "Points this week"], "leaderboardTable")
        self.table.setMinimumHeight(140)
        row = QHBoxLayout()
        row.addWidget(QLabel("Ranking of"))
        row.addWidget(self.scope, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addWidget(self.table)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the account state, my classes and the selected ranking (all local)."""
        try:
            state = self.service.state()
            signed_in = state.status != "signed_out"
            classes = self.service.classes() if signed_in else []
        except Exception as exc:  # noqa: BLE001 - the rest of Progress works without it
            self._message(f"Could not read the leaderboard: {exc}")
            return
        self.state = state
        chosen = self.scope.currentData()
        self.scope.blockSignals(True)
        self.scope.clear()
        if signed_in:
            self.scope.addItem("My connections", ("connections", None))
            for c in classes:
                if not field(c, "pending"):
                    self.scope.addItem(f"Class: {field(c, 'name', '')}", ("class", field(c, "id")))
            index = self.scope.findData(chosen)
            self.scope.setCurrentIndex(max(0, index))
        self.scope.setEnabled(signed_in)
        self.scope.blockSignals(False)
        self._show_board()

    def _message(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def _show_board(self) -> None:
        self.table.setRowCount(0)
        state = getattr(self, "state", None)
        if state is None or state.status == "signed_out":
            self._message(SIGNED_OUT)
            self.table.setVisible(False)
            return
        scope, class_id = self.scope.currentData() or ("connections", None)
        try:
            board = self.service.leaderboard(scope, class_id) or {}
        except Exception as exc:  # noqa: BLE001
            self._message(f"Could not read the leaderboard: {exc}")
            return
        opted_in = board.get("opted_in", bool(field(state.user or {}, "leaderboard_opt_in", False)))
        entries = board.get("rows") or board.get("entries") or []
        notes = []
        if not opted_in:
            notes.append(NOT_OPTED_IN)
        if not entries:
            notes.append(NO_DATA)
        elif board.get("week_start"):
            notes.append(f"Week of {board['week_start']}.")
        self._message(" ".join(notes))
        self.table.setVisible(bool(entries))
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            cells = [str(field(e, "rank", r + 1)), field(e, "display_name", ""), f"{field(e, 'points', 0) or 0:g}"]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if field(e, "me"):
                    font = QFont(self.table.font())
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
