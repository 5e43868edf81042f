"""The Account page's password boxes: change the password (signed in) and reset a forgotten one (signed out)."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLineEdit, QPushButton, QVBoxLayout

from lmgpa_desktop.ui.online.online_status import label

RESET_HELP = ("Ask the server for a reset code, then set a new password with it. The code does not come from this "
              "app: the server's operator passes it on to you (the default server writes it to its log). It works "
              "once, for one hour. The server answers the same whether or not it has an account with this email.")
RESET_ASKED = ("If the server has an account with this email, it has issued a reset code: ask the server's "
               "operator for it, then enter it below with your new password.")
RESET_DONE = "Your password was reset and every device was signed out: sign in with the new password."
CHANGED = "Password changed. Your other devices are signed out; this computer stays signed in."


def password_field(name: str, hint: str = "") -> QLineEdit:
    """A masked line edit."""
    widget = QLineEdit()
    widget.setEchoMode(QLineEdit.EchoMode.Password)
    widget.setObjectName(name)
    if hint:
        widget.setPlaceholderText(hint)
    return widget


def _new_password(page, new: QLineEdit, repeat: QLineEdit) -> str | None:
    """The new password when both fields agree; otherwise say why in the page."""
    if not new.text():
        page.say("Type the new password.")
        return None
    if new.text() != repeat.text():
        page.say("The new password and its repetition differ.")
        return None
    return new.text()


class ChangePasswordBox(QGroupBox):
    """Signed in: change the password (the server signs the other devices out)."""

    def __init__(self, page, parent=None):
        super().__init__("Change password", parent)
        self.page = page
        self.current = password_field("currentPassword")
        self.new = password_field("newPassword", "at least 12 characters; a phrase of unrelated words is good")
        self.repeat = password_field("repeatPassword")
        self.button = QPushButton("Change password")
        self.button.setObjectName("changePassword")
        self.button.clicked.connect(self.change)
        form = QFormLayout(self)
        form.addRow("Current password", self.current)
        form.addRow("New password", self.new)
        form.addRow("New password again", self.repeat)
        form.addRow(self.button)
        form.addRow(label("Your other devices are signed out; this computer stays signed in.", "muted"))

    def change(self) -> None:
        """Change the password in the background."""
        if not self.current.text():
            self.page.say("Type your current password.")
            return
        new = _new_password(self.page, self.new, self.repeat)
        if new is None:
            return
        service, old = self.page.service, self.current.text()
        self.page.run("Changing your password…", lambda: service.change_password(old, new), CHANGED, self._clear)

    def _clear(self) -> None:
        for widget in (self.current, self.new, self.repeat):
            widget.clear()

    def set_busy(self, busy: bool) -> None:
        """Disable the button while the page waits for the server."""
        self.button.setEnabled(not busy)


class ForgotPasswordBox(QGroupBox):
    """Signed out: ask the server for a reset code, then set a new password with it."""

    def __init__(self, page, parent=None):
        super().__init__("Reset a forgotten password", parent)
        self.page = page
        self.email = QLineEdit()
        self.email.setObjectName("resetEmail")
        self.email.setPlaceholderText("you@school.example")
        self.ask_button = QPushButton("Ask for a reset code")
        self.ask_button.setObjectName("askReset")
        self.ask_button.clicked.connect(self.ask)
        self.code = QLineEdit()
        self.code.setObjectName("resetCode")
        self.code.setPlaceholderText("the code the server's operator gave you")
        self.new = password_field("resetNewPassword", "at least 12 characters; a phrase of unrelated words is good")
        self.repeat = password_field("resetRepeatPassword")
        self.reset_button = QPushButton("Set new password")
        self.reset_button.setObjectName("confirmReset")
        self.reset_button.clicked.connect(self.reset)
        form = QFormLayout()
        form.addRow("1. Email", self.email)
        form.addRow(self.ask_button)
        form.addRow("2. Reset code", self.code)
        form.addRow("New password", self.new)
        form.addRow("New password again", self.repeat)
        form.addRow(self.reset_button)
        layout = QVBoxLayout(self)
        layout.addWidget(label(RESET_HELP, "resetHelp"))
        layout.addLayout(form)

    def open(self, email: str) -> None:
        """Show the box, with the email of the sign-in form when this one is still empty."""
        if not self.email.text().strip():
            self.email.setText(email)
        self.setVisible(True)
        (self.code if self.email.text().strip() else self.email).setFocus()

    def ask(self) -> None:
        """Ask the server for a reset code in the background."""
        server, email = self.page.server.text().strip(), self.email.text().strip()
        if not server or not email:
            self.page.say("Enter the server address and the email of your account.")
            return
        service = self.page.service
        self.page.run(f"Asking {server} for a reset code…", lambda: service.request_password_reset(server, email),
                      RESET_ASKED, self.code.setFocus)

    def reset(self) -> None:
        """Set the new password with the code in the background."""
        server, code = self.page.server.text().strip(), self.code.text().strip()
        if not server or not code:
            self.page.say("Enter the server address and the reset code.")
            return
        new = _new_password(self.page, self.new, self.repeat)
        if new is None:
            return
        service = self.page.service
        self.page.run("Setting your new password…", lambda: service.reset_password(server, code, new), RESET_DONE,
                      self._done)

    def _done(self) -> None:
        """Back to signing in: the reset email in the sign-in form, the box closed."""
        if self.email.text().strip():
            self.page.email.setText(self.email.text().strip())
        for widget in (self.code, self.new, self.repeat):
            widget.clear()
        self.setVisible(False)
        self.page.password.setFocus()

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons while the page waits for the server."""
        self.ask_button.setEnabled(not busy)
        self.reset_button.setEnabled(not busy)
