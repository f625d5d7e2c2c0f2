"""The audit chain's signing keys: Ed25519, so anyone holding the public key can verify.

The service signs checkpoints with one private key and publishes every public key it has ever
signed with (``GET /v1/audit/keys``, ``appraisals audit key``): an auditor or a tribunal checks
the log with the public keys alone and cannot forge a checkpoint with them. Keys are named by
``key_id``: the first 12 hex digits of SHA-256 over the raw public key.

Files: the private key is a PKCS#8 PEM file readable by the service only (mode 0600); the
public keyring is a PEM file of one or more public keys (the current one and every retired
one), so rotating the key keeps old checkpoints verifiable.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"
_BEGIN = b"-----BEGIN PUBLIC KEY-----"


class AuditKeyError(ValueError):
    """A key file that is missing, unreadable or not an Ed25519 key (a one-line message)."""


def checkpoint_message(previous: int, position: int, events: int, chain: str) -> bytes:
    return f"appraisal-ledger checkpoint|{previous}|{position}|{events}|{chain}".encode()


@dataclass(frozen=True)
class PublicKey:
    """One Ed25519 public key and its id."""

    key: Ed25519PublicKey

    @property
    def raw(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()[:12]

    @property
    def pem(self) -> str:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def verifies(self, signature_hex: str, message: bytes) -> bool:
        try:
            self.key.verify(bytes.fromhex(signature_hex), message)
        except (InvalidSignature, ValueError):
            return False
        return True


class PublicKeys:
    """The public keys a verifier trusts, by key id (current and retired)."""

    def __init__(self, keys: Iterable[PublicKey] = ()) -> None:
        self._keys: dict[str, PublicKey] = {}
        for key in keys:
            self._keys.setdefault(key.key_id, key)

    def __iter__(self) -> Iterator[PublicKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, key_id: str) -> PublicKey | None:
        return self._keys.get(key_id)

    def with_key(self, key: PublicKey) -> PublicKeys:
        return PublicKeys([*self, key])

    def pem(self) -> str:
        return "".join(k.pem for k in self)

    @classmethod
    def parse(cls, data: bytes, source: str = "keyring") -> PublicKeys:
        """Every PEM public key in ``data`` (a keyring file is several concatenated)."""
        keys = []
        for chunk in data.split(_BEGIN)[1:]:
            try:
                loaded = serialization.load_pem_public_key(_BEGIN + chunk)
            except ValueError as e:
                raise AuditKeyError(f"{source}: not a PEM public key ({e})") from None
            if not isinstance(loaded, Ed25519PublicKey):
                raise AuditKeyError(f"{source}: a public key that is not Ed25519")
            keys.append(PublicKey(loaded))
        return cls(keys)

    @classmethod
    def read(cls, path: Path) -> PublicKeys:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise AuditKeyError(f"cannot read public keys from {path}: {e.strerror}") from None
        keys = cls.parse(data, str(path))
        if not keys:
            raise AuditKeyError(f"{path} holds no PEM public key")
        return keys


@dataclass(frozen=True)
class SigningKey:
    """The private key checkpoints are signed with."""

    key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.key.public_key())

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def sign(self, message: bytes) -> str:
        return self.key.sign(message).hex()

    def pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @classmethod
    def read(cls, path: Path) -> SigningKey:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise AuditKeyError(f"cannot read the audit signing key {path}: {e.strerror}") from None
        try:
            loaded = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as e:
            raise AuditKeyError(f"{path} is not an unencrypted PEM private key ({e})") from None
        if not isinstance(loaded, Ed25519PrivateKey):
            raise AuditKeyError(f"{path} is not an Ed25519 private key")
        return cls(loaded)

    def write(self, path: Path) -> None:
        """Write the key to a new file only its owner can read. Never overwrites: a file that
        exists already raises FileExistsError, and no reader ever sees a half-written key."""
        path.parent.mkdir(parents=True, exist_ok=True)
        staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(self.pem())
            os.link(staged, path)
        finally:
            staged.unlink(missing_ok=True)


def add_to_keyring(path: Path, key: PublicKey) -> bool:
    """Append ``key`` to the keyring file unless it is there already; True if added."""
    known = PublicKeys.parse(path.read_bytes(), str(path)) if path.exists() else PublicKeys()
    if known.get(key.key_id) is not None:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.write(key.pem)
    return True


__all__ = [
    "ALGORITHM",
    "AuditKeyError",
    "PublicKey",
    "PublicKeys",
    "SigningKey",
    "add_to_keyring",
    "checkpoint_message",
]
