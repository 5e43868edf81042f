"""End-to-end encryption of personal sync: key wrapping, sealed messages and blob chunks, keyed blob ids."""

# One random 32-byte sync key per account, made on the first device. The server only ever holds it wrapped
# (AES-256-GCM) under a key derived from the sync passphrase with Argon2id, and again under the recovery key.
# Every use of the sync key goes through its own HKDF subkey (messages, blob chunks, blob ids, the key check),
# so no two purposes share key material and the key check reveals nothing about the others.
# Sealed payloads carry a version byte so a later format can be told apart from tampering.

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lmgpa_desktop.core.errors import UserError

__all__ = [
    "DEFAULT_KDF", "KEY_BYTES", "OVERHEAD", "KdfParams", "SyncKeyError", "WrongPassphrase", "WrongRecoveryKey",
    "BadRecoveryKey", "BadKeyMaterial", "Tampered", "bad_material", "check_key", "new_sync_key",
    "new_recovery_key", "normalize_recovery_key", "wrap_key", "unwrap_key", "wrap_with_recovery",
    "unwrap_with_recovery", "key_check", "seal_message", "open_message", "blob_id", "seal_chunk", "open_chunk",
]

KEY_BYTES = 32
_NONCE = 12
_TAG = 16
_SALT = 16
_FORMAT = 1  # version byte in front of every sealed message and chunk
OVERHEAD = 1 + _NONCE + _TAG  # bytes a sealed message or chunk adds to its plaintext


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: t passes over m KiB of memory in p lanes."""

    t: int
    m: int
    p: int


# Argon2id t=3, m=64 MiB, p=1: the time and memory of RFC 9106 section 4's "second recommended option" (64 MiB,
# t=3), above OWASP's Password Storage Cheat Sheet minimum (Argon2id, 19 MiB, t=2, p=1). One lane because the
# wrap runs once per device set-up on a student's laptop; about a quarter of a second there.
DEFAULT_KDF = KdfParams(t=3, m=64 * 1024, p=1)
# What a wrapped key from the server may ask for: a hostile or broken server must not make us allocate gigabytes.
_KDF_LIMITS = KdfParams(t=20, m=1024 * 1024, p=16)


class SyncKeyError(UserError):
    """The sync key cannot be set up, opened or used; the message says what to do."""


class WrongPassphrase(SyncKeyError):
    """The passphrase does not open the sync key."""

    def __init__(self, message: str = "That is not your sync passphrase. Type it again, or use your recovery key "
                                      "if you have forgotten it."):
        super().__init__(message)


class WrongRecoveryKey(SyncKeyError):
    """A well-formed recovery key that does not open this account's sync key."""

    def __init__(self, message: str = "That recovery key does not open your sync key: it belongs to another "
                                      "account or to sync data that was deleted and set up again."):
        super().__init__(message)


class BadRecoveryKey(SyncKeyError):
    """The recovery key is mistyped: wrong length, a character recovery keys never use, or a failed checksum."""


class BadKeyMaterial(SyncKeyError):
    """The wrapped key from the server does not parse (damaged, or written by a newer app)."""


class Tampered(SyncKeyError):
    """A sealed message or chunk does not open: changed, moved to other metadata, or sealed with another key."""


# --- subkeys -------------------------------------------------------------------------------------------------

def check_key(key: bytes) -> None:
    """ValueError unless key is 32 bytes."""
    if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_BYTES:
        raise ValueError(f"a sync key is {KEY_BYTES} bytes")


# Cached because a first sync seals or opens ~100,000 messages with the same key; the cache is small and holds
# only what the process holds anyway while sync runs.
@lru_cache(maxsize=16)
def _subkey(key: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                info=b"lmgpa-sync/v1/" + purpose.encode()).derive(key)


@lru_cache(maxsize=16)
def _aead(key: bytes, purpose: str) -> AESGCM:
    return AESGCM(_subkey(key, purpose))


def _aad(label: str, *parts: str | int) -> bytes:
    """Associated data: a label then each part length-prefixed, so no two part lists give the same bytes."""
    out = [label.encode(), struct.pack(">B", _FORMAT)]
    for part in parts:
        raw = struct.pack(">Q", part) if isinstance(part, int) else str(part).encode()
        out.append(struct.pack(">I", len(raw)) + raw)
    return b"".join(out)


