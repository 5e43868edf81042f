"""Where the refresh token lives: the system keyring, or (with no usable keyring) only this process's memory."""

# Never a plaintext file: a refresh token on disk is a password on disk. A headless computer without a
# keyring keeps the token for this session only, and the UI says so (the student signs in again next time).

from __future__ import annotations

import logging
import threading

import keyring
from keyring.backends import chainer, fail
from keyring.errors import KeyringError

log = logging.getLogger(__name__)
__all__ = ["SERVICE", "CredentialStore", "store"]

SERVICE = "lmgpa"
_memory: dict[str, str] = {}  # process-wide, so every profile opened in this process sees the session's token
_memory_lock = threading.Lock()


def _username(server_url: str, email: str) -> str:
    return f"{server_url}|{email.strip().lower()}"


def keyring_usable() -> bool:
    """Whether the active keyring backend can really store secrets."""
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken keyring configuration is the same as none
        return False
    if isinstance(backend, fail.Keyring):
        return False
    return not (isinstance(backend, chainer.ChainerBackend) and not backend.backends)


def backend_name() -> str:
    """The active keyring backend as "module.Class" (for the self-test), or why there is none."""
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - a broken keyring configuration: say what broke
        return f"none ({type(exc).__name__}: {exc})"
    names = [type(b) for b in getattr(backend, "backends", [])] or [type(backend)]
    return ", ".join(f"{kind.__module__}.{kind.__name__}" for kind in names)


class CredentialStore:
    """Saves, loads and forgets refresh tokens; `kind` says where the last one went."""

    def __init__(self):
        self.kind = "keyring" if keyring_usable() else "memory"

    def save(self, server_url: str, email: str, token: str) -> str:
        """Keep a refresh token; returns "keyring" or "memory"."""
        name = _username(server_url, email)
        if keyring_usable():
            try:
                keyring.set_password(SERVICE, name, token)
                with _memory_lock:
                    _memory.pop(name, None)
                self.kind = "keyring"
                return self.kind
            except (KeyringError, RuntimeError, OSError) as exc:
                log.warning("the system keyring refused the token (%s); keeping it in memory", exc)
        with _memory_lock:
            _memory[name] = token
        self.kind = "memory"
        return self.kind

    def load(self, server_url: str, email: str) -> str | None:
        """The saved refresh token, if any (memory first: it is the newest when the keyring failed)."""
        name = _username(server_url, email)
        with _memory_lock:
            if name in _memory:
                self.kind = "memory"
                return _memory[name]
        if not keyring_usable():
            return None
        try:
            token = keyring.get_password(SERVICE, name)
        except (KeyringError, RuntimeError, OSError) as exc:
            log.warning("cannot read the system keyring: %s", exc)
            return None
        if token:
            self.kind = "keyring"
        return token

    def delete(self, server_url: str, email: str) -> None:
        """Forget the token everywhere."""
        name = _username(server_url, email)
        with _memory_lock:
            _memory.pop(name, None)
        if keyring_usable():
            try:
                keyring.delete_password(SERVICE, name)
            except (KeyringError, RuntimeError, OSError):
                pass  # nothing stored, or the keyring went away: nothing left to forget


def store() -> CredentialStore:
    """A credential store for the current keyring configuration."""
    return CredentialStore()
