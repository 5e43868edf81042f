"""End-to-end encryption of personal sync: wraps, recovery keys, sealed messages and chunks, keyed ids."""

from __future__ import annotations

import hashlib
import json
import unicodedata

import pytest

from lmgpa_desktop.core.sync import crypto
from lmgpa_desktop.core.sync.crypto import KdfParams

FAST = KdfParams(t=1, m=8, p=1)  # tests only: Argon2's smallest cost, passed explicitly (defaults untouched)
HLC = "1767225600000-0000-0123456789abcdef"
DEVICE = "0123456789abcdef"
MSG = "9f" * 16


@pytest.fixture(scope="module")
def key():
    return crypto.new_sync_key()


# --- passphrase wrap -----------------------------------------------------------------------------------------

def test_the_default_argon2id_cost_is_the_stated_one_and_round_trips(key):
    wrapped = crypto.wrap_key(key, "a long sync passphrase")
    assert (wrapped["kdf"], wrapped["t"], wrapped["m"], wrapped["p"]) == ("argon2id", 3, 64 * 1024, 1)
    # at least OWASP's minimum (19 MiB, t=2, p=1)
    assert wrapped["m"] >= 19 * 1024 and wrapped["t"] >= 2
    assert crypto.unwrap_key(wrapped, "a long sync passphrase") == key


def test_a_wrap_opens_only_with_its_passphrase_and_holds_no_key_bytes(key):
    wrapped = crypto.wrap_key(key, "correct horse battery", FAST)
    assert crypto.unwrap_key(wrapped, "correct horse battery") == key
    with pytest.raises(crypto.WrongPassphrase, match="not your sync passphrase"):
        crypto.unwrap_key(wrapped, "correct horse batterY")
    text = json.dumps(wrapped)
    assert key.hex() not in text and crypto.base64.b64encode(key).decode() not in text
    assert crypto.wrap_key(key, "correct horse battery", FAST) != wrapped  # fresh salt and nonce every time


def test_the_same_passphrase_typed_differently_opens_the_wrap(key):
    composed = unicodedata.normalize("NFC", "clé de révision")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    wrapped = crypto.wrap_key(key, composed, FAST)
    assert crypto.unwrap_key(wrapped, decomposed + "\n") == key


def _mangle(wrapped, **changes):
    out = dict(wrapped)
    for name, value in changes.items():
        if value is None:
            out.pop(name)
        else:
            out[name] = value
    return out


@pytest.mark.parametrize("changes", [
    {"kdf": "scrypt"}, {"v": 2}, {"salt": None}, {"salt": "not base64!"}, {"salt": "AAAA"},
    {"nonce": "AAAAAAAA"}, {"ct": "AAAA"}, {"m": 1 << 30}, {"t": 0}, {"t": True}, {"p": "1"},
    {"m": 8, "p": 4},
])
def test_a_wrap_that_does_not_parse_is_a_plain_error_not_a_wrong_passphrase(key, changes):
    wrapped = crypto.wrap_key(key, "correct horse battery", FAST)
    with pytest.raises(crypto.BadKeyMaterial, match="sync key stored on the server cannot be read"):
        crypto.unwrap_key(_mangle(wrapped, **changes), "correct horse battery")


def test_a_wrap_that_is_not_an_object_is_a_plain_error():
    with pytest.raises(crypto.BadKeyMaterial, match="not an object"):
        crypto.unwrap_key("garbage", "correct horse battery")


# --- recovery key --------------------------------------------------------------------------------------------

def test_recovery_keys_are_groups_of_unambiguous_characters_with_at_least_128_random_bits():
    keys = {crypto.new_recovery_key() for _ in range(200)}
    assert len(keys) == 200
    for text in keys:
        groups = text.split("-")
        assert len(groups) == 8 and all(len(g) == 4 for g in groups)
        assert not set(text) & set("ILOU") and set(text) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ-")
    # 30 of the 32 characters are random base32 symbols (5 bits each): every position takes many values
    columns = [{k.replace("-", "")[i] for k in keys} for i in range(30)]
    assert all(len(c) > 16 for c in columns)


def test_a_recovery_key_is_read_however_it_is_typed():
    text = crypto.new_recovery_key()
    sloppy = text.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert crypto.normalize_recovery_key(sloppy) == text
    assert crypto.normalize_recovery_key(text.replace("-", "")) == text


def test_every_single_typo_and_every_swap_in_a_recovery_key_is_caught():
    text = crypto.new_recovery_key()
    chars = list(text.replace("-", ""))
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    for i, c in enumerate(chars):
        for other in alphabet:
            if other != c:
                typo = "".join(chars[:i] + [other] + chars[i + 1:])
                with pytest.raises(crypto.BadRecoveryKey, match="typo"):
                    crypto.normalize_recovery_key(typo)
    for i in range(len(chars) - 2):  # swaps among the 30 data characters, any distance
        for j in range(i + 1, len(chars) - 2):
            if chars[i] != chars[j]:
                swapped = chars.copy()
                swapped[i], swapped[j] = swapped[j], swapped[i]
                with pytest.raises(crypto.BadRecoveryKey):
                    crypto.normalize_recovery_key("".join(swapped))


@pytest.mark.parametrize(("typed", "message"), [
    ("ABCD-EFGH", "has 32 letters and digits .* this one has 8"),
    ("U" * 32, "never contain 'U'"),
    ("ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-67#9", "never contain '#'"),
])
def test_a_malformed_recovery_key_says_what_is_wrong(typed, message):
    with pytest.raises(crypto.BadRecoveryKey, match=message):
        crypto.normalize_recovery_key(typed)


