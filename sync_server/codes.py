"""Join and invite codes: short, typed by hand, read aloud; unique per table."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from sync_server.errors import ApiError

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud and typed by hand
LENGTH = 8
ATTEMPTS = 20  # 31^8 codes: a collision is rare, twenty in a row is impossible in practice


def random_code() -> str:
    """Eight characters from the unambiguous alphabet."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normal(code: str) -> str:
    """Upper case without spaces, tabs or dashes, so 'abcd-efgh' finds ABCDEFGH."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def unique(db: Session, column: InstrumentedAttribute, what: str, draw: Callable[[], str] = random_code) -> str:
    """A code no row has in this column yet; draws again on a collision."""
    for _ in range(ATTEMPTS):
        code = draw()
        if db.scalar(select(column).where(column == code).limit(1)) is None:
            return code
    raise ApiError(503, f"could not find a free {what}; try again", "UNAVAILABLE")
