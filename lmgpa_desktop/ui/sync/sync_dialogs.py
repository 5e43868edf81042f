"""Sync's dialogs: the recovery key, shown once and not closed by accident; confirmations that name what happens."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPushButton, QVBoxLayout, QWidget,
)

RECOVERY_HELP = ("This is your recovery key. If you forget your sync passphrase, it is the only way to reach your "
                 "synced data: nobody, not even the server's operator, can read it or reset it for you. It is shown "
                 "this once. Copy it into a password manager, or write it down and keep it somewhere safe.")


class RecoveryKeyDialog(QDialog):
    """The recovery key with Copy; closes only after "I have saved it" is ticked (no Esc, no close button)."""

    def __init__(self, key: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("recoveryKeyDialog")
        self.setWindowTitle("Save your recovery key")
        self.setModal(True)
        # No close button: the key is never shown again, so closing must be a decision, not a slip.
        self.setWindowFlags(Qt.WindowType.Dialog | Qt.WindowType.CustomizeWindowHint | Qt.WindowType.WindowTitleHint)
        self.key = key
        text = QLabel(RECOVERY_HELP)
        text.setWordWrap(True)
        self.key_field = QLineEdit(key)
        self.key_field.setObjectName("recoveryKey")
        self.key_field.setReadOnly(True)
        self.key_field.setAccessibleName("Recovery key")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        mono.setPointSizeF(mono.pointSizeF() * 1.15)
        self.key_field.setFont(mono)
        self.key_field.setMinimumWidth(self.key_field.fontMetrics().horizontalAdvance(key) + 24)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy)
        row = QHBoxLayout()
        row.addWidget(self.key_field, 1)
        row.addWidget(self.copy_button)
        self.copied = QLabel("")
        self.copied.setObjectName("muted")
        self.saved = QCheckBox("I have saved my recovery key somewhere safe")
        self.done_button = QPushButton("Done")
        self.done_button.setObjectName("primary")
        self.done_button.setEnabled(False)
        self.saved.toggled.connect(self.done_button.setEnabled)
        self.done_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.done_button)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(row)
        layout.addWidget(self.copied)
        layout.addWidget(self.saved)
        layout.addLayout(buttons)
        self.copy_button.setFocus()

    def copy(self) -> None:
        """Put the key on the clipboard."""
        QGuiApplication.clipboard().setText(self.key)
        self.copied.setText("Copied. Paste it somewhere safe before you tick the box.")

    def reject(self) -> None:  # noqa: D401 - Qt's name
        """Esc does nothing until the student says the key is saved."""
        if self.saved.isChecked():
            super().reject()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.saved.isChecked():
            super().closeEvent(event)
        else:
            event.ignore()


def confirm(parent: QWidget, title: str, text: str, yes: str) -> bool:
    """Ask before something that cannot be undone; Cancel is the default. Tests replace this function."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Cancel, parent)
    box.setObjectName("syncConfirm")
    go = box.addButton(yes, QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is go


REMOVE_DEVICE = ("Stop syncing on this computer?\n\n"
                 "What stays: all your study data on this computer, on your other computers and, encrypted, on the "
                 "server. What changes: this computer forgets its sync key and stops sending and receiving changes. "
                 "Changes you make here from now on stay here.\n\nTo sync again later, set up sync with your "
                 "passphrase.")


def delete_text(server: str) -> str:
    """What "delete my synced data" deletes, named before it happens."""
    where = f" at {server}" if server else ""
    return ("Delete your synced study data from the server" + where + "?\n\n"
            "Deleted from the server: the encrypted copy of your notes, decks, cards and review history, sources, "
            "recordings and their transcripts, photos, practice tests, goals, deadlines, chats and study activity, "
            "and your wrapped sync key.\n\n"
            "Not deleted: anything on this computer or on your other computers. They stop syncing; set up sync "
            "again to start over with a new passphrase and recovery key.")
