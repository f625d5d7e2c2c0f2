"""Where the audit chain's Ed25519 keys come from (settings and files), for every process.

Production names both files (``APPRAISALS_AUDIT_SIGNING_KEY_FILE``, mode 0600, and
``APPRAISALS_AUDIT_PUBLIC_KEYS_FILE``) and is refused without them. In development a key is
generated once per install under ``./var/`` (mode 0600) and its public key added to the
keyring beside it; no key is ever a constant in the source.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from config.settings import Settings
from replay.keys import AuditKeyError, PublicKeys, SigningKey, add_to_keyring

DEV_SIGNING_KEY = Path("var/audit-signing-key.pem")
DEV_PUBLIC_KEYS = Path("var/audit-public-keys.pem")


def signing_key_path(settings: Settings) -> Path:
    if settings.audit_signing_key_file is not None:
        return settings.audit_signing_key_file
    if settings.env == "production":
        raise AuditKeyError(
            "production needs APPRAISALS_AUDIT_SIGNING_KEY_FILE: the development key under "
            "./var is refused (see docs/deployment.md, `appraisals audit new-key`)"
        )
    return DEV_SIGNING_KEY


def public_keys_path(settings: Settings) -> Path:
    if settings.audit_public_keys_file is not None:
        return settings.audit_public_keys_file
    if settings.env == "production":
        raise AuditKeyError("production needs APPRAISALS_AUDIT_PUBLIC_KEYS_FILE (the keyring)")
    return DEV_PUBLIC_KEYS


def signing_key(settings: Settings) -> SigningKey:
    """The key new checkpoints are signed with (generated on first use in development)."""
    path = signing_key_path(settings)
    if not path.exists() and settings.env == "development":
        # Another process of this install may make it first.
        with contextlib.suppress(FileExistsError):
            SigningKey.generate().write(path)
    if settings.env == "production" and path.exists() and path.stat().st_mode & 0o077:
        raise AuditKeyError(f"{path} is readable by others: chmod 600 it")
    key = SigningKey.read(path)
    if settings.env == "development":
        add_to_keyring(public_keys_path(settings), key.public)
    return key


def public_keys(settings: Settings) -> PublicKeys:
    """Every public key the service publishes and verifies with: the keyring (current and
    retired keys); in development, the current key even before it reached the keyring."""
    path = public_keys_path(settings)
    keys = PublicKeys.read(path) if path.exists() else PublicKeys()
    if settings.env == "development":
        keys = keys.with_key(signing_key(settings).public)
    if not keys:
        raise AuditKeyError(f"no public key in {path}")
    return keys


def rotate(settings: Settings) -> tuple[SigningKey, SigningKey]:
    """Replace the signing key with a new one, keeping every old public key in the keyring
    (old checkpoints stay verifiable). The old private key is deleted. (old, new)"""
    path = signing_key_path(settings)
    old = signing_key(settings)
    keyring = public_keys_path(settings)
    add_to_keyring(keyring, old.public)
    new = SigningKey.generate()
    staged = path.with_name(path.name + ".new")
    staged.unlink(missing_ok=True)
    new.write(staged)
    add_to_keyring(keyring, new.public)
    staged.replace(path)
    return old, new
