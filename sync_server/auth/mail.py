"""Password-reset mail over SMTP (the standard library's smtplib), sent off the request so that neither its time
nor its failure tells whether the account exists."""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

from sync_server.settings import ServerSettings

log = logging.getLogger("sync_server.auth.mail")
TIMEOUT_S = 30


def reset_message(sender: str, to: str, token: str) -> EmailMessage:
    """The mail a student gets: the code to paste into the app, and what to do if they did not ask."""
    message = EmailMessage()
    message["From"], message["To"] = sender, to
    message["Subject"] = "Your Little Monster GPA password reset code"
    message.set_content(
        "Someone (hopefully you) asked to reset the password of this Little Monster GPA account.\n\n"
        f"Your reset code: {token}\n\n"
        "Paste it into the app under Account > Forgot password. It works once, for one hour.\n"
        "If you did not ask, ignore this mail: your password stays as it is.\n")
    return message


class SmtpResetSender:
    """A ResetSender that mails the token through the configured SMTP server (SMTP_* settings)."""

    def __init__(self, settings: ServerSettings):
        self.host, self.port, self.tls = settings.smtp_host, settings.smtp_port, settings.smtp_tls
        self.user, self.password, self.sender = settings.smtp_user, settings.smtp_password, settings.smtp_from
        # One thread: mails go out in order, never on the event loop nor in the request (its answer is already the
        # same whether or not a mail is sent). Python joins it at exit, so queued mails still leave.
        self._outbox = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reset-mail")

    def __call__(self, email: str, token: str) -> None:
        """Queue the mail and return at once."""
        self._outbox.submit(self._deliver, email, token)

    def _deliver(self, email: str, token: str) -> None:
        """Send one mail; a failure is logged (never the token) and the account's owner can ask again."""
        try:
            self.send_now(email, token)
        except (OSError, smtplib.SMTPException) as exc:  # network, TLS and SMTP errors alike
            log.error("could not send the password-reset mail to %s via %s:%s: %s: %s", email, self.host, self.port,
                      type(exc).__name__, exc)

    def send_now(self, email: str, token: str) -> None:
        """Connect (TLS as configured), sign in when a user is set, send; raises on failure."""
        with self.session(TIMEOUT_S) as client:
            client.send_message(reset_message(self.sender, email, token))
        log.info("password-reset mail sent to %s", email)

    @contextlib.contextmanager
    def session(self, timeout: float) -> Iterator[smtplib.SMTP]:
        """A connected client, TLS as configured and signed in when a user is set (also used by check-config)."""
        context = ssl.create_default_context()
        if self.tls == "ssl":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=timeout)
        with client:
            if self.tls == "starttls":
                client.starttls(context=context)
            if self.user:
                client.login(self.user, self.password)
            yield client

    def close(self) -> None:
        """Wait for queued mails (used at shutdown and by tests)."""
        self._outbox.shutdown(wait=True)