def _seal(aead: AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    # Random 96-bit nonces: safe for far more than the 2^32 seals NIST allows per key; a student makes ~10^6.
    nonce = secrets.token_bytes(_NONCE)
    return bytes([_FORMAT]) + nonce + aead.encrypt(nonce, bytes(plaintext), aad)


def _open(aead: AESGCM, sealed: bytes, aad: bytes, what: str) -> bytes:
    if len(sealed) < OVERHEAD:
        raise Tampered(f"A synced {what} is cut short; it will be fetched again.")
    if sealed[0] != _FORMAT:
        raise Tampered(f"A synced {what} was sealed by a newer version of the app: update the app on this device.")
    try:
        return aead.decrypt(bytes(sealed[1:1 + _NONCE]), bytes(sealed[1 + _NONCE:]), aad)
    except InvalidTag:
        raise Tampered(f"A synced {what} does not open with your sync key: it was changed on the way, or it was "
                       "sealed with another sync key.") from None


# --- the sync key and its check ------------------------------------------------------------------------------

def new_sync_key() -> bytes:
    """A fresh random 32-byte sync key."""
    return secrets.token_bytes(KEY_BYTES)


def key_check(key: bytes) -> str:
    """Hex HMAC of a fixed label under the key-check subkey: equal for the same key, useless for finding it."""
    check_key(key)
    return hmac.new(_subkey(bytes(key), "key-check"), b"lmgpa sync key check", hashlib.sha256).hexdigest()


# --- messages and blobs --------------------------------------------------------------------------------------

def seal_message(key: bytes, plaintext: bytes, msg_id: str, hlc: str, device: str) -> bytes:
    """AES-256-GCM of a message payload, bound to its id, HLC and device."""
    check_key(key)
    return _seal(_aead(bytes(key), "message"), plaintext, _aad("lmgpa-msg", msg_id, hlc, device))


def open_message(key: bytes, sealed: bytes, msg_id: str, hlc: str, device: str) -> bytes:
    """The payload of a sealed message; Tampered if it was changed or moved to other metadata."""
    check_key(key)
    return _open(_aead(bytes(key), "message"), sealed, _aad("lmgpa-msg", msg_id, hlc, device), "change")


def blob_id(key: bytes, sha256_hex: str) -> str:
    """64 hex: the keyed id of a file, so the server cannot test whether a student holds a known file."""
    check_key(key)
    try:
        digest = bytes.fromhex(sha256_hex)
    except ValueError:
        digest = b""
    if len(digest) != 32:
        raise ValueError("blob_id needs a SHA-256 in hex")
    return hmac.new(_subkey(bytes(key), "blob-id"), digest, hashlib.sha256).hexdigest()


def seal_chunk(key: bytes, blob: str, index: int, data: bytes) -> bytes:
    """One encrypted chunk of a file, bound to its blob id and position."""
    check_key(key)
    return _seal(_aead(bytes(key), "blob"), data, _aad("lmgpa-chunk", blob, int(index)))


def open_chunk(key: bytes, blob: str, index: int, sealed: bytes) -> bytes:
    """The plaintext of a chunk; Tampered if it was changed, swapped with another chunk or another file's."""
    check_key(key)
    return _open(_aead(bytes(key), "blob"), sealed, _aad("lmgpa-chunk", blob, int(index)), "file part")


# --- wrapping with the passphrase ----------------------------------------------------------------------------

def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(wrapped: dict, field: str, size: int | None = None) -> bytes:
    try:
        raw = base64.b64decode(wrapped[field], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise bad_material(f"its {field} is missing or not base64") from None
    if size is not None and len(raw) != size:
        raise bad_material(f"its {field} has {len(raw)} bytes, not {size}")
    return raw


def bad_material(why: str) -> BadKeyMaterial:
    """The plain error for key material from the server that does not parse, saying why."""
    return BadKeyMaterial(f"The sync key stored on the server cannot be read ({why}). It may be damaged, or it was "
                          "written by a newer version of the app: update the app, or use your recovery key.")


def _normalize_passphrase(passphrase: str) -> bytes:
    # NFKC so the same passphrase typed on two systems (composed vs decomposed accents) gives the same key;
    # surrounding whitespace dropped because a pasted or piped passphrase often carries a newline.
    return unicodedata.normalize("NFKC", passphrase).strip().encode("utf-8")


def _kek(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    return hash_secret_raw(_normalize_passphrase(passphrase), salt, time_cost=params.t, memory_cost=params.m,
                           parallelism=params.p, hash_len=KEY_BYTES, type=Type.ID)


def wrap_key(key: bytes, passphrase: str, params: KdfParams = DEFAULT_KDF) -> dict:
    """The sync key encrypted under an Argon2id key from the passphrase: JSON-ready text fields."""
    check_key(key)
    salt, nonce = secrets.token_bytes(_SALT), secrets.token_bytes(_NONCE)
    ct = AESGCM(_kek(passphrase, salt, params)).encrypt(nonce, bytes(key), b"lmgpa-sync-key/passphrase/v1")
    return {"kdf": "argon2id", "v": 1, "salt": _b64(salt), "t": params.t, "m": params.m, "p": params.p,
            "nonce": _b64(nonce), "ct": _b64(ct)}


def _params(wrapped: dict) -> KdfParams:
    values = {}
    for name in ("t", "m", "p"):
        value = wrapped.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= getattr(_KDF_LIMITS, name):
            raise bad_material(f"its Argon2 parameter {name}={value!r} is out of range")
        values[name] = value
    if values["m"] < 8 * values["p"]:  # Argon2's own floor: 8 KiB per lane
        raise bad_material(f"its Argon2 memory {values['m']} KiB is below 8 KiB per lane")
    return KdfParams(**values)


def _check_format(wrapped: object, kdf: str) -> dict:
    if not isinstance(wrapped, dict):
        raise bad_material("it is not an object")
    if wrapped.get("kdf") != kdf or wrapped.get("v") != 1:
        raise bad_material(f"format {wrapped.get('kdf')!r} v{wrapped.get('v')!r}, expected {kdf} v1")
    return wrapped


def unwrap_key(wrapped: dict, passphrase: str) -> bytes:
    """The sync key from its passphrase wrap; WrongPassphrase if the passphrase does not open it."""
    wrapped = _check_format(wrapped, "argon2id")
    params = _params(wrapped)
    salt, nonce = _unb64(wrapped, "salt", _SALT), _unb64(wrapped, "nonce", _NONCE)
    ct = _unb64(wrapped, "ct", KEY_BYTES + _TAG)
    try:
        return AESGCM(_kek(passphrase, salt, params)).decrypt(nonce, ct, b"lmgpa-sync-key/passphrase/v1")
    except InvalidTag:
        raise WrongPassphrase() from None


# --- the recovery key ----------------------------------------------------------------------------------------

# Crockford's base32: digits and capitals without I, L, O, U (no 1/I/L, 0/O mix-ups, no accidental words).
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {c: i for i, c in enumerate(_ALPHABET)} | {"O": 0, "I": 1, "L": 1}  # read look-alikes as meant
_DATA = 30  # 150 random bits
_CHECK = 2  # 10 check bits
_GROUP = 4
_MOD = 1021  # prime: with weights 1..30 every single substitution and every swap of two characters is caught


def _checksum(values: list[int]) -> list[int]:
    total = sum((i + 1) * v for i, v in enumerate(values)) % _MOD
    return [total // 32, total % 32]


def _format(values: list[int]) -> str:
    text = "".join(_ALPHABET[v] for v in values)
    return "-".join(text[i:i + _GROUP] for i in range(0, len(text), _GROUP))


def new_recovery_key() -> str:
    """A recovery key to write down: 8 groups of 4 characters, 150 random bits and a checksum."""
    values = [secrets.randbelow(32) for _ in range(_DATA)]
    return _format(values + _checksum(values))


def normalize_recovery_key(text: str) -> str:
    """The canonical form of a typed recovery key; BadRecoveryKey with what is wrong when it is mistyped."""
    chars = [c for c in str(text).upper() if not c.isspace() and c != "-"]
    total = _DATA + _CHECK
    if len(chars) != total:
        raise BadRecoveryKey(f"A recovery key has {total} letters and digits ({total // _GROUP} groups of "
                             f"{_GROUP}); this one has {len(chars)}.")
    wrong = sorted({c for c in chars if c not in _VALUE})
    if wrong:
        raise BadRecoveryKey(f"Recovery keys never contain {', '.join(repr(c) for c in wrong)}: check what you "
                             "wrote down.")
    values = [_VALUE[c] for c in chars]
    if _checksum(values[:_DATA]) != values[_DATA:]:
        raise BadRecoveryKey("That recovery key has a typo (its check characters do not match): compare each "
                             "group with the one you saved.")
    return _format(values)


def _recovery_kek(recovery: str, salt: bytes) -> bytes:
    # No slow KDF needed: the recovery key holds 150 random bits, far beyond guessing.
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt,
                info=b"lmgpa-sync/v1/recovery-wrap").derive(normalize_recovery_key(recovery).encode("ascii"))


def wrap_with_recovery(key: bytes, recovery: str) -> dict:
    """The sync key encrypted under the recovery key."""
    check_key(key)
    salt, nonce = secrets.token_bytes(_SALT), secrets.token_bytes(_NONCE)
    ct = AESGCM(_recovery_kek(recovery, salt)).encrypt(nonce, bytes(key), b"lmgpa-sync-key/recovery/v1")
    return {"kdf": "hkdf-sha256", "v": 1, "salt": _b64(salt), "nonce": _b64(nonce), "ct": _b64(ct)}


def unwrap_with_recovery(wrapped: dict, recovery: str) -> bytes:
    """The sync key from its recovery wrap; BadRecoveryKey if mistyped, WrongRecoveryKey if not this account's."""
    canonical = normalize_recovery_key(recovery)  # a typo is reported before anything from the server is read
    wrapped = _check_format(wrapped, "hkdf-sha256")
    salt, nonce = _unb64(wrapped, "salt", _SALT), _unb64(wrapped, "nonce", _NONCE)
    ct = _unb64(wrapped, "ct", KEY_BYTES + _TAG)
    try:
        return AESGCM(_recovery_kek(canonical, salt)).decrypt(nonce, ct, b"lmgpa-sync-key/recovery/v1")
    except InvalidTag:
        raise WrongRecoveryKey() from None
