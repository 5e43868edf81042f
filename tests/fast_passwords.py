"""The sync server hashes passwords at a cheap argon2id cost inside the tests (as Django's tests swap in a fast
hasher): every registration and sign-in of the server, core, GUI and sync tests pays one hash, 0.1-0.2 s each at the
real cost on 2 cores. Nothing under test depends on the cost; tests/server/test_server_password_cost.py checks the
real one the server uses outside the tests."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from sync_server.security import passwords

PRODUCTION_HASHER = passwords._hasher
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes():
    """Swap the cheap hasher in for the session (the dummy hash too: a miss still costs what a hit costs)."""
    hasher, dummy = passwords._hasher, passwords._DUMMY_HASH
    passwords._hasher = TEST_HASHER
    passwords._DUMMY_HASH = TEST_HASHER.hash("a password nobody has, hashed once so misses cost the same")
    yield
    passwords._hasher, passwords._DUMMY_HASH = hasher, dummy
