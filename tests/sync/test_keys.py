"""The sync key's life against a stand-in of the server's key endpoints, and this device's copy of it."""

from __future__ import annotations

import base64
import json

import keyring
import pytest
from keyring.backends import fail

from lmgpa_desktop.core.sync import crypto, keys
from lmgpa_desktop.core.sync.crypto import KdfParams
from lmgpa_desktop.remote.api_client import ServerRejected

FAST = KdfParams(t=1, m=8, p=1)  # tests only: Argon2's smallest cost, passed explicitly (defaults untouched)
PASS = "maple river lantern"
URL = "http://sync.test"


class FakeKeyApi:
    """A test double of GET/PUT /api/sync/key: versioned, JSON on the wire, 409s as the server sends them."""

    def __init__(self):
        self.stored: dict | None = None
        self.puts: list[int] = []
        self.stale_reads = 0  # reads that still see "no key" (a device that looked before another one wrote)
        self.interleave = None  # called once just before the next put: another device writing in between

    def get_key(self):
        if self.stale_reads:
            self.stale_reads -= 1
            return None
        return json.loads(json.dumps(self.stored)) if self.stored else None

    def put_key(self, expected_version, wrapped, key_check):
        if self.interleave:
            hook, self.interleave = self.interleave, None
            hook()
        self.puts.append(expected_version)
        version = self.stored["version"] if self.stored else 0
        if expected_version != version:
            raise ServerRejected(409, "VERSION_CONFLICT", "the key changed", {"version": version})
        if self.stored and self.stored["key_check"] != key_check:
            raise ServerRejected(409, "KEY_MISMATCH", "another key is stored")
        self.stored = {"version": version + 1, "wrapped": json.loads(json.dumps(wrapped)), "key_check": key_check}
        return version + 1


@pytest.fixture
def api():
    return FakeKeyApi()


# --- set-up --------------------------------------------------------------------------------------------------

def test_the_first_device_makes_the_key_and_the_server_gets_only_wraps(api):
    first = keys.setup(api, PASS, FAST)
    assert first.created and len(first.key) == 32
    assert crypto.normalize_recovery_key(first.recovery_key) == first.recovery_key
    assert api.puts == [0] and api.stored["version"] == 1
    assert set(api.stored["wrapped"]) == {"passphrase", "recovery"}
    assert api.stored["key_check"] == crypto.key_check(first.key)
    text = json.dumps(api.stored)
    assert first.key.hex() not in text and base64.b64encode(first.key).decode() not in text
    assert first.recovery_key not in text and PASS not in text


def test_the_next_device_opens_the_same_key_with_the_passphrase(api):
    first = keys.setup(api, PASS, FAST)
    second = keys.setup(api, PASS, FAST)
    assert (second.key, second.recovery_key, second.created) == (first.key, None, False)
    assert api.puts == [0]
    with pytest.raises(crypto.WrongPassphrase, match="not your sync passphrase"):
        keys.setup(api, "maple river lanterns", FAST)


def test_a_passphrase_under_ten_characters_is_refused_before_the_server_is_asked(api):
    with pytest.raises(keys.PassphraseTooShort, match="at least 10 characters .*has 9"):
        keys.setup(api, "123456789", FAST)
    assert api.puts == [] and api.stored is None
    assert keys.setup(api, "1234567890", FAST).created


def test_two_first_devices_at_once_end_with_the_winners_key(api):
    winner = keys.setup(api, PASS, FAST)
    api.stale_reads = 1  # the second device looked before the winner's key arrived
    loser = keys.setup(api, PASS, FAST)
    assert api.puts == [0, 0]
    assert (loser.key, loser.recovery_key, loser.created) == (winner.key, None, False)
    assert api.stored["key_check"] == crypto.key_check(winner.key)


def test_two_first_devices_with_different_passphrases_ask_for_the_winners(api):
    winner = keys.setup(api, PASS, FAST)
    api.stale_reads = 1
    with pytest.raises(crypto.WrongPassphrase, match="Another of your devices set up sync"):
        keys.setup(api, "a different passphrase", FAST)
    assert api.stored["key_check"] == crypto.key_check(winner.key) and api.stored["version"] == 1


def test_other_server_refusals_are_not_mistaken_for_a_race(api):
    def refuse(*_args):
        raise ServerRejected(413, "QUOTA_EXCEEDED", "full")
    api.put_key = refuse
    with pytest.raises(ServerRejected, match="full"):
        keys.setup(api, PASS, FAST)


@pytest.mark.parametrize("stored", [
    {"version": 1, "wrapped": "garbage", "key_check": "ab"},
    {"version": "1", "wrapped": {"passphrase": {}, "recovery": {}}, "key_check": "ab"},
    {"version": 1, "wrapped": {"passphrase": {"kdf": "argon2id", "v": 1}, "recovery": {}}, "key_check": "ab"},
    {"version": 1, "wrapped": {"passphrase": {}, "recovery": {}}, "key_check": None},
    [1, 2, 3],
])
def test_key_material_that_does_not_parse_is_a_plain_error(api, stored):
    api.get_key = lambda: stored
    with pytest.raises(crypto.BadKeyMaterial, match="sync key stored on the server cannot be read"):
        keys.setup(api, PASS, FAST)


def test_a_wrap_that_does_not_match_its_key_check_is_refused(api):
    keys.setup(api, PASS, FAST)
    api.stored["key_check"] = crypto.key_check(crypto.new_sync_key())
    with pytest.raises(crypto.BadKeyMaterial, match="does not match its key check"):
        keys.setup(api, PASS, FAST)


