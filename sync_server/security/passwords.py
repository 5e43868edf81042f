"""Argon2id password hashes and the password policy (length, common passwords)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256  # long passphrases are welcome; the cap only stops hashing megabytes

# argon2id has no 72-byte limit (bcrypt's), so nothing is silently truncated.
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("a password nobody has, hashed once so misses cost the same")


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    """The 30,000 most common passwords from zxcvbn's frequency lists."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def policy_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why this password is not allowed, or None."""
    if len(password) < MIN_LENGTH:
        return f"use at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"use at most {MAX_LENGTH} characters"
    lowered = password.lower()
    if lowered in _common() or len(set(lowered)) < 4:
        return "this password is too common; choose a longer phrase of unrelated words"
    local = email.split("@")[0].lower()
    if (local and len(local) >= 4 and lowered == local) or (name and lowered == name.lower()):
        return "do not use your email or name as the password"
    return None


def hash_password(password: str) -> str:
    """An argon2id hash of the whole password."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when it matches; a missing account still costs one full verification (no timing oracle)."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash parameters are older than the current ones."""
    return _hasher.check_needs_rehash(stored_hash)
