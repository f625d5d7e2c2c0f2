"""The door's parts, built once per process from settings: sessions, tokens, providers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from api.identity.oidc import OidcClient
from api.identity.people import SubjectLinks
from api.identity.sessions import RedisSessions, Sessions, SqlSessions
from api.identity.tokens import PersonalTokens
from config.settings import Settings
from projections.engine.db import Database


@dataclass
class Identity:
    sessions: Sessions
    tokens: PersonalTokens
    links: SubjectLinks
    providers: dict[str, OidcClient] = field(default_factory=dict)

    def provider_for_issuer(self, issuer: str) -> OidcClient | None:
        issuer = issuer.rstrip("/")
        return next((c for c in self.providers.values() if c.provider.issuer == issuer), None)


def build_identity(settings: Settings, db: Database) -> Identity:
    timeouts = {
        "idle": timedelta(minutes=settings.session_idle_minutes),
        "absolute": timedelta(hours=settings.session_absolute_hours),
    }
    sessions: Sessions
    if settings.redis_url:
        sessions = RedisSessions(settings.redis_url, settings.redis_namespace, **timeouts)
    else:
        sessions = SqlSessions(db, **timeouts)
    identity = Identity(
        sessions=sessions,
        tokens=PersonalTokens(db),
        links=SubjectLinks(db),
        providers={p.key: OidcClient(p) for p in settings.oidc_providers},
    )
    for part in (identity.sessions, identity.tokens, identity.links):
        part.ensure()
    return identity
