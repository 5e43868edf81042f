"""The password hash cost the server uses outside the tests (the tests swap in a cheap one: tests/fast_passwords.py)."""

from __future__ import annotations

from argon2 import Type, extract_parameters

from fast_passwords import PRODUCTION_HASHER
from sync_server.security import passwords


def test_the_server_hashes_passwords_with_argon2id_at_the_full_cost():
    stored = PRODUCTION_HASHER.hash("lecture hall 42 purple kettle")
    params = extract_parameters(stored)
    assert params.type is Type.ID and params.time_cost >= 3 and params.memory_cost >= 64 * 1024
    assert PRODUCTION_HASHER.verify(stored, "lecture hall 42 purple kettle")
    # A hash made at the test cost would be upgraded at the next sign-in of a real server.
    assert PRODUCTION_HASHER.check_needs_rehash(passwords.hash_password("lecture hall 42 purple kettle"))