def test_the_recovery_wrap_opens_with_its_key_only(key):
    recovery = crypto.new_recovery_key()
    wrapped = crypto.wrap_with_recovery(key, recovery)
    assert crypto.unwrap_with_recovery(wrapped, recovery.lower()) == key
    with pytest.raises(crypto.WrongRecoveryKey, match="does not open your sync key"):
        crypto.unwrap_with_recovery(wrapped, crypto.new_recovery_key())
    with pytest.raises(crypto.BadRecoveryKey):
        crypto.unwrap_with_recovery(wrapped, recovery[:-1] + ("0" if recovery[-1] != "0" else "1"))
    with pytest.raises(crypto.BadKeyMaterial):
        crypto.unwrap_with_recovery(_mangle(wrapped, kdf="argon2id"), recovery)


# --- key check and blob ids ----------------------------------------------------------------------------------

def test_the_key_check_proves_the_same_key_without_revealing_it(key):
    other = crypto.new_sync_key()
    assert crypto.key_check(key) == crypto.key_check(bytes(key))
    assert crypto.key_check(key) != crypto.key_check(other)
    assert len(crypto.key_check(key)) == 64 and key.hex() not in crypto.key_check(key)


def test_blob_ids_are_keyed_so_the_server_cannot_recognise_a_known_file(key):
    sha = hashlib.sha256(b"a lecture everyone has").hexdigest()
    other = crypto.new_sync_key()
    assert crypto.blob_id(key, sha) == crypto.blob_id(key, sha.upper())  # same file, same id: de-duplicated
    assert crypto.blob_id(key, sha) != crypto.blob_id(other, sha) != sha
    assert len(crypto.blob_id(key, sha)) == 64 and int(crypto.blob_id(key, sha), 16) >= 0
    with pytest.raises(ValueError):
        crypto.blob_id(key, "not a hash")


# --- messages ------------------------------------------------------------------------------------------------

def test_a_sealed_message_opens_with_its_metadata_and_hides_its_text(key):
    plain = json.dumps({"table": "notes", "fields": {"body_md": "MARKER-quokka"}}).encode()
    sealed = crypto.seal_message(key, plain, MSG, HLC, DEVICE)
    assert b"quokka" not in sealed and len(sealed) == len(plain) + crypto.OVERHEAD <= len(plain) + 64
    assert crypto.seal_message(key, plain, MSG, HLC, DEVICE) != sealed
    assert crypto.open_message(key, sealed, MSG, HLC, DEVICE) == plain


@pytest.mark.parametrize(("msg_id", "hlc", "device"), [
    ("8f" * 16, HLC, DEVICE),
    (MSG, "1767225600000-0001-0123456789abcdef", DEVICE),
    (MSG, HLC, "fedcba9876543210"),
])
def test_a_payload_moved_to_other_metadata_does_not_open(key, msg_id, hlc, device):
    sealed = crypto.seal_message(key, b"{}", MSG, HLC, DEVICE)
    with pytest.raises(crypto.Tampered, match="does not open"):
        crypto.open_message(key, sealed, msg_id, hlc, device)


def test_metadata_boundaries_are_part_of_the_binding(key):
    sealed = crypto.seal_message(key, b"{}", "ab", "c", DEVICE)
    with pytest.raises(crypto.Tampered):
        crypto.open_message(key, sealed, "a", "bc", DEVICE)


def test_a_changed_cut_foreign_or_future_message_is_refused_plainly(key):
    sealed = crypto.seal_message(key, b"a review", MSG, HLC, DEVICE)
    flipped = sealed[:-1] + bytes([sealed[-1] ^ 1])
    for bad in (flipped, sealed[:10]):
        with pytest.raises(crypto.Tampered):
            crypto.open_message(key, bad, MSG, HLC, DEVICE)
    with pytest.raises(crypto.Tampered, match="sealed with another sync key"):
        crypto.open_message(crypto.new_sync_key(), sealed, MSG, HLC, DEVICE)
    with pytest.raises(crypto.Tampered, match="newer version"):
        crypto.open_message(key, b"\x02" + sealed[1:], MSG, HLC, DEVICE)


def test_a_key_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError):
        crypto.seal_message(b"short", b"x", MSG, HLC, DEVICE)


# --- blob chunks ---------------------------------------------------------------------------------------------

def test_chunks_open_only_at_their_own_file_and_position(key):
    blob = crypto.blob_id(key, hashlib.sha256(b"audio").hexdigest())
    other = crypto.blob_id(key, hashlib.sha256(b"other audio").hexdigest())
    data = b"RIFF" + bytes(range(256)) * 8
    sealed = crypto.seal_chunk(key, blob, 3, data)
    assert data not in sealed and len(sealed) == len(data) + crypto.OVERHEAD
    assert crypto.open_chunk(key, blob, 3, sealed) == data
    for where in ((blob, 4), (other, 3)):
        with pytest.raises(crypto.Tampered, match="file part"):
            crypto.open_chunk(key, *where, sealed)


def test_messages_and_chunks_use_separate_subkeys(key):
    # same label-free bytes in both places must not open across purposes
    sealed = crypto.seal_message(key, b"data", MSG, HLC, DEVICE)
    with pytest.raises(crypto.Tampered):
        crypto.open_chunk(key, MSG, 0, sealed)
    assert crypto._subkey(key, "message") != crypto._subkey(key, "blob") != key
