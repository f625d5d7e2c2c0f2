"""The dashboard's door: sign in through the trust's OpenID provider, sign out, and (in
development only) sign in as one of the demo's people with one click or a pasted token.

``/signin/{provider}`` starts the authorization code flow (PKCE, state, nonce) and binds it
to this browser with a short-lived cookie; ``/signin/callback`` checks that binding and the
state, redeems the code, verifies the ID token and matches the person, then starts a
server-side session. Every refusal shows a page saying why in plain words and is written to
the security log.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import InvalidToken
from api.deps import client_address, get_container
from api.identity.oidc import SignInFailed
from api.identity.people import match_person
from api.identity.principals import standing_of
from api.identity.sessions import Pending, digest
from api.problems import RateLimited
from api.security.log import SecurityEventKind
from api.security.ratelimit import SIGN_IN
from projections import access as access_model
from projections.engine.common import select
from projections.review_status import REVIEWS
from web.render import PageNotFound, page
from web.session import (
    COOKIE,
    SIGN_IN_COOKIE,
    SignInRequired,
    check_same_origin,
    claims_from_token,
    clear_session_cookie,
    identity_of,
    principal_json,
    production,
    revoke_pasted_token,
    secure_cookies,
    set_session_cookie,
    signed_in,
)

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


def record_refusal(request: Request, detail: str, trust_id: UUID | None = None) -> None:
    """A refused sign-in, in the security log for the trust to review."""
    get_container(request).security.log.record(
        SecurityEventKind.FAILED_SIGN_IN,
        client=client_address(request),
        method=request.method,
        path=request.url.path,
        detail=detail,
        trust_id=trust_id,
    )
    log.info("sign-in refused: %s", detail)


def too_many(request: Request) -> HTMLResponse | None:
    """Past the caller's sign-in limit: the refusal page (429), recorded; else None."""
    container = get_container(request)
    client = client_address(request)
    verdict = container.security.limits.hit(SIGN_IN, client)
    if verdict.allowed:
        return None
    container.security.log.record(
        SecurityEventKind.RATE_LIMITED,
        client=client,
        method=request.method,
        path=request.url.path,
        detail="sign-in attempts past the limit",
    )
    response = refused(
        request,
        "Too many sign-in attempts from here; wait a minute and try again.",
        status_code=429,
    )
    response.headers["Retry-After"] = str(verdict.retry_after)
    return response


def refused(request: Request, reason: str, *, status_code: int = 403) -> HTMLResponse:
    response = page(request, "refused.html", None, reason=reason, status_code=status_code)
    response.delete_cookie(SIGN_IN_COOKIE, path="/signin")
    return response


def redirect_uri(request: Request) -> str:
    public = get_container(request).settings.public_url
    base = public.rstrip("/") if public else f"{request.url.scheme}://{request.url.netloc}"
    return base + "/signin/callback"


def demo_people(request: Request) -> list[tuple[str, str, access_model.PersonView]]:
    """The demo's people to sign in as (development): role holders, and a few members of
    staff with reviews, with what each will see."""
    db = get_container(request).projections.db
    picks: list[tuple[str, UUID]] = []
    for g in access_model.grants_held(db, limit=12):
        picks.append((g.role.replace("_", " "), g.person_id))
    reviews = select(
        db, REVIEWS, "stage <> ?", [("text", "complete")], "ORDER BY review_id LIMIT 2"
    )
    for r in reviews:
        picks.append(("appraiser", r["appraiser_id"]))
        picks.append(("member of staff", r["appraisee_id"]))
    found = {p.person_id: p for p in access_model.people(db, [pid for _, pid in picks])}
    labels: dict[UUID, list[str]] = {}
    for label, pid in picks:
        if pid in found and label not in labels.setdefault(pid, []):
            labels[pid].append(label)
    return [(", ".join(held), str(pid), found[pid]) for pid, held in labels.items()]


@router.get("/", response_class=HTMLResponse)
def sign_in_page(request: Request) -> Response:
    try:
        signed_in(request)
        return RedirectResponse("/home", status_code=303)
    except SignInRequired:
        pass
    identity = identity_of(request)
    development = not production(request)
    return page(
        request,
        "sign_in.html",
        None,
        providers=[c.provider for c in identity.providers.values()],
        development=development,
        people=demo_people(request) if development else [],
    )


