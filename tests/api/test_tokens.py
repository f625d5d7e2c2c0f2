"""Tokens: the old public constant mints nothing, lifetimes are capped, every claim is strict,
and signing out or an admin's revocation is honoured by every process."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
from fastapi.testclient import TestClient

from api.auth import mint_token
from appraisals.app import create_app
from appraisals.wiring import Container, build
from commands.principal import Principal
from config.settings import Settings
from events.base import Role
from testkit.scenario import Org
from tests.api.conftest import Auth

# What APPRAISALS_JWT_SECRET defaulted to before: public, so anyone could sign with it.
OLD_PUBLIC_SECRET = "dev-only-change-me-in-production-0123456789"


def _forged(settings: Settings, secret: str, **claims: object) -> dict[str, str]:
    now = int(time.time())
    body: dict[str, object] = {
        "sub": str(uuid.uuid4()),
        "role": "admin",
        "iss": settings.jwt_issuer,
        "iat": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return {"Authorization": "Bearer " + jwt.encode(body, secret, algorithm="HS256")}


def test_a_platform_admin_token_signed_with_the_old_public_constant_is_refused(
    client: TestClient, api_settings: Settings, org: Org
) -> None:
    headers = _forged(api_settings, OLD_PUBLIC_SECRET)
    answer = client.get(f"/v1/audit/aggregates/{org.review_id}", headers=headers)
    assert answer.status_code == 401
    assert client.post("/v1/trusts", json={"name": "Mine"}, headers=headers).status_code == 401


def test_an_admin_token_with_an_empty_trust_is_refused_not_read_as_platform_admin(
    client: TestClient, api_settings: Settings
) -> None:
    secret = api_settings.jwt_secret.get_secret_value()
    answer = client.post(
        "/v1/trusts", json={"name": "Squat"}, headers=_forged(api_settings, secret, trust="")
    )
    assert answer.status_code == 401
    assert "trust" in answer.json()["detail"]


def test_malformed_or_missing_claims_are_refused(
    client: TestClient, api_settings: Settings, org: Org
) -> None:
    secret = api_settings.jwt_secret.get_secret_value()
    path = f"/v1/audit/aggregates/{org.review_id}"
    for claims in (
        {"jti": None},
        {"jti": ""},
        {"iat": None},
        {"sub": ""},
        {"sub": 12},
        {"schools": "not-a-list", "role": "school_leader", "trust": str(org.trust_id)},
        {"role": "staff", "trust": str(org.trust_id), "schools": [""]},
    ):
        answer = client.get(path, headers=_forged(api_settings, secret, **claims))
        assert answer.status_code == 401, claims


def test_a_token_living_past_the_maximum_lifetime_is_refused(
    client: TestClient, api_settings: Settings, org: Org
) -> None:
    secret = api_settings.jwt_secret.get_secret_value()
    now = int(time.time())
    week = _forged(api_settings, secret, iat=now, exp=now + 7 * 24 * 3600)
    answer = client.get(f"/v1/audit/aggregates/{org.review_id}", headers=week)
    assert answer.status_code == 401 and "longer" in answer.json()["detail"]


def test_every_minted_token_has_a_jti_and_minting_past_the_cap_fails(
    api_settings: Settings, org: Org
) -> None:
    secret = api_settings.jwt_secret.get_secret_value()
    token = mint_token(org.appraisee, secret=secret, issuer=api_settings.jwt_issuer)
    assert jwt.decode(token, options={"verify_signature": False})["jti"]
    try:
        mint_token(org.appraisee, secret=secret, issuer="x", ttl=timedelta(days=2))
    except ValueError:
        pass
    else:
        raise AssertionError("a two-day token was minted")


def test_signing_out_revokes_the_token_in_every_process(
    client: TestClient, api_settings: Settings, auth: Auth, org: Org
) -> None:
    headers = auth(org.appraisee)
    path = f"/v1/audit/aggregates/{org.review_id}"
    assert client.get(path, headers=headers).status_code == 200
    assert client.delete("/v1/session", headers=headers).status_code == 204
    assert client.get(path, headers=headers).status_code == 401
    # A second process (its own container, the same database) refuses it too.
    other: Container = build(api_settings, run_projections=False)
    try:
        with TestClient(create_app(container=other)) as second:
            refused = second.get(path, headers=headers)
            assert refused.status_code == 401
            assert refused.json()["detail"] == "the token has been revoked"
    finally:
        other.close()


def test_an_admin_revokes_a_token_of_their_trust_only(
    client: TestClient, auth: Auth, org: Org
) -> None:
    victim = auth(org.appraiser)
    token = victim["Authorization"].removeprefix("Bearer ")
    body = {"token": token, "reason": "laptop stolen"}
    outsider = Principal(uuid.uuid4(), Role.ADMIN, trust_id=uuid.uuid4())
    assert (
        client.post("/v1/tokens/revocations", json=body, headers=auth(outsider)).status_code == 404
    )
    assert (
        client.post("/v1/tokens/revocations", json=body, headers=auth(org.appraisee)).status_code
        == 403
    )
    assert client.get(f"/v1/audit/aggregates/{org.review_id}", headers=victim).status_code == 200
    done = client.post("/v1/tokens/revocations", json=body, headers=auth(org.admin))
    assert done.status_code == 204
    assert client.get(f"/v1/audit/aggregates/{org.review_id}", headers=victim).status_code == 401


def test_the_dashboard_sign_out_revokes_the_cookie_token(
    client: TestClient, api_settings: Settings, org: Org
) -> None:
    token = mint_token(
        org.appraisee,
        secret=api_settings.jwt_secret.get_secret_value(),
        issuer=api_settings.jwt_issuer,
        now=datetime.now(UTC),
    )
    site = {"Origin": str(client.base_url)}
    signed_in = client.post("/session", data={"token": token}, headers=site, follow_redirects=False)
    assert signed_in.status_code == 303
    ended = client.post("/session/end", headers=site, follow_redirects=False)
    assert ended.status_code == 303
    api = client.get(
        f"/v1/audit/aggregates/{org.review_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 401
    client.cookies.clear()
