"""Headers, cookies, trusted proxies, request size limits and rate limits, through the app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import mint_token
from appraisals.app import create_app
from appraisals.wiring import Container, build
from config.settings import Settings
from testkit.scenario import Org
from tests.api.conftest import Auth
from web.session import set_session_cookie


def test_every_api_answer_and_page_carries_the_security_headers(
    client: TestClient, auth: Auth, org: Org
) -> None:
    for path, headers in (
        (f"/v1/audit/aggregates/{org.review_id}", auth(org.auditor)),
        ("/", {}),
        ("/v1/nowhere", {}),
    ):
        answer = client.get(path, headers=headers)
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in answer.headers  # plain http


def test_htmx_comes_from_our_own_origin_and_pages_have_no_inline_script(
    client: TestClient,
) -> None:
    page = client.get("/").text
    assert '<script src="/static/htmx.min.js"' in page
    assert "<script>" not in page and " style=" not in page
    assert client.get("/static/htmx.min.js").status_code == 200


def test_hsts_under_https(client: TestClient) -> None:
    answer = client.get("https://testserver/healthz")
    assert answer.headers["strict-transport-security"].startswith("max-age=")


@pytest.fixture
def make_client(pg_url: str) -> Iterator[object]:
    built: list[tuple[Container, TestClient]] = []

    def make(peer: str = "testclient", **overrides: Any) -> tuple[Container, TestClient]:
        settings = Settings(database_url=pg_url, context_cache_ttl=0, **overrides)
        container = build(settings, run_projections=False)
        client = TestClient(create_app(container=container), client=(peer, 50000))
        client.__enter__()
        built.append((container, client))
        return container, client

    yield make
    for container, client in built:
        client.__exit__(None, None, None)
        container.close()


def test_forwarded_headers_are_believed_only_from_trusted_proxies(make_client: object) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    proxies = "127.0.0.1/32"
    _, untrusted = make_client("198.51.100.7", trusted_proxies=proxies)  # type: ignore[operator]
    answer = untrusted.get("/healthz", headers=forwarded)
    assert "strict-transport-security" not in answer.headers
    _, trusted = make_client("127.0.0.1", trusted_proxies=proxies)  # type: ignore[operator]
    answer = trusted.get("/healthz", headers=forwarded)
    assert "strict-transport-security" in answer.headers


def test_the_session_cookie_is_secure_in_production(
    make_client: object, api_settings: Settings, org: Org
) -> None:
    strong = "s" * 40
    container, client = make_client(  # type: ignore[operator]
        env="production",
        jwt_secret=strong,
        pseudonym_key=strong,
        # The shared database's personal-data keys are wrapped by the suite's master key.
        privacy_master_key=api_settings.privacy_master_key,
    )
    token = mint_token(org.appraisee, secret=strong, issuer=api_settings.jwt_issuer)
    # The pasted-token sign-in is development only (docs/sign-in.md): gone in production.
    answer = client.post(
        "/session",
        data={"token": token},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert answer.status_code == 404
    # The cookie a production sign-in sets (web/session.py) is Secure, HttpOnly, Strict.
    from fastapi import Response
    from starlette.requests import Request

    request = Request(
        {"type": "http", "scheme": "http", "app": client.app, "headers": [], "path": "/"}
    )
    response = Response()
    set_session_cookie(request, response, "opaque-session-id")
    cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    del container


def test_headers_past_the_limit_are_a_431(client: TestClient) -> None:
    answer = client.get("/healthz", headers={"Authorization": "Bearer " + "a" * 64 * 1024})
    assert answer.status_code == 431
    assert client.get("/healthz?" + "x=" + "y" * 16 * 1024).status_code == 414


def test_sign_in_is_rate_limited_per_client(make_client: object) -> None:
    container, client = make_client(sign_in_rate_limit="3/minute")  # type: ignore[operator]
    site = {"Origin": "http://testserver"}
    codes = [client.post("/session", data={"token": "x"}, headers=site).status_code for _ in "1234"]
    assert codes == [422, 422, 422, 429]
    kinds = {e.kind.value for e in container.security.log.entries(trust_id=None, limit=1000)}
    assert {"failed-sign-in", "rate-limited"} <= kinds


def test_failed_authentication_is_rate_limited_per_client(
    make_client: object, auth: Auth, org: Org
) -> None:
    _, client = make_client(failed_auth_rate_limit="3/minute")  # type: ignore[operator]
    bad = {"Authorization": "Bearer not.a.token"}
    codes = [client.get("/v1/audit/events", headers=bad).status_code for _ in "1234"]
    assert codes == [401, 401, 401, 429]
    # Past the limit even a good token waits: guessing is throttled per client.
    limited = client.get("/v1/audit/events", headers=auth(org.auditor))
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_failed_authentication_limits_are_shared_through_redis(
    make_client: object, redis_namespace: str
) -> None:
    from tests.conftest import REDIS_URL

    settings = {
        "failed_auth_rate_limit": "2/minute",
        "redis_url": REDIS_URL,
        "redis_namespace": redis_namespace,
    }
    _, first = make_client(**settings)  # type: ignore[operator]
    _, second = make_client(**settings)  # type: ignore[operator]
    bad = {"Authorization": "Bearer not.a.token"}
    assert first.get("/v1/audit/events", headers=bad).status_code == 401
    assert second.get("/v1/audit/events", headers=bad).status_code == 401
    assert first.get("/v1/audit/events", headers=bad).status_code == 429
