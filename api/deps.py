"""FastAPI dependencies: the container, the authenticated principal, request headers."""

from __future__ import annotations

from typing import Annotated

import jwt
from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import InvalidToken, verify_token
from api.identity.oidc import SignInFailed
from api.identity.principals import from_personal_token, from_provider_token
from api.identity.service import Identity
from api.identity.tokens import looks_like_personal_token
from api.problems import PreconditionFailed, Unauthenticated
from appraisals.wiring import Container
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


def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send a bearer token in the Authorization header")
    container = get_container(request)
    settings = container.settings
    token = credentials.credentials
    identity = container.identity
    if identity is not None and looks_like_personal_token(token):
        found, why = from_personal_token(identity, container.commands.states, token)
        if found is None:
            raise Unauthenticated(why)
        principal = found
    elif identity is not None and (issuer := _provider_issuer(identity, token)) is not None:
        try:
            principal = from_provider_token(
                identity, container.commands.states, container.projections.db, token, issuer
            )
        except SignInFailed as e:
            raise Unauthenticated(e.reason) from e
    else:
        try:
            principal = verify_token(
                token,
                secret=settings.jwt_secret.get_secret_value(),
                issuer=settings.jwt_issuer,
            )
        except InvalidToken as e:
            raise Unauthenticated(str(e)) from e
    request.state.principal = principal
    return principal


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


def get_commands(request: Request) -> CommandService:
    return get_container(request).commands


def expected_version(
    if_match: Annotated[
        str | None,
        Header(description='The version you last saw, as its ETag (`"3"`); 412 if stale'),
    ] = None,
) -> int | None:
    if if_match is None:
        return None
    value = if_match.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit():
        raise PreconditionFailed('If-Match must be an ETag like "3"')
    return int(value)


def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Any unique string (e.g. a UUID); a retry with it records nothing new",
            min_length=1,
            max_length=200,
        ),
    ] = None,
) -> str | None:
    return key


AppContainer = Annotated[Container, Depends(get_container)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
Commands = Annotated[CommandService, Depends(get_commands)]
ExpectedVersion = Annotated[int | None, Depends(expected_version)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]
