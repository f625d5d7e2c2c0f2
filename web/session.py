"""Signing in to the dashboard: a bearer token kept in an HttpOnly cookie, and the CSRF check.

The cookie is ``SameSite=Strict``; state-changing forms are also refused unless their
``Origin`` (or, failing that, ``Referer``) is this site, so a cross-site form post never runs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from api.auth import InvalidToken, TokenClaims
from api.deps import authenticate, get_container
from commands.principal import Principal

COOKIE = "appraisals_session"


class SignInRequired(Exception):
    """No valid session: the page sends the browser to the sign-in page."""


class CrossSiteRequest(Exception):
    """A state-changing request that did not come from one of this site's pages."""


def claims_from_token(request: Request, token: str) -> TokenClaims:
    """Verify a token as the API does: lifetime, revocation, the failed-attempt limit."""
    return authenticate(request, token)


def principal_from_token(request: Request, token: str) -> Principal:
    return claims_from_token(request, token).principal


def current_principal(request: Request) -> Principal:
    """The signed-in principal, verified on every request (an expired or revoked token signs
    you out)."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInRequired
    try:
        return principal_from_token(request, token)
    except InvalidToken as e:
        raise SignInRequired from e


def secure_cookies(request: Request) -> bool:
    """Secure cookies in production always, and whenever the request came over https (as
    seen through trusted proxies only)."""
    return request.url.scheme == "https" or get_container(request).settings.is_production()


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
