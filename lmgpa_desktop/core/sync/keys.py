"""The sync key's life: set up on the first device, opened on the next ones, re-wrapped, recovered, kept locally."""

# On the server the key lives as {"passphrase": wrap_key(...), "recovery": wrap_with_recovery(...)} plus its
# key_check, under a version number: every write names the version it replaces, so two devices never overwrite
# each other's wrap unseen. Two first devices racing: the loser's put gets VERSION_CONFLICT and it adopts the
# winner's key (its own, never uploaded, is dropped before it sealed anything).

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from typing import Protocol

from lmgpa_desktop.core.sync import crypto
from lmgpa_desktop.core.sync.crypto import DEFAULT_KDF, KdfParams, SyncKeyError
from lmgpa_desktop.remote import credentials
from lmgpa_desktop.remote.api_client import ServerRejected

log = logging.getLogger(__name__)
__all__ = ["MIN_PASSPHRASE", "KeyApi", "SetupResult", "PassphraseTooShort", "NoServerKey", "KeyMismatch",
           "check_passphrase", "setup", "change_passphrase", "recover", "save_local_key", "load_local_key",
           "forget_local_key"]

MIN_PASSPHRASE = 10
_RETRIES = 5  # version conflicts in a row before giving up (each one means another device just wrote)


class KeyApi(Protocol):
    """The server's key endpoints (remote/sync_api.py over HTTP)."""

    def get_key(self) -> dict | None:
        """{"version", "wrapped", "key_check"}, or None when the account has no sync key yet."""

    def put_key(self, expected_version: int, wrapped: dict, key_check: str) -> int:
        """Store a wrap in place of version expected_version (0: none yet); the new version.
        Raises ServerRejected 409 VERSION_CONFLICT (someone else wrote first) or KEY_MISMATCH (another key)."""


@dataclass(frozen=True)
class SetupResult:
    key: bytes
    recovery_key: str | None  # only when this device made the key: shown once, never stored
    created: bool


class PassphraseTooShort(SyncKeyError):
    """A new sync passphrase shorter than MIN_PASSPHRASE."""


class NoServerKey(SyncKeyError):
    """The account has no sync key on the server (never set up, or its synced data was deleted)."""


class KeyMismatch(SyncKeyError):
    """The server holds a different sync key than this device."""


def check_passphrase(passphrase: str) -> None:
    """PassphraseTooShort unless the passphrase has at least MIN_PASSPHRASE characters (ends not counted)."""
    length = len((passphrase or "").strip())
    if length < MIN_PASSPHRASE:
        raise PassphraseTooShort(f"A sync passphrase needs at least {MIN_PASSPHRASE} characters (this one has "
                                 f"{length}). A few unrelated words are easy to remember and hard to guess.")


def passphrase_score(passphrase: str) -> int:
    """zxcvbn's guess-resistance score, 0 (guessed at once) .. 4 (very hard): the strength hint as the student types."""
    from zxcvbn import zxcvbn  # late: its word lists load only when a passphrase is typed

    return int(zxcvbn(passphrase[:100])["score"])  # zxcvbn slows down sharply on very long input


@dataclass(frozen=True)
class _Stored:
    version: int
    passphrase_wrap: dict
    recovery_wrap: dict
    check: str


def _stored(api: KeyApi) -> _Stored | None:
    """The server's key material, checked for shape; BadKeyMaterial when it does not parse."""
    got = api.get_key()
    if got is None:
        return None
    if not isinstance(got, dict):
        raise crypto.bad_material("the reply is not an object")
    version, wrapped, check = got.get("version"), got.get("wrapped"), got.get("key_check")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise crypto.bad_material(f"its version {version!r} is not a positive number")
    if not isinstance(wrapped, dict) or not isinstance(wrapped.get("passphrase"), dict) \
            or not isinstance(wrapped.get("recovery"), dict):
        raise crypto.bad_material("it lacks the passphrase or the recovery wrap")
    if not isinstance(check, str) or not check:
        raise crypto.bad_material("its key check is missing")
    return _Stored(version, wrapped["passphrase"], wrapped["recovery"], check)


def _verified(key: bytes, stored: _Stored) -> bytes:
    # The wrap opened, so it was made with this passphrase; the check guards against a wrap of another key
    # having been stored beside this key's check (a server bug or a half-finished replace).
    if crypto.key_check(key) != stored.check:
        raise crypto.bad_material("the key inside does not match its key check")
    return key


def _conflict(exc: ServerRejected) -> bool:
    return exc.status == 409 and exc.code in ("VERSION_CONFLICT", "KEY_MISMATCH")


