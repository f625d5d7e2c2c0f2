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
from urllib.parse import urlsplit
from uuid import UUID

import orjson
from fastapi import Request, Response

from api.auth import InvalidToken, verify_token
from api.deps import get_container
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
    return get_container(request).settings.env == "production"


def principal_from_token(request: Request, token: str) -> Principal:
    """A pasted development token's principal (the development sign-in only)."""
    settings = get_container(request).settings
    return verify_token(
        token, secret=settings.jwt_secret.get_secret_value(), issuer=settings.jwt_issuer
    )


def principal_json(p: Principal) -> str:
    return orjson.dumps(
        {
            "id": str(p.id),
            "role": p.role.value,
            "trust_id": str(p.trust_id) if p.trust_id else None,
            "school_ids": sorted(str(s) for s in p.school_ids),
        }
    ).decode()


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
        if production(request):  # development sign-ins never work in production
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
        secure=production(request) or request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(origin: str | None, referer: str | None, site: str) -> bool:
    """True when the request's ``Origin`` (or its ``Referer`` when there is no Origin header)
    is ``site`` (``scheme://host[:port]``). A request with neither is refused."""
    expected = _origin_of(site)
    if origin is not None and origin != "null":
        return _origin_of(origin) == expected
    if referer:
        return _origin_of(referer) == expected
    return False


def check_same_origin(request: Request) -> None:
    site = f"{request.url.scheme}://{request.url.netloc}"
    if not same_origin(request.headers.get("origin"), request.headers.get("referer"), site):
        raise CrossSiteRequest


__all__ = [
    "COOKIE",
    "SIGN_IN_COOKIE",
    "CrossSiteRequest",
    "InvalidToken",
    "SignInRequired",
    "SignedInAs",
    "check_same_origin",
    "clear_session_cookie",
    "current_principal",
    "principal_from_token",
    "set_session_cookie",
    "signed_in",
]