# --- changing the passphrase ---------------------------------------------------------------------------------

def test_changing_the_passphrase_rewraps_and_keeps_the_recovery_key(api):
    first = keys.setup(api, PASS, FAST)
    recovery_wrap = api.stored["wrapped"]["recovery"]
    keys.change_passphrase(api, first.key, "a brand new passphrase", FAST)
    assert api.stored["version"] == 2 and api.stored["wrapped"]["recovery"] == recovery_wrap
    assert keys.setup(api, "a brand new passphrase", FAST).key == first.key
    with pytest.raises(crypto.WrongPassphrase):
        keys.setup(api, PASS, FAST)
    with pytest.raises(keys.PassphraseTooShort):
        keys.change_passphrase(api, first.key, "short", FAST)


def test_a_passphrase_change_retries_when_another_device_wrote_in_between(api):
    first = keys.setup(api, PASS, FAST)
    api.interleave = lambda: keys.change_passphrase(api, first.key, "the other device's", FAST)
    keys.change_passphrase(api, first.key, "the newest passphrase", FAST)
    assert api.puts == [0, 1, 1, 2] and api.stored["version"] == 3
    assert keys.setup(api, "the newest passphrase", FAST).key == first.key


def test_a_passphrase_change_against_another_key_or_none_is_refused(api):
    mine = crypto.new_sync_key()
    with pytest.raises(keys.NoServerKey, match="set up sync again"):
        keys.change_passphrase(api, mine, "a brand new passphrase", FAST)
    keys.setup(api, PASS, FAST)
    with pytest.raises(keys.KeyMismatch, match="different sync key"):
        keys.change_passphrase(api, mine, "a brand new passphrase", FAST)
    assert api.stored["version"] == 1


# --- recovery ------------------------------------------------------------------------------------------------

def test_the_recovery_key_opens_the_key_and_sets_a_new_passphrase(api):
    first = keys.setup(api, PASS, FAST)
    sloppy = first.recovery_key.lower().replace("-", " ")
    assert keys.recover(api, sloppy, "remembered this time", FAST) == first.key
    assert keys.setup(api, "remembered this time", FAST).key == first.key
    with pytest.raises(crypto.WrongPassphrase):
        keys.setup(api, PASS, FAST)
    assert keys.recover(api, first.recovery_key, "and once again here", FAST) == first.key  # still works


def test_a_mistyped_or_foreign_recovery_key_changes_nothing(api):
    first = keys.setup(api, PASS, FAST)
    typo = first.recovery_key[:-1] + ("0" if first.recovery_key[-1] != "0" else "1")
    with pytest.raises(crypto.BadRecoveryKey, match="typo"):
        keys.recover(api, typo, "remembered this time", FAST)
    with pytest.raises(crypto.BadRecoveryKey, match="32 letters and digits"):
        keys.recover(api, "ABCD", "remembered this time", FAST)
    with pytest.raises(crypto.WrongRecoveryKey):
        keys.recover(api, crypto.new_recovery_key(), "remembered this time", FAST)
    assert api.puts == [0] and keys.setup(api, PASS, FAST).key == first.key


def test_recovering_without_a_key_on_the_server_says_so(api):
    with pytest.raises(keys.NoServerKey, match="nothing|no sync key"):
        keys.recover(api, crypto.new_recovery_key(), "remembered this time", FAST)


# --- this device's copy --------------------------------------------------------------------------------------

def test_the_local_copy_lives_in_the_keyring_per_device(dict_keyring):
    key, other = crypto.new_sync_key(), crypto.new_sync_key()
    assert keys.save_local_key(URL, "Ana@School.example", "aaaaaaaaaaaaaaaa", key) == "keyring"
    assert keys.save_local_key(URL, "ana@school.example", "bbbbbbbbbbbbbbbb", other) == "keyring"
    assert keys.load_local_key(URL, "ana@school.example", "aaaaaaaaaaaaaaaa") == key
    assert keys.load_local_key(URL, "ana@school.example", "bbbbbbbbbbbbbbbb") == other
    names = [name for _, name in dict_keyring.secrets]
    assert all("aaaaaaaaaaaaaaaa" in n or "bbbbbbbbbbbbbbbb" in n for n in names) and len(names) == 2
    keys.forget_local_key(URL, "ana@school.example", "aaaaaaaaaaaaaaaa")
    assert keys.load_local_key(URL, "ana@school.example", "aaaaaaaaaaaaaaaa") is None
    assert keys.load_local_key(URL, "ana@school.example", "bbbbbbbbbbbbbbbb") == other


def test_without_a_keyring_the_key_is_kept_for_this_session_only():
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        key = crypto.new_sync_key()
        assert keys.save_local_key(URL, "ben@school.example", "cccccccccccccccc", key) == "memory"
        assert keys.load_local_key(URL, "ben@school.example", "cccccccccccccccc") == key
        keys.forget_local_key(URL, "ben@school.example", "cccccccccccccccc")
        assert keys.load_local_key(URL, "ben@school.example", "cccccccccccccccc") is None
    finally:
        keyring.set_keyring(before)


def test_an_unreadable_local_copy_means_asking_the_passphrase_again(dict_keyring):
    keys.save_local_key(URL, "cy@school.example", "dddddddddddddddd", crypto.new_sync_key())
    for name in list(dict_keyring.secrets):
        dict_keyring.secrets[name] = "not a key"
    assert keys.load_local_key(URL, "cy@school.example", "dddddddddddddddd") is None
