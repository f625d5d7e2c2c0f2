"""Secrets and modes: development keys made once per install, production refusing weak keys."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from config import settings as settings_module
from config.settings import (
    Settings,
    UnsafeSettings,
    check_production,
    is_loopback,
    redact_url,
)

STRONG = "x" * 40


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh install directory with no environment keys."""
    monkeypatch.chdir(tmp_path)
    for name in ("JWT_SECRET", "AUDIT_KEY", "PSEUDONYM_KEY", "ENV"):
        monkeypatch.delenv(f"APPRAISALS_{name}", raising=False)
    return tmp_path


def test_development_keys_are_random_made_once_and_readable_by_the_owner_only(
    install: Path,
) -> None:
    first = Settings()
    keys_file = install / settings_module.DEV_KEYS_FILE
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    again = Settings()
    assert first.jwt_secret.get_secret_value() == again.jwt_secret.get_secret_value()
    secrets = {first.jwt_secret, first.pseudonym_key}
    assert len({s.get_secret_value() for s in secrets}) == 2
    assert all(len(s.get_secret_value()) >= 32 for s in secrets)


def test_no_key_is_a_constant_in_the_source() -> None:
    source = Path(settings_module.__file__).read_text()
    assert "dev-only" not in source
    for name in ("jwt_secret", "pseudonym_key"):
        assert Settings.model_fields[name].default.get_secret_value() == ""


def test_production_refuses_to_start_without_keys_naming_the_setting(install: Path) -> None:
    del install
    with pytest.raises(UnsafeSettings, match="APPRAISALS_JWT_SECRET must be set"):
        check_production(Settings(env="production"))


@pytest.mark.usefixtures("install")
def test_production_refuses_a_development_key() -> None:
    dev = Settings()  # makes this install's development keys
    with pytest.raises(UnsafeSettings, match="APPRAISALS_JWT_SECRET is a development key"):
        check_production(
            Settings(
                env="production",
                jwt_secret=dev.jwt_secret,
                pseudonym_key=STRONG,
            )
        )


@pytest.mark.usefixtures("install")
def test_production_refuses_the_development_privacy_master_key() -> None:
    dev = Settings()
    with pytest.raises(UnsafeSettings, match="APPRAISALS_PRIVACY_MASTER_KEY is a development key"):
        check_production(
            Settings(
                env="production",
                jwt_secret=STRONG,
                pseudonym_key=STRONG + "a",
                unsubscribe_secret=STRONG + "b",
                privacy_master_key=dev.privacy_master_key,
            )
        )


def test_production_refuses_a_one_byte_secret(install: Path) -> None:
    del install
    with pytest.raises(UnsafeSettings, match="APPRAISALS_PSEUDONYM_KEY must be at least 32 bytes"):
        check_production(Settings(env="production", jwt_secret=STRONG, pseudonym_key="k"))


@pytest.mark.usefixtures("install")
def test_binding_beyond_loopback_is_production_whatever_the_setting() -> None:
    development = Settings()
    check_production(development, "127.0.0.1")  # loopback: development keys are fine
    with pytest.raises(UnsafeSettings, match="development key"):
        check_production(development, "0.0.0.0")
    assert is_loopback("::1") and is_loopback("localhost") and not is_loopback("10.0.0.5")


def test_production_with_strong_keys_starts(install: Path) -> None:
    check_production(
        Settings(
            env="production",
            jwt_secret=STRONG,
            pseudonym_key=STRONG + "a",
            unsubscribe_secret=STRONG + "b",
            privacy_master_key=STRONG + "c",
            audit_signing_key_file=install / "audit-signing-key.pem",
            audit_public_keys_file=install / "audit-public-keys.pem",
            audit_anchor_file=install / "anchors" / "audit-anchors.jsonl",
        )
    )


def test_production_refuses_to_start_without_anchors_outside_the_database(
    install: Path,
) -> None:
    keys = {
        "env": "production",
        "jwt_secret": STRONG,
        "pseudonym_key": STRONG + "a",
        "unsubscribe_secret": STRONG + "b",
        "privacy_master_key": STRONG + "c",
        "audit_signing_key_file": install / "audit-signing-key.pem",
        "audit_public_keys_file": install / "audit-public-keys.pem",
    }
    with pytest.raises(UnsafeSettings, match="APPRAISALS_AUDIT_ANCHOR_FILE must be set"):
        check_production(Settings(**keys))  # type: ignore[arg-type]
    with pytest.raises(UnsafeSettings, match="APPRAISALS_AUDIT_ANCHOR_SINK=none"):
        check_production(Settings(**keys, audit_anchor_sink="none"))  # type: ignore[arg-type]


def test_production_refuses_to_start_without_the_audit_signing_key(install: Path) -> None:
    del install
    with pytest.raises(UnsafeSettings, match="APPRAISALS_AUDIT_SIGNING_KEY_FILE must be set"):
        check_production(
            Settings(
                env="production",
                jwt_secret=STRONG,
                pseudonym_key=STRONG + "a",
                unsubscribe_secret=STRONG + "b",
                privacy_master_key=STRONG + "c",
            )
        )


def test_urls_are_redacted_for_logs() -> None:
    url = "postgresql://app:s3cret@db.example:5432/appraisals"
    assert redact_url(url) == "postgresql://app:***@db.example:5432/appraisals"
    assert redact_url("sqlite:///./var/x.db") == "sqlite:///./var/x.db"


def test_an_install_from_before_a_key_was_added_keeps_its_keys_and_gains_the_new_one(
    install: Path,
) -> None:
    keys_file = install / settings_module.DEV_KEYS_FILE
    keys_file.parent.mkdir(parents=True, exist_ok=True)
    keys_file.write_text('{"jwt_secret": "' + "j" * 40 + '"}')
    keys_file.chmod(0o600)
    settings = Settings()
    assert settings.jwt_secret.get_secret_value() == "j" * 40
    assert len(settings.pseudonym_key.get_secret_value()) >= 32
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
