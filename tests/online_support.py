"""The online tests' shared pieces (desktop core and CLI): a live sync server, an in-memory keyring, fresh emails."""

from __future__ import annotations

import time

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError
from server_fixtures import LiveServer


class DictKeyring(KeyringBackend):
    """A keyring that keeps secrets in a dict (a stand-in for the system keyring of a desktop session)."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def delete_password(self, service, username):
        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError("not stored")


@pytest.fixture
def live_server(tmp_path):
    """A fresh sync server on SQLite, served over real HTTP."""
    srv = LiveServer(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def dict_keyring():
    """A working in-memory keyring for the duration of the test."""
    before = keyring.get_keyring()
    ring = DictKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


_n = iter(range(1, 10_000))


def email(role: str) -> str:
    """An address no earlier test of this run (nor an earlier run against the same server) has used."""
    return f"{role}{next(_n)}.{time.time_ns()}@school.example"
