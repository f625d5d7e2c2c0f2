"""Development sign-ins (one click, pasted token) exist only in development; in production
they are gone, the session cookie is Secure, and `appraisals token` refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.auth import mint_token
from appraisals.app import create_app
from appraisals.wiring import Container, build
from commands.principal import Principal
from config.settings import Settings
from events.base import Role
from replay.keys import SigningKey, add_to_keyring
from testkit.scenario import Org, build_org
from web.session import principal_json

SITE = "http://testserver"
KEYS = {
    "jwt_secret": "test-jwt-secret-0123456789abcdef0123456789",
    "pseudonym_key": "test-pseudonym-key-0123456789abcdef012345",
    # One master key for both modes: a production process must open the keys a development
    # one wrapped in the same database (a wrong master key refuses to start).
    "privacy_master_key": "test-privacy-master-key-0123456789abcdef01",
}


def production_keys(tmp_path: Path) -> dict[str, Path]:
    """An audit signing key and keyring as production requires them (docs/deployment.md)."""
    key = SigningKey.generate()
    signing = tmp_path / "audit-signing.pem"
    key.write(signing)
    signing.chmod(0o600)
    keyring = tmp_path / "audit-public.pem"
    add_to_keyring(keyring, key.public)
    return {
        "audit_signing_key_file": signing,
        "audit_public_keys_file": keyring,
        "audit_anchor_file": tmp_path / "anchors" / "audit-anchors.jsonl",
    }


@pytest.fixture(params=["development", "production"])
def mode(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Container, Org]]:
    keys = production_keys(tmp_path) if request.param == "production" else {}
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        env=request.param,
        context_cache_ttl=0,
        **KEYS,  # type: ignore[arg-type]
        **keys,  # type: ignore[arg-type]
    )
    container = build(settings)
    org = build_org(container.commands)
    container.start()
    head = container.store.recorder.max_notification_id() or 0
    assert container.projections.wait_for(head, timeout=30)
    yield request.param, container, org
    container.close()


def test_development_sign_ins_exist_only_in_development(
    mode: tuple[str, Container, Org],
) -> None:
    env, container, org = mode
    settings = container.settings
    token = mint_token(
        Principal(org.appraisee_id, Role.STAFF, trust_id=org.trust_id),
        secret=settings.jwt_secret.get_secret_value(),
        issuer=settings.jwt_issuer,
    )
    with TestClient(create_app(container=container), follow_redirects=False) as client:
        page = client.get("/").text
        pasted = client.post("/session", data={"token": token}, headers={"Origin": SITE})
        one_click = client.post(f"/signin/development/{org.appraisee_id}", headers={"Origin": SITE})
    if env == "development":
        assert "Development sign-in" in page
        assert "Sign in as Ann Appraisee" in page  # the demo's people, one click each
        assert pasted.status_code == 303 and one_click.status_code == 303
        cookie = one_click.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    else:
        assert "Development sign-in" not in page
        assert "No identity provider is configured" in page
        assert pasted.status_code == 404 and one_click.status_code == 404


def test_a_development_session_stops_working_in_production(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    development = build(Settings(database_url=url, context_cache_ttl=0, **KEYS))  # type: ignore[arg-type]
    org = build_org(development.commands)
    secret, _ = development.identity.sessions.start(  # type: ignore[union-attr]
        person_id=None,
        trust_id=org.trust_id,
        method="development-token",
        fixed_principal=principal_json(Principal(uuid4(), Role.AUDITOR, trust_id=org.trust_id)),
    )
    development.close()
    production = build(
        Settings(
            database_url=url,
            env="production",
            context_cache_ttl=0,
            **KEYS,  # type: ignore[arg-type]
            **production_keys(tmp_path),  # type: ignore[arg-type]
        )
    )
    try:
        with TestClient(create_app(container=production), follow_redirects=False) as client:
            client.cookies.set("appraisals_session", secret)
            assert client.get("/home").headers["location"] == "/"
    finally:
        production.close()


def test_the_token_command_refuses_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    from appraisals import cli

    monkeypatch.setattr(cli, "_settings", lambda: Settings(env="production", **KEYS))  # type: ignore[arg-type]
    result = CliRunner().invoke(cli.app, ["token", "--role", "admin"])
    assert result.exit_code != 0
    assert "off in production" in result.output


def test_sign_ins_past_the_limit_are_refused_and_recorded(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        context_cache_ttl=0,
        sign_in_rate_limit="2/minute",
        **KEYS,  # type: ignore[arg-type]
    )
    container = build(settings)
    try:
        org = build_org(container.commands)
        with TestClient(create_app(container=container), follow_redirects=False) as client:
            answers = [
                client.post(f"/signin/development/{org.appraisee_id}", headers={"Origin": SITE})
                for _ in range(3)
            ]
        assert [a.status_code for a in answers] == [303, 303, 429]
        assert int(answers[2].headers["retry-after"]) > 0
        kinds = [e.kind.value for e in container.security.log.entries(trust_id=None)]
        assert "rate-limited" in kinds
    finally:
        container.close()
