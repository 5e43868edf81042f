"""Settings → Backups: when automatic backups run and how many are kept (the backups.* settings)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

# (setting, label before it, lowest, highest): the rotation keeps one backup per day, week and month for this many.
KEEP = (("backups.keep_daily", "Keep one a day for", 1, 365, "days,"),
        ("backups.keep_weekly", "one a week for", 0, 520, "weeks,"),
        ("backups.keep_monthly", "one a month for", 0, 240, "months"))


class BackupSchedule(QWidget):
    """A check box and spin boxes bound to the backups.* settings; each change is saved at once."""

    def __init__(self, settings, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.auto = QCheckBox("Back up automatically every")
        self.auto.setChecked(bool(settings.get("backups.auto")))
        self.auto.toggled.connect(self._auto_toggled)
        self.minutes = self._spin("backups.interval_minutes", 5, 24 * 60)
        first = QHBoxLayout()
        first.setContentsMargins(0, 0, 0, 0)
        first.addWidget(self.auto)
        first.addWidget(self.minutes)
        first.addWidget(QLabel("minutes of use when something changed, and on quit"))
        first.addStretch(1)
        keep = QHBoxLayout()
        keep.setContentsMargins(0, 0, 0, 0)
        self.keep: dict[str, QSpinBox] = {}
        for key, before, low, high, after in KEEP:
            label = QLabel(before)
            self.keep[key] = self._spin(key, low, high)
            label.setBuddy(self.keep[key])
            keep.addWidget(label)
            keep.addWidget(self.keep[key])
            keep.addWidget(QLabel(after))
        keep.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(first)
        layout.addLayout(keep)
        self.minutes.setEnabled(self.auto.isChecked())

    def _spin(self, key: str, low: int, high: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setValue(int(self.settings.get(key)))
        spin.setAccessibleName(key.split(".", 1)[1].replace("_", " "))
        spin.setKeyboardTracking(False)  # save the number typed, not each digit on the way
        spin.valueChanged.connect(lambda value, k=key: self.settings.set(k, value))
        return spin

    def _auto_toggled(self, on: bool) -> None:
        self.settings.set("backups.auto", on)
        self.minutes.setEnabled(on)
