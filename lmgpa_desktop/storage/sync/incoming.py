"""A received (decrypted) change, as apply and the conflict rules read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Incoming:
    """One received (decrypted) message."""

    msg_id: str
    hlc: str
    device: str
    table: str
    row: str
    op: str
    fields: dict
    bases: dict
