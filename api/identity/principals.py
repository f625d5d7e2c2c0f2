"""Turning what a request carries (a personal token, a provider's access token) into the
principal of a person, from the grants in force now."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from api.identity.oidc import SignInFailed
from api.identity.people import match_person
from api.identity.service import Identity
from commands.access import Standing, standing
from commands.principal import Principal
from commands.states import StateCache
from projections.engine.db import Database


def today() -> datetime:
    return datetime.now(UTC)


def standing_of(states: StateCache, person_id: UUID) -> Standing | None:
    return standing(states, person_id, today=today().date())


def from_personal_token(
    identity: Identity, states: StateCache, secret: str
) -> tuple[Principal | None, str]:
    """The principal a personal token acts as, or None and why not."""
    token = identity.tokens.verify(secret)
    if token is None:
        return None, "the token is unknown, expired or revoked"
    person = standing_of(states, token.person_id)
    if person is None:
        return None, "the token's owner can no longer sign in"
    return person.principal(read_only=token.scope.value == "read"), ""


def from_provider_token(
    identity: Identity, states: StateCache, db: Database, token: str, issuer: str
) -> Principal:
    """The principal of a trust provider's JWT access token (``api_audience`` configured)."""
    client = identity.provider_for_issuer(issuer)
    if client is None or client.provider.api_audience is None:
        raise SignInFailed("tokens of this issuer are not accepted")
    claims = client.verify_access_token(token)
    person_id = match_person(db, identity.links, client.provider, claims, today=today().date())
    person = standing_of(states, person_id)
    if person is None:
        raise SignInFailed("this person can no longer sign in")
    return person.principal()
