"""FastAPI dependencies: the container, the authenticated principal, request headers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, NoReturn

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import InvalidToken, TokenClaims, verify_claims
from api.container import Container
from api.identity.oidc import SignInFailed
from api.identity.principals import from_personal_token, from_provider_token
from api.identity.service import Identity
from api.identity.tokens import looks_like_personal_token
from api.params import ExpectedVersion, IdempotencyKey
from api.problems import RateLimited, Unauthenticated
from api.security.log import SecurityEventKind
from api.security.ratelimit import FAILED_AUTH
from commands.principal import Principal
from commands.service import CommandService

bearer = HTTPBearer(
    auto_error=False,
    description="A personal API token (`apl_...`), a trust provider's access token, or (in"
    " development) a JWT from `appraisals token`",
)


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def client_address(request: Request) -> str:
    """The caller's address (after trusted proxies' X-Forwarded-For, see appraisals/app.py)."""
    return request.client.host if request.client else "unknown"


def authenticate(request: Request, token: str) -> TokenClaims:
    """Verify a bearer token (API header or dashboard cookie) for this request.

    Refused tokens are recorded in the security log and count towards the caller's
    failed-authentication limit; past it, every attempt is 429 until the window moves on.
    """
    container = get_container(request)
    settings, security = container.settings, container.security
    client = client_address(request)
    verdict = security.limits.check(FAILED_AUTH, client)
    if not verdict.allowed:
        raise RateLimited("too many failed authentications; wait", retry_after=verdict.retry_after)
    try:
        claims = verify_claims(
            token,
            secret=settings.jwt_secret.get_secret_value(),
            issuer=settings.jwt_issuer,
            max_ttl=timedelta(minutes=settings.jwt_max_ttl_minutes),
        )
    except InvalidToken as e:
        security.limits.hit(FAILED_AUTH, client)
        security.log.record(
            SecurityEventKind.FAILED_AUTHENTICATION,
            client=client,
            method=request.method,
            path=request.url.path,
            detail=str(e),
        )
        raise
    if security.revocations.is_revoked(claims.jti):
        security.limits.hit(FAILED_AUTH, client)
        p = claims.principal
        security.log.record(
            SecurityEventKind.REVOKED_TOKEN_USED,
            client=client,
            method=request.method,
            path=request.url.path,
            trust_id=p.trust_id,
            actor_id=p.id,
            role=p.role.value,
            detail=f"token {claims.jti}",
        )
        raise InvalidToken("the token has been revoked")
    request.state.principal = claims.principal
    request.state.token = claims
    return claims


def get_claims(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> TokenClaims:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send a bearer token in the Authorization header")
    try:
        return authenticate(request, credentials.credentials)
    except InvalidToken as e:
        raise Unauthenticated(str(e)) from e


def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The principal of a personal API token, a trust provider's access token, or a JWT."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send a bearer token in the Authorization header")
    container = get_container(request)
    token = credentials.credentials
    identity = container.identity
    if identity is None:
        return _jwt_principal(request, token)
    if looks_like_personal_token(token):
        refuse = _refuser(request)
        found, why = from_personal_token(identity, container.commands.states, token)
        if found is None:
            refuse(why)
        principal = found
    elif (issuer := _provider_issuer(identity, token)) is not None:
        refuse = _refuser(request)
        try:
            principal = from_provider_token(
                identity, container.commands.states, container.projections.db, token, issuer
            )
        except SignInFailed as e:
            refuse(e.reason)
    else:
        return _jwt_principal(request, token)
    assert principal is not None
    request.state.principal = principal
    return principal


def _jwt_principal(request: Request, token: str) -> Principal:
    try:
        return authenticate(request, token).principal
    except InvalidToken as e:
        raise Unauthenticated(str(e)) from e


def _refuser(request: Request) -> Callable[[str], NoReturn]:
    """Checks the caller's failed-authentication limit; the refusal it returns records the
    failure (security log, limit) and answers 401."""
    container = get_container(request)
    security, client = container.security, client_address(request)
    verdict = security.limits.check(FAILED_AUTH, client)
    if not verdict.allowed:
        raise RateLimited("too many failed authentications; wait", retry_after=verdict.retry_after)

    def refuse(why: str) -> NoReturn:
        security.limits.hit(FAILED_AUTH, client)
        security.log.record(
            SecurityEventKind.FAILED_AUTHENTICATION,
            client=client,
            method=request.method,
            path=request.url.path,
            detail=why,
        )
        raise Unauthenticated(why)

    return refuse


def _provider_issuer(identity: Identity, token: str) -> str | None:
    """The issuer of a JWT from one of the trusts' providers (signature checked later)."""
    if not any(c.provider.api_audience for c in identity.providers.values()):
        return None
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return None
    if isinstance(issuer, str) and identity.provider_for_issuer(issuer) is not None:
        return issuer
    return None


async def get_commands(request: Request) -> CommandService:
    return get_container(request).commands


async def container_dependency(request: Request) -> Container:
    """``get_container`` as a dependency: ``async`` (no I/O), so no thread-pool hand-off."""
    return get_container(request)


AppContainer = Annotated[Container, Depends(container_dependency)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
Commands = Annotated[CommandService, Depends(get_commands)]
CurrentClaims = Annotated[TokenClaims, Depends(get_claims)]

__all__ = [
    "AppContainer",
    "Commands",
    "CurrentClaims",
    "CurrentPrincipal",
    "ExpectedVersion",
    "IdempotencyKey",
]
