"""Ed25519 audit keys: public keys verify, cannot sign; where keys come from; rotation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from config.settings import Settings
from replay.audit_keys import public_keys, rotate, signing_key
from replay.keys import AuditKeyError, PublicKeys, SigningKey, checkpoint_message


def test_a_signature_verifies_under_the_public_key_only() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    message = checkpoint_message(0, 10, 10, "a" * 64)
    signature = key.sign(message)
    assert key.public.verifies(signature, message)
    assert not other.public.verifies(signature, message)
    assert not key.public.verifies(signature, checkpoint_message(0, 10, 11, "a" * 64))
    assert not key.public.verifies("not hex", message)


def test_a_keyring_file_round_trips_several_public_keys(tmp_path: Path) -> None:
    keys = [SigningKey.generate().public for _ in range(3)]
    path = tmp_path / "keys.pem"
    path.write_text("".join(k.pem for k in keys))
    assert [k.key_id for k in PublicKeys.read(path)] == [k.key_id for k in keys]


def test_a_private_key_is_written_readable_by_its_owner_only_and_never_overwritten(
    tmp_path: Path,
) -> None:
    path = tmp_path / "signing.pem"
    key = SigningKey.generate()
    key.write(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SigningKey.read(path).key_id == key.key_id
    with pytest.raises(FileExistsError):
        SigningKey.generate().write(path)


def test_development_generates_one_key_per_install_and_publishes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url="sqlite:///:memory:")
    first = signing_key(settings)
    assert signing_key(settings).key_id == first.key_id
    key_file = tmp_path / "var" / "audit-signing-key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [k.key_id for k in public_keys(settings)] == [first.key_id]


def test_production_refuses_to_sign_without_a_configured_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    SigningKey.generate().write(tmp_path / "var" / "audit-signing-key.pem")  # a dev key
    with pytest.raises(AuditKeyError, match="APPRAISALS_AUDIT_SIGNING_KEY_FILE"):
        signing_key(Settings(env="production"))


def test_production_refuses_a_key_file_others_can_read(tmp_path: Path) -> None:
    path = tmp_path / "signing.pem"
    SigningKey.generate().write(path)
    path.chmod(0o644)
    settings = Settings(
        env="production", audit_signing_key_file=path, audit_public_keys_file=tmp_path / "k.pem"
    )
    with pytest.raises(AuditKeyError, match="readable by others"):
        signing_key(settings)


def test_rotation_keeps_every_old_public_key_in_the_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url="sqlite:///:memory:")
    old, new = rotate(settings)
    _, newest = rotate(settings)
    assert signing_key(settings).key_id == newest.key_id
    published = {k.key_id for k in public_keys(settings)}
    assert published == {old.key_id, new.key_id, newest.key_id}
    assert not (tmp_path / "var" / "audit-signing-key.pem.new").exists()