def setup(api: KeyApi, passphrase: str, kdf: KdfParams = DEFAULT_KDF) -> SetupResult:
    """Open the account's sync key with the passphrase, or make it when the account has none."""
    check_passphrase(passphrase)
    for _ in range(_RETRIES):
        stored = _stored(api)
        if stored is not None:
            return SetupResult(_verified(crypto.unwrap_key(stored.passphrase_wrap, passphrase), stored), None, False)
        key, recovery = crypto.new_sync_key(), crypto.new_recovery_key()
        wrapped = {"passphrase": crypto.wrap_key(key, passphrase, kdf),
                   "recovery": crypto.wrap_with_recovery(key, recovery)}
        try:
            api.put_key(0, wrapped, crypto.key_check(key))
        except ServerRejected as exc:
            if not _conflict(exc):
                raise
            log.info("another device set up sync first; opening its key")
            stored = _stored(api)
            if stored is None:
                continue  # it was deleted again in between: start over
            try:
                key = crypto.unwrap_key(stored.passphrase_wrap, passphrase)
            except crypto.WrongPassphrase:
                raise crypto.WrongPassphrase(
                    "Another of your devices set up sync at the same moment with a different passphrase: type "
                    "that passphrase here.") from None
            return SetupResult(_verified(key, stored), None, False)
        return SetupResult(key, recovery, True)
    raise SyncKeyError("The sync key kept changing on the server while setting up; try again in a moment.")


def _rewrap(api: KeyApi, key: bytes, new_passphrase: str, kdf: KdfParams, stored: _Stored) -> None:
    """Replace the passphrase wrap, keeping the recovery wrap; retried when another device wrote in between."""
    for _ in range(_RETRIES):
        if stored is None:
            raise NoServerKey("There is no sync key on the server any more (your synced data was deleted): set "
                              "up sync again.")
        if stored.check != crypto.key_check(key):
            raise KeyMismatch("The server holds a different sync key (sync was set up again from another "
                              "device): forget this device's sync and set it up with the new passphrase.")
        wrapped = {"passphrase": crypto.wrap_key(key, new_passphrase, kdf), "recovery": stored.recovery_wrap}
        try:
            api.put_key(stored.version, wrapped, stored.check)
            return
        except ServerRejected as exc:
            if not _conflict(exc):
                raise
            stored = _stored(api)  # last writer wins: the passphrase asked for now is the newest wish
    raise SyncKeyError("The sync key kept changing on the server; try again in a moment.")


def change_passphrase(api: KeyApi, key: bytes, new_passphrase: str, kdf: KdfParams = DEFAULT_KDF) -> None:
    """Re-wrap the sync key under a new passphrase; the recovery key keeps working, synced data is untouched."""
    check_passphrase(new_passphrase)
    _rewrap(api, key, new_passphrase, kdf, _stored(api))


def recover(api: KeyApi, recovery_key: str, new_passphrase: str, kdf: KdfParams = DEFAULT_KDF) -> bytes:
    """Open the sync key with the recovery key and wrap it under a new passphrase; the key."""
    crypto.normalize_recovery_key(recovery_key)  # a typo is reported before anything else
    check_passphrase(new_passphrase)
    stored = _stored(api)
    if stored is None:
        raise NoServerKey("There is no sync key on the server to recover: set up sync instead.")
    key = _verified(crypto.unwrap_with_recovery(stored.recovery_wrap, recovery_key), stored)
    _rewrap(api, key, new_passphrase, kdf, stored)
    return key


# --- this device's copy --------------------------------------------------------------------------------------

def _entry(email: str, device: str) -> str:
    # The device id is in the name so two profiles on one computer (each its own device) never share an entry.
    return f"sync-key/{device}/{email}"


def save_local_key(server_url: str, email: str, device: str, key: bytes) -> str:
    """Keep the sync key on this device: "keyring", or "memory" (this session only) without a usable keyring."""
    crypto.check_key(key)
    return credentials.store().save(server_url, _entry(email, device), base64.b64encode(bytes(key)).decode())


def load_local_key(server_url: str, email: str, device: str) -> bytes | None:
    """This device's saved sync key, or None (never saved, forgotten, or unreadable: ask the passphrase)."""
    text = credentials.store().load(server_url, _entry(email, device))
    if not text:
        return None
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != crypto.KEY_BYTES:
        log.warning("the saved sync key is unreadable; the passphrase will be asked again")
        return None
    return key


def forget_local_key(server_url: str, email: str, device: str) -> None:
    """Remove this device's copy of the sync key (keyring and memory)."""
    credentials.store().delete(server_url, _entry(email, device))

