"""The OpenID Connect client against a real provider (oidc-provider on loopback): a real ID
token passes; one for another client, for another sign-in (nonce), expired, or with a
tampered signature is refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from pydantic import SecretStr

from api.identity.oidc import OidcClient, SignInFailed
from config.settings import OidcProviderSettings
from tests.oidc.provider import Client, Provider, running_provider, sign_in_without_browser

LEDGER = Client("ledger", "ledger-secret-0123456789", "http://127.0.0.1:9/signin/callback")
OTHER = Client("other-app", "other-secret-0123456789", "http://127.0.0.1:9/signin/callback")
ACCOUNTS = {"ann": {"email": "ann@oak.example", "email_verified": True, "name": "Ann Lee"}}


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with running_provider(tmp_path_factory.mktemp("op"), [LEDGER, OTHER], ACCOUNTS) as p:
        yield p


def client_for(provider: Provider, c: Client, **kwargs: object) -> OidcClient:
    settings = OidcProviderSettings(
        key="oak",
        trust_id=uuid4(),
        label="Oak",
        issuer=provider.issuer,
        client_id=c.client_id,
        client_secret=SecretStr(c.client_secret),
        email_domains=["oak.example"],
    )
    return OidcClient(settings, **kwargs)  # type: ignore[arg-type]


def id_token_of(client: OidcClient, redirect_uri: str) -> tuple[str, str]:
    """A real ID token for ``client`` (and its nonce), through the provider's login page."""
    started = client.begin(redirect_uri)
    answer = sign_in_without_browser(started.url, "ann")
    assert answer["state"] == started.state
    meta = client.metadata()
    with client._session(redirect_uri) as oauth:
        token = oauth.fetch_token(
            meta.token_endpoint,
            grant_type="authorization_code",
            code=answer["code"],
            code_verifier=started.code_verifier,
        )
    return str(token["id_token"]), started.nonce


def test_the_authorization_request_carries_pkce_state_and_nonce(provider: Provider) -> None:
    started = client_for(provider, LEDGER).begin(LEDGER.redirect_uri)
    assert "code_challenge_method=S256" in started.url
    assert "code_challenge=" in started.url
    assert f"state={started.state}" in started.url
    assert f"nonce={started.nonce}" in started.url


def test_a_whole_code_flow_gives_the_verified_claims(provider: Provider) -> None:
    client = client_for(provider, LEDGER)
    started = client.begin(LEDGER.redirect_uri)
    answer = sign_in_without_browser(started.url, "ann")
    claims = client.finish(
        code=answer["code"],
        redirect_uri=LEDGER.redirect_uri,
        code_verifier=started.code_verifier,
        nonce=started.nonce,
    )
    assert claims["sub"] == "ann"
    assert claims["email"] == "ann@oak.example"
    assert claims["email_verified"] is True
    assert claims["aud"] == "ledger"


def test_a_code_redeemed_without_its_pkce_verifier_is_refused(provider: Provider) -> None:
    client = client_for(provider, LEDGER)
    started = client.begin(LEDGER.redirect_uri)
    answer = sign_in_without_browser(started.url, "ann")
    with pytest.raises(SignInFailed, match="did not accept"):
        client.finish(
            code=answer["code"],
            redirect_uri=LEDGER.redirect_uri,
            code_verifier="x" * 64,
            nonce=started.nonce,
        )


def test_an_id_token_for_another_client_is_refused(provider: Provider) -> None:
    token, nonce = id_token_of(client_for(provider, OTHER), OTHER.redirect_uri)
    with pytest.raises(SignInFailed, match="another application"):
        client_for(provider, LEDGER).verify_id_token(token, nonce=nonce)


def test_an_id_token_of_another_sign_in_is_refused_by_its_nonce(provider: Provider) -> None:
    client = client_for(provider, LEDGER)
    token, nonce = id_token_of(client, LEDGER.redirect_uri)
    assert client.verify_id_token(token, nonce=nonce)["sub"] == "ann"
    with pytest.raises(SignInFailed, match="does not belong to this browser"):
        client.verify_id_token(token, nonce=nonce[::-1])


def test_an_expired_id_token_is_refused(provider: Provider) -> None:
    token, nonce = id_token_of(client_for(provider, LEDGER), LEDGER.redirect_uri)
    two_hours_on = client_for(provider, LEDGER, clock=lambda: time.time() + 2 * 3600)
    with pytest.raises(SignInFailed, match="expired"):
        two_hours_on.verify_id_token(token, nonce=nonce)


def test_an_id_token_with_a_tampered_payload_or_signature_is_refused(provider: Provider) -> None:
    client = client_for(provider, LEDGER)
    token, nonce = id_token_of(client, LEDGER.redirect_uri)
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    with pytest.raises(SignInFailed):
        client.verify_id_token(f"{header}.{payload}.{flipped}", nonce=nonce)
    other_token, _ = id_token_of(client, LEDGER.redirect_uri)
    other_payload = other_token.split(".")[1]
    with pytest.raises(SignInFailed):
        client.verify_id_token(f"{header}.{other_payload}.{signature}", nonce=nonce)


def test_a_provider_whose_discovery_names_another_issuer_is_refused(provider: Provider) -> None:
    settings = OidcProviderSettings(
        key="oak",
        trust_id=uuid4(),
        label="Oak",
        issuer=provider.issuer.replace("127.0.0.1", "localhost"),
        client_id=LEDGER.client_id,
        client_secret=SecretStr(LEDGER.client_secret),
        email_domains=["oak.example"],
    )
    with pytest.raises(SignInFailed, match="misconfigured"):
        OidcClient(settings).metadata()


def test_an_unreachable_provider_is_a_clear_refusal(tmp_path: Path) -> None:
    del tmp_path
    settings = OidcProviderSettings(
        key="oak",
        trust_id=uuid4(),
        label="Oak",
        issuer="http://127.0.0.1:9",
        client_id="x",
        client_secret=SecretStr("y"),
        email_domains=["oak.example"],
    )
    with pytest.raises(SignInFailed, match="cannot be reached"):
        OidcClient(settings).begin("http://127.0.0.1:9/signin/callback")
