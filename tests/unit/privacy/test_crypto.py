"""The AEAD layer: sealed values open only unaltered, under their key, where they belong."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacy.crypto import AESGCM, InvalidTag, master_cipher, new_data_key, open_, seal

KEY = AESGCM(new_data_key())


@given(st.binary(max_size=2_000), st.binary(max_size=100))
def test_a_sealed_value_opens_to_itself_with_its_key_and_associated_data(
    plaintext: bytes, aad: bytes
) -> None:
    assert open_(KEY, seal(KEY, plaintext, aad), aad) == plaintext


@given(st.binary(min_size=1, max_size=200), st.integers(min_value=0))
def test_any_flipped_bit_of_a_sealed_value_is_rejected(plaintext: bytes, where: int) -> None:
    raw = bytearray(base64.b64decode(seal(KEY, plaintext, b"event")))
    i = where % (len(raw) * 8)
    raw[i // 8] ^= 1 << (i % 8)
    with pytest.raises(InvalidTag):
        open_(KEY, base64.b64encode(bytes(raw)).decode(), b"event")


def test_a_sealed_value_does_not_open_with_another_key() -> None:
    sealed = seal(KEY, b"Jane Smith", b"event")
    with pytest.raises(InvalidTag):
        open_(AESGCM(new_data_key()), sealed, b"event")


def test_a_sealed_value_moved_to_another_event_does_not_open() -> None:
    sealed = seal(KEY, b"Jane Smith", b"ObjectiveDrafted|a|1|p")
    with pytest.raises(InvalidTag):
        open_(KEY, sealed, b"ObjectiveDrafted|a|2|p")


def test_two_seals_of_one_value_differ_so_equal_values_do_not_show() -> None:
    assert seal(KEY, b"same", b"x") != seal(KEY, b"same", b"x")


def test_a_short_master_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        master_cipher("too short")


def test_the_master_key_is_derived_the_same_way_every_time() -> None:
    sealed = seal(master_cipher("m" * 40), b"data key", b"aad")
    assert open_(master_cipher("m" * 40), sealed, b"aad") == b"data key"
    with pytest.raises(InvalidTag):
        open_(master_cipher("n" * 40), sealed, b"aad")