@router.get("/signin/callback", response_class=HTMLResponse)
def callback(
    request: Request,
    state: Annotated[str, Query(max_length=200)] = "",
    code: Annotated[str, Query(max_length=2000)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
    error_description: Annotated[str, Query(max_length=2000)] = "",
    error_uri: Annotated[str, Query(max_length=2000)] = "",
    iss: Annotated[str, Query(max_length=500)] = "",
    session_state: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    """The provider's answer (RFC 6749 4.1.2, with RFC 9207's ``iss``)."""
    del error_uri, session_state  # sent by some providers; nothing to use them for
    identity = identity_of(request)
    pending = identity.sessions.take_pending(state) if state else None
    if pending is None:
        record_refusal(request, "callback with an unknown, used or expired state")
        return refused(request, "This sign-in has expired or was already used. Please start again.")
    client = identity.providers.get(pending.provider)
    trust_id = client.provider.trust_id if client else None
    binding = request.cookies.get(SIGN_IN_COOKIE, "")
    if not binding or not secrets.compare_digest(digest(binding), pending.browser):
        record_refusal(request, "callback in a browser that did not start the sign-in", trust_id)
        return refused(request, "This sign-in was started in another browser. Please start again.")
    if client is None:
        raise PageNotFound
    if iss and iss.rstrip("/") != client.provider.issuer:
        # RFC 9207: the answer came from another provider than the one asked (mix-up).
        record_refusal(request, f"answer from issuer {iss!r}", trust_id)
        return refused(request, "The answer came from another identity provider.")
    if error:
        record_refusal(request, f"provider answered {error}: {error_description}", trust_id)
        return refused(request, "The identity provider did not sign you in. Please try again.")
    container = get_container(request)
    try:
        claims = client.finish(
            code=code,
            redirect_uri=redirect_uri(request),
            code_verifier=pending.code_verifier,
            nonce=pending.nonce,
        )
        today = datetime.now(UTC).date()
        person_id = match_person(
            container.projections.db, identity.links, client.provider, claims, today=today
        )
        standing = standing_of(container.commands.states, person_id)
        if standing is None:
            raise SignInFailed("this person can no longer sign in", f"leaver {person_id}")
    except SignInFailed as e:
        record_refusal(request, f"{client.provider.key}: {e.detail}", trust_id)
        return refused(request, f"You could not be signed in: {e.reason}.")
    secret, _ = identity.sessions.start(
        person_id=person_id,
        trust_id=client.provider.trust_id,
        method="oidc",
        client=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    return _signed_in(request, secret, pending.next_path)


def _signed_in(request: Request, secret: str, next_path: str = "/home") -> Response:
    # A page that moves on by itself: a redirect chain that began at the provider is
    # cross-site, and the browser would not send the SameSite=Strict cookie on it.
    response = page(request, "signed_in.html", None, next_path=next_path)
    set_session_cookie(request, response, secret)
    response.delete_cookie(SIGN_IN_COOKIE, path="/signin")
    return response


@router.get("/signin/{key}")
def start(request: Request, key: str) -> Response:
    identity = identity_of(request)
    client = identity.providers.get(key)
    if client is None:
        raise PageNotFound
    if (limited := too_many(request)) is not None:
        return limited
    try:
        started = client.begin(redirect_uri(request))
    except SignInFailed as e:
        record_refusal(request, f"{key}: {e.detail}", client.provider.trust_id)
        return refused(request, f"Signing in is not possible now: {e.reason}.", status_code=503)
    binding = secrets.token_urlsafe(32)
    identity.sessions.put_pending(
        Pending(
            state=started.state,
            provider=key,
            nonce=started.nonce,
            code_verifier=started.code_verifier,
            browser=digest(binding),
            created_at=datetime.now(UTC),
        )
    )
    response = RedirectResponse(started.url, status_code=303)
    response.set_cookie(
        SIGN_IN_COOKIE,
        binding,
        max_age=600,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/signin",
    )
    return response


# ------------------------------------------------------------------- development only


def _development(request: Request) -> None:
    if production(request):
        raise PageNotFound


@router.post("/signin/development/{person_id}", response_class=HTMLResponse)
def sign_in_as(request: Request, person_id: UUID) -> Response:
    """Development: sign in as one of the demo's people (no provider)."""
    _development(request)
    check_same_origin(request)
    if (limited := too_many(request)) is not None:
        return limited
    container = get_container(request)
    standing = standing_of(container.commands.states, person_id)
    if standing is None:
        raise PageNotFound
    secret, _ = identity_of(request).sessions.start(
        person_id=person_id,
        trust_id=standing.person.trust_id,
        method="development",
        client=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    response = RedirectResponse("/home", status_code=303)
    set_session_cookie(request, response, secret)
    return response


@router.post("/session", response_class=HTMLResponse)
def sign_in_with_token(request: Request, token: Annotated[str, Form()] = "") -> Response:
    """Development: sign in with a pasted bearer token from `appraisals token`."""
    _development(request)
    check_same_origin(request)
    if (limited := too_many(request)) is not None:
        return limited
    try:
        claims = claims_from_token(request, token.strip())
    except (InvalidToken, RateLimited) as e:
        record_refusal(request, f"development token refused: {e}")
        return page(
            request,
            "sign_in.html",
            None,
            error=str(e),
            providers=[c.provider for c in identity_of(request).providers.values()],
            development=True,
            people=demo_people(request),
            status_code=422,
        )
    secret, _ = identity_of(request).sessions.start(
        person_id=None,
        trust_id=claims.principal.trust_id,
        method="development-token",
        fixed_principal=principal_json(claims.principal, claims),
        client=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    response = RedirectResponse("/home", status_code=303)
    set_session_cookie(request, response, secret)
    return response


# ------------------------------------------------------------------------- signing out


@router.post("/session/end")
def sign_out(request: Request) -> Response:
    """End this session, everywhere (the server forgets it)."""
    check_same_origin(request)
    secret = request.cookies.get(COOKIE)
    if secret:
        sessions = identity_of(request).sessions
        session = sessions.find(secret)
        if session is not None and session.fixed_principal is not None:
            # A pasted development token is revoked too, so it signs nothing in again.
            revoke_pasted_token(request, session.fixed_principal)
        sessions.end(secret)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(request, response)
    return response
