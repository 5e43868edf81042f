"""The dialog shown when the profile's database fails its start-up check: what happened, and what can be done."""

from __future__ import annotations

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from lmgpa_desktop.core.safety import integrity


class DamagedDialog(QDialog):
    """Restore backup from <date> / Open folder / Quit; never deletes or overwrites anything by itself."""

    restore_chosen = Signal(object)  # the BackupInfo to restore
    quit_chosen = Signal()

    def __init__(self, damaged: integrity.DamagedProfile, parent=None):
        super().__init__(parent)
        self.damaged = damaged
        self.setObjectName("damagedDialog")
        self.setWindowTitle("Your study data is damaged")
        self.setModal(True)
        title = QLabel("<b>Little Monster GPA found damage in your study data</b>")
        text = QLabel(integrity.describe(damaged) + "\n\n" + self._where())
        text.setObjectName("damagedText")
        text.setWordWrap(True)
        text.setMinimumWidth(460)
        buttons = QHBoxLayout()
        backup = damaged.newest_backup
        self.restore_button = None
        if backup is not None:
            self.restore_button = QPushButton(f"Restore backup from {integrity.local_time(backup)}")
            self.restore_button.setDefault(True)
            self.restore_button.clicked.connect(self._restore)
            buttons.addWidget(self.restore_button)
        self.folder_button = QPushButton("Open folder")
        self.folder_button.setToolTip(str(damaged.home))
        self.folder_button.clicked.connect(self.open_folder)
        self.quit_button = QPushButton("Quit")
        self.quit_button.clicked.connect(self.reject)
        buttons.addStretch(1)
        buttons.addWidget(self.folder_button)
        buttons.addWidget(self.quit_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addLayout(buttons)
        self.rejected.connect(self.quit_chosen)  # Quit, Esc and the window's close button all mean Quit

    def _where(self) -> str:
        """Where the damaged file is now, and where it goes if a backup is restored."""
        if self.damaged.newest_backup is None:
            return f"The damaged file is {self.damaged.db_path}."
        return (f"The damaged file is {self.damaged.db_path}. Restoring moves it, unchanged, into "
                f"{self.damaged.home / 'damaged'}; nothing is deleted.")

    def _restore(self) -> None:
        self.accept()
        self.restore_chosen.emit(self.damaged.newest_backup)

    def open_folder(self) -> None:
        """Show the data folder (the damaged file, the backups) in the file manager."""
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.damaged.home)))
