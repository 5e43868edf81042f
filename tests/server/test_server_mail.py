"""Password-reset mail through a real SMTP server the test starts (aiosmtpd): plain, STARTTLS and implicit TLS, with a
login; the code never reaches the log once mail is set up, and a failed send looks like an unknown account."""

from __future__ import annotations

import email
import logging
import re
import ssl
import subprocess
import threading

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi.testclient import TestClient

from server_fixtures import PASSWORD, STRONG_SECRET, free_port
from sync_server.app import create_app
from sync_server.settings import ConfigError, ServerSettings

SENDER = "noreply@school.example"
NEW_PASSWORD = "seven purple owls read quietly"


class Inbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.arrived = threading.Event()

    refuse: bool = False  # answer every recipient with 550 (a mail server that will not take the mail)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.original_content))
        self.arrived.set()
        return "250 OK"


def _check_login(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"mailer" and auth_data.password == b"s3cret"
    return AuthResult(success=ok)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (openssl); trusted through SSL_CERT_FILE by the tests using it."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture
def smtp(request):
    """start(tls="none"|"starttls"|"ssl", context=None, login=False) -> (Inbox, port); stopped after the test."""
    controllers = []

    def start(tls="none", context=None, login=False):
        inbox, port = Inbox(), free_port()
        # Implicit TLS is encrypted from the start, though aiosmtpd only counts STARTTLS as such.
        options = {"authenticator": _check_login, "auth_require_tls": tls == "starttls"} if login else {}
        if tls == "starttls":
            options.update(tls_context=context, require_starttls=True)
        controller = Controller(inbox, hostname="127.0.0.1", port=port,
                                ssl_context=context if tls == "ssl" else None, **options)
        controller.start()
        controllers.append(controller)
        return inbox, port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def mail_server(tmp_path):
    """make(**settings) -> TestClient of a server whose reset sender comes from its SMTP settings."""
    clients = []

    def make(**overrides):
        settings = ServerSettings.from_env({"JWT_SECRET_KEY": STRONG_SECRET, "RATE_LIMIT_PER_MINUTE": "10000",
                                            "DATABASE_URL": f"sqlite:///{tmp_path / 'server.sqlite3'}"},
                                           smtp_from=SENDER, **overrides)
        client = TestClient(create_app(settings, background=False))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _register(client, address="ada@school.example"):
    r = client.post("/api/auth/register", json={"email": address, "password": PASSWORD, "display_name": "Ada"})
    assert r.status_code == 201, r.text


def _ask_reset(client, address):
    r = client.post("/api/auth/password/reset/request", json={"email": address})
    assert r.status_code == 202, r.text
    client.app.state.reset_sender.close()  # wait for the queued mail to leave
    return r.json()["data"]


def _code(message) -> str:
    return re.search(r"reset code: (\S+)", message.get_payload(decode=True).decode()).group(1)


def _server_records(caplog) -> list[logging.LogRecord]:
    """What the sync server logged (not the test's SMTP server, aiosmtpd's "mail.log", which shows the mail)."""
    return [r for r in caplog.records if not r.name.startswith("mail.")]


def _no_token_logged(caplog, token):
    records = _server_records(caplog)
    assert any(r.name.startswith("sync_server") for r in records), "the sender logs what it did"
    assert all(token not in record.getMessage() for record in records)


@pytest.mark.parametrize("tls", ["none", "starttls", "ssl"])
def test_the_reset_code_is_mailed_and_never_logged(tls, smtp, mail_server, certificate, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    context = None
    if tls != "none":
        cert, key = certificate
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the sender verifies the server against this CA
    inbox, port = smtp(tls, context, login=True)
    client = mail_server(smtp_host="127.0.0.1", smtp_port=port, smtp_tls=tls, smtp_user="mailer",
                         smtp_password="s3cret")
    _register(client)
    _ask_reset(client, "  Ada@School.example ")
    assert inbox.arrived.is_set() and len(inbox.messages) == 1
    message = inbox.messages[0]
    assert inbox.envelopes[0] == (SENDER, ["ada@school.example"])
    assert message["From"] == SENDER and message["To"] == "ada@school.example"
    token = _code(message)
    _no_token_logged(caplog, token)
    r = client.post("/api/auth/password/reset/confirm", json={"token": token, "new_password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    assert client.post("/api/auth/login", json={"email": "ada@school.example",
                                                "password": NEW_PASSWORD}).status_code == 200


def test_a_failed_send_answers_like_an_unknown_account(smtp, mail_server, caplog):
    caplog.set_level(logging.DEBUG)
    inbox, port = smtp("none")
    inbox.refuse = True
    client = mail_server(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none")
    _register(client)
    known, unknown = _ask_reset(client, "ada@school.example"), _ask_reset(client, "nobody@school.example")
    assert known == unknown and inbox.messages == []
    failures = [r for r in _server_records(caplog) if r.levelno >= logging.ERROR]
    assert len(failures) == 1 and "ada@school.example" in failures[0].getMessage()
    # The code was made and stored, but is nowhere in the log.
    assert not any(re.search(r"[A-Za-z0-9_-]{40,}", r.getMessage()) for r in _server_records(caplog))

    closed = mail_server(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_tls="none")  # nothing listens there
    assert _ask_reset(closed, "ada@school.example") == unknown


def test_mail_needs_a_from_address():
    with pytest.raises(ConfigError, match="SMTP_FROM"):
        ServerSettings.from_env({"JWT_SECRET_KEY": STRONG_SECRET, "SMTP_HOST": "mail.example"})
