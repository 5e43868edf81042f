"""The Sync section's fields: a masked field, a passphrase typed twice with a strength hint."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLineEdit, QWidget

from lmgpa_desktop.ui.kit.text_label import label
from lmgpa_desktop.ui.sync.words import MIN_PASSPHRASE, passphrase_hint


def password_field(name: str, hint: str = "") -> QLineEdit:
    """A masked line edit."""
    widget = QLineEdit()
    widget.setEchoMode(QLineEdit.EchoMode.Password)
    widget.setObjectName(name)
    widget.setPlaceholderText(hint)
    return widget


def server_of(state) -> str:
    """The signed-in server's address from the online state (a dataclass or a dict)."""
    value = state.get("server_url") if isinstance(state, dict) else getattr(state, "server_url", None)
    return value or ""


class PassphrasePair(QWidget):
    """A passphrase typed twice, with a strength hint as it is typed."""

    def __init__(self, name: str, first: str = "Sync passphrase", parent=None):
        super().__init__(parent)
        self.first = password_field(f"{name}Passphrase", f"at least {MIN_PASSPHRASE} characters; several words")
        self.second = password_field(f"{name}Repeat")
        self.hint = label("", f"{name}Hint")
        self.first.textChanged.connect(self._hint)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(first, self.first)
        form.addRow("Type it again", self.second)
        form.addRow("", self.hint)

    def _hint(self, text: str) -> None:
        self.hint.setText(passphrase_hint(text)[0] if text else "")

    def value(self) -> tuple[str | None, str]:
        """(the passphrase, "") when both agree and it is long enough, else (None, what is wrong)."""
        text = self.first.text()
        if len(text.strip()) < MIN_PASSPHRASE:  # as core counts: spaces at the ends do not count
            return None, f"The passphrase needs at least {MIN_PASSPHRASE} characters."
        if text != self.second.text():
            return None, "The two passphrases differ: type the same one twice."
        return text, ""

    def clear(self) -> None:
        self.first.clear()
        self.second.clear()
