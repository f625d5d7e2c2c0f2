"""The AEAD primitives: a master key from settings, wrapping data keys, sealing values.

AES-256-GCM (``cryptography``) with a random 96-bit nonce per seal and associated data
binding each ciphertext to where it belongs (the event and person for a value, the person
for a wrapped data key), so a ciphertext copied elsewhere does not open.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
KEY_BYTES = 32
# Master keys shorter than this are refused (the setting is text: a long random one).
MIN_MASTER_BYTES = 32

__all__ = ["AESGCM", "InvalidTag", "master_cipher", "new_data_key", "open_", "seal"]


def master_cipher(secret: str) -> AESGCM:
    """The master key's cipher, derived from the setting's text with HKDF-SHA256."""
    material = secret.encode()
    if len(material) < MIN_MASTER_BYTES:
        raise ValueError(f"the privacy master key must be at least {MIN_MASTER_BYTES} bytes")
    key = HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"appraisals privacy master"
    ).derive(material)
    return AESGCM(key)


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=8 * KEY_BYTES)


def seal(cipher: AESGCM, plaintext: bytes, aad: bytes) -> str:
    """Nonce and ciphertext (with its tag), base64 (stored inside JSON and text columns)."""
    nonce = os.urandom(NONCE_BYTES)
    return base64.b64encode(nonce + cipher.encrypt(nonce, plaintext, aad)).decode("ascii")


def open_(cipher: AESGCM, sealed: str, aad: bytes) -> bytes:
    """The plaintext of ``seal``; ``InvalidTag`` if it was altered, moved or keyed otherwise."""
    # binascii directly: ``base64.b64decode``'s argument checks cost as much as the decoding.
    raw = binascii.a2b_base64(sealed)
    return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
