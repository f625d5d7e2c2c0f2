"""OpenID Connect sign-in: the authorization code flow with PKCE, state and nonce.

Authlib builds the authorization request (PKCE S256 challenge, state, nonce) and redeems the
code; joserfc (Authlib's JOSE library) verifies the ID token's signature against the
provider's published keys (JWKS) and its claims: issuer, audience (and ``azp`` when there
are several), expiry, issued-at, and the nonce of this sign-in. Nothing here hand-rolls
cryptography. Discovery and keys are cached; a token signed with a key not yet seen makes
the keys be fetched again once (the provider rotated them).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from config.settings import OidcProviderSettings

DISCOVERY_TTL = 3600.0
HTTP_TIMEOUT = 10.0


class SignInFailed(Exception):
    """The provider's answer cannot be trusted or used; ``reason`` is safe to show."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail or reason


@dataclass(frozen=True, slots=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Started:
    url: str
    state: str
    nonce: str
    code_verifier: str


class OidcClient:
    """One provider's client: discovery, the authorization request, code and ID token."""

    def __init__(
        self,
        provider: OidcProviderSettings,
        *,
        clock: Callable[[], float] = time.time,
        leeway: int = 60,
    ) -> None:
        self.provider = provider
        self.clock = clock
        self.leeway = leeway
        self._lock = threading.Lock()
        self._metadata: tuple[float, Metadata] | None = None
        self._keys: KeySet | None = None
        self._http = requests.Session()

    # ------------------------------------------------------------------ discovery and keys

    def metadata(self) -> Metadata:
        with self._lock:
            cached = self._metadata
        if cached is not None and time.monotonic() - cached[0] < DISCOVERY_TTL:
            return cached[1]
        url = self.provider.issuer + "/.well-known/openid-configuration"
        doc = self._get_json(url)
        issuer = str(doc.get("issuer", ""))
        if issuer.rstrip("/") != self.provider.issuer:
            raise SignInFailed(
                "the identity provider is misconfigured",
                f"discovery at {url} names issuer {issuer!r}, not {self.provider.issuer!r}",
            )
        try:
            meta = Metadata(
                issuer=issuer,
                authorization_endpoint=str(doc["authorization_endpoint"]),
                token_endpoint=str(doc["token_endpoint"]),
                jwks_uri=str(doc["jwks_uri"]),
                algorithms=tuple(doc.get("id_token_signing_alg_values_supported") or ("RS256",)),
            )
        except KeyError as e:
            raise SignInFailed(
                "the identity provider is misconfigured", f"no {e} in discovery"
            ) from e
        with self._lock:
            self._metadata = (time.monotonic(), meta)
        return meta

    def keys(self, *, refresh: bool = False) -> KeySet:
        with self._lock:
            keys = self._keys
        if keys is not None and not refresh:
            return keys
        try:
            keys = KeySet.import_key_set(self._get_json(self.metadata().jwks_uri))  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError) as e:
            raise SignInFailed("the identity provider's keys cannot be read", str(e)) from e
        with self._lock:
            self._keys = keys
        return keys

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = self._http.get(url, timeout=HTTP_TIMEOUT)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as e:
            raise SignInFailed("the identity provider cannot be reached", f"{url}: {e}") from e
        if not isinstance(data, dict):
            raise SignInFailed("the identity provider answered nonsense", url)
        return data

    # ------------------------------------------------------------------------- the flow

    def _session(self, redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(
            client_id=self.provider.client_id,
            client_secret=self.provider.client_secret.get_secret_value(),
            scope=self.provider.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )

    def begin(self, redirect_uri: str) -> Started:
        """The provider's authorization URL for a new sign-in, and what to keep for its end."""
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        with self._session(redirect_uri) as oauth:
            url, _ = oauth.create_authorization_url(
                self.metadata().authorization_endpoint,
                state=state,
                nonce=nonce,
                code_verifier=verifier,
            )
        return Started(str(url), state, nonce, verifier)

    def finish(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> dict[str, Any]:
        """Redeem the code (with the PKCE verifier) and return the verified ID token claims."""
        meta = self.metadata()
        with self._session(redirect_uri) as oauth:
            try:
                token = oauth.fetch_token(
                    meta.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                    timeout=HTTP_TIMEOUT,
                )
            except OAuthError as e:
                raise SignInFailed(
                    "the identity provider did not accept this sign-in",
                    f"token endpoint: {e.error}: {e.description}",
                ) from e
            except requests.RequestException as e:
                raise SignInFailed("the identity provider cannot be reached", str(e)) from e
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed("the identity provider sent no ID token")
        return self.verify_id_token(id_token, nonce=nonce)

    def verify_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """The claims of an ID token meant for this client and this sign-in, else refused."""
        claims = self._verify(
            id_token,
            audience=self.provider.client_id,
            extra={"nonce": {"essential": True, "value": nonce}, "iat": {"essential": True}},
        )
        aud = claims.get("aud")
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != self.provider.client_id:
            raise SignInFailed("the sign-in was meant for another application", "azp mismatch")
        return claims

    def verify_access_token(self, token: str) -> dict[str, Any]:
        """The claims of the provider's JWT access token for this service's API audience."""
        if self.provider.api_audience is None:
            raise SignInFailed("this provider's access tokens are not accepted")
        return self._verify(token, audience=self.provider.api_audience, extra={})

    def _verify(self, token: str, *, audience: str, extra: dict[str, Any]) -> dict[str, Any]:
        meta = self.metadata()
        algorithms = [a for a in meta.algorithms if a != "none"]
        try:
            try:
                decoded = jwt.decode(token, self.keys(), algorithms=algorithms)
            except (JoseError, ValueError) as e:
                if "key" not in str(e).lower() and not isinstance(e, BadSignatureError):
                    raise
                # Perhaps a rotated key: fetch the keys again, once.
                decoded = jwt.decode(token, self.keys(refresh=True), algorithms=algorithms)
            registry = jwt.JWTClaimsRegistry(
                now=int(self.clock()),
                leeway=self.leeway,
                iss={"essential": True, "value": meta.issuer},
                aud={"essential": True, "value": audience},
                sub={"essential": True},
                exp={"essential": True},
                **extra,
            )
            registry.validate(decoded.claims)
        except ExpiredTokenError as e:
            raise SignInFailed("the sign-in has expired; please sign in again", "expired") from e
        except BadSignatureError as e:
            raise SignInFailed("the sign-in's signature is not valid", "bad signature") from e
        except (InvalidClaimError, MissingClaimError) as e:
            claim = getattr(e, "claim", "") or str(e)
            raise SignInFailed(_CLAIM_REASONS.get(claim, "the sign-in is not valid"), str(e)) from e
        except (JoseError, ValueError) as e:
            raise SignInFailed("the sign-in is not valid", str(e)) from e
        return dict(decoded.claims)


_CLAIM_REASONS = {
    "aud": "the sign-in was meant for another application",
    "iss": "the sign-in came from another identity provider",
    "nonce": "the sign-in does not belong to this browser's request",
    "exp": "the sign-in has expired; please sign in again",
}
