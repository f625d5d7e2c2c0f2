"""Signing in to the dashboard: a server-side session named by an opaque cookie, and the
CSRF check.

The cookie holds only a random session id (``HttpOnly``, ``SameSite=Strict``, ``Secure`` in
production); the session itself is on the server (api/identity/sessions.py). On every
request the session's person is turned into a principal from the grants in force now, so a
revoked role or an ended session takes effect on the next request. State-changing forms are
also refused unless their ``Origin`` (or, failing that, ``Referer``) is this site.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit
from uuid import UUID

import orjson
from fastapi import Request, Response

from api.auth import InvalidToken, TokenClaims
from api.deps import authenticate, get_container
from api.identity.principals import standing_of
from api.identity.service import Identity
from api.identity.sessions import Session
from commands.access import Standing
from commands.principal import Principal
from events.base import Role

COOKIE = "appraisals_session"
# Binds a sign-in in flight to the browser that started it (sent on the provider's redirect
# back, so SameSite=Lax), for ten minutes.
SIGN_IN_COOKIE = "appraisals_sign_in"


class SignInRequired(Exception):
    """No valid session: the page sends the browser to the sign-in page."""


class CrossSiteRequest(Exception):
    """A state-changing request that did not come from one of this site's pages."""


@dataclass(frozen=True, slots=True)
class SignedInAs:
    session: Session
    principal: Principal
    standing: Standing | None  # None for a development token session (no person behind it)


def identity_of(request: Request) -> Identity:
    identity = get_container(request).identity
    assert identity is not None, "the wiring builds the identity parts"
    return identity


def production(request: Request) -> bool:
    return get_container(request).settings.is_production()


def secure_cookies(request: Request) -> bool:
    """Secure cookies in production always, and whenever the request came over https (as
    seen through trusted proxies only)."""
    return request.url.scheme == "https" or production(request)


def claims_from_token(request: Request, token: str) -> TokenClaims:
    """A pasted development token, verified as the API does: lifetime, revocation, the
    failed-attempt limit (the development sign-in only)."""
    return authenticate(request, token)


def principal_from_token(request: Request, token: str) -> Principal:
    return claims_from_token(request, token).principal


def principal_json(p: Principal, claims: TokenClaims | None = None) -> str:
    return orjson.dumps(
        {
            "id": str(p.id),
            "role": p.role.value,
            "trust_id": str(p.trust_id) if p.trust_id else None,
            "school_ids": sorted(str(s) for s in p.school_ids),
            # The pasted token's id and end: revoking it, or its expiry, ends the session.
            "jti": claims.jti if claims else None,
            "expires": claims.expires.isoformat() if claims else None,
        }
    ).decode()


def revoke_pasted_token(request: Request, raw: str) -> None:
    """Revoke the development token a session was started with (issue 10's revocations)."""
    data = orjson.loads(raw)
    if data.get("jti") and data.get("expires"):
        get_container(request).security.revocations.revoke(
            data["jti"],
            expires=datetime.fromisoformat(data["expires"]),
            by=UUID(data["id"]),
            reason="signed out",
            now=None,
        )


def _token_over(request: Request, raw: str) -> bool:
    data = orjson.loads(raw)
    if data.get("expires") and datetime.fromisoformat(data["expires"]) <= datetime.now(UTC):
        return True
    jti = data.get("jti")
    return bool(jti) and get_container(request).security.revocations.is_revoked(jti)


def _fixed(raw: str) -> Principal:
    data = orjson.loads(raw)
    return Principal(
        id=UUID(data["id"]),
        role=Role(data["role"]),
        trust_id=UUID(data["trust_id"]) if data["trust_id"] else None,
        school_ids=frozenset(UUID(s) for s in data["school_ids"]),
    )


def signed_in(request: Request) -> SignedInAs:
    """The session of this request and who it acts as now; else ``SignInRequired``."""
    cached = getattr(request.state, "signed_in", None)
    if isinstance(cached, SignedInAs):
        return cached
    secret = request.cookies.get(COOKIE)
    if not secret:
        raise SignInRequired
    sessions = identity_of(request).sessions
    session = sessions.find(secret)
    if session is None:
        raise SignInRequired
    if session.fixed_principal is not None:
        # Development sign-ins never work in production, nor past their token's end.
        if production(request) or _token_over(request, session.fixed_principal):
            sessions.end(secret)
            raise SignInRequired
        result = SignedInAs(session, _fixed(session.fixed_principal), None)
    else:
        assert session.person_id is not None
        standing = standing_of(get_container(request).commands.states, session.person_id)
        if standing is None:  # they left, or their record is gone: the session ends
            sessions.end(secret)
            raise SignInRequired
        role = Role(session.acting_role) if session.acting_role else None
        result = SignedInAs(session, standing.principal(role), standing)
    request.state.signed_in = result
    request.state.principal = result.principal
    return result


def current_principal(request: Request) -> Principal:
    return signed_in(request).principal


def set_session_cookie(request: Request, response: Response, secret: str) -> None:
    settings = get_container(request).settings
    response.set_cookie(
        COOKIE,
        secret,
        max_age=settings.session_absolute_hours * 3600,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="strict", secure=secure_cookies(request)
    )


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(
    origin: str | None, referer: str | None, site: str, fetch_site: str | None = None
) -> bool:
    """True when the request's ``Origin`` is ``site`` (``scheme://host[:port]``); when the
    browser sent no usable Origin (``null`` under ``Referrer-Policy: no-referrer``), when its
    ``Sec-Fetch-Site`` says ``same-origin``, or failing that its ``Referer`` is this site. A
    request with none of them is refused."""
    expected = _origin_of(site)
    if origin is not None and origin != "null":
        return _origin_of(origin) == expected
    if fetch_site is not None:
        return fetch_site == "same-origin"
    if referer:
        return _origin_of(referer) == expected
    return False


def check_same_origin(request: Request) -> None:
    site = f"{request.url.scheme}://{request.url.netloc}"
    headers = request.headers
    if not same_origin(
        headers.get("origin"), headers.get("referer"), site, headers.get("sec-fetch-site")
    ):
        raise CrossSiteRequest


__all__ = [
    "COOKIE",
    "SIGN_IN_COOKIE",
    "CrossSiteRequest",
    "InvalidToken",
    "SignInRequired",
    "SignedInAs",
    "check_same_origin",
    "claims_from_token",
    "clear_session_cookie",
    "current_principal",
    "principal_from_token",
    "secure_cookies",
    "set_session_cookie",
    "signed_in",
]
