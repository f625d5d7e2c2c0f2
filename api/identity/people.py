"""Matching who the provider vouched for to a person of the trust, or refusing them.

The first sign-in matches the provider's verified email, within the domains configured for
the trust, to a person of that trust who has not left; the provider's subject id is then
stored, so later sign-ins match by subject even if the email changes. Anyone else is
refused with a reason they can read (and the refusal goes to the security log).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from api.identity.oidc import SignInFailed
from config.settings import OidcProviderSettings
from projections import access as people
from projections.engine.db import Database


class SubjectLinks:
    """(issuer, subject) -> person: who a provider's account turned out to be."""

    def __init__(self, db: Database, clock: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self.clock = clock or (lambda: datetime.now(UTC))

    def ensure(self) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "CREATE TABLE IF NOT EXISTS sign_in_subjects (issuer TEXT NOT NULL,"
                " subject TEXT NOT NULL, person_id TEXT NOT NULL, linked_at TEXT NOT NULL,"
                " PRIMARY KEY (issuer, subject))"
            )

    def find(self, issuer: str, subject: str) -> UUID | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.query(
                "SELECT person_id FROM sign_in_subjects WHERE issuer = ? AND subject = ?",
                [issuer, subject],
            )
        return UUID(str(rows[0][0])) if rows else None

    def link(self, issuer: str, subject: str, person_id: UUID) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM sign_in_subjects WHERE issuer = ? AND subject = ?", [issuer, subject]
            )
            tx.execute(
                "INSERT INTO sign_in_subjects (issuer, subject, person_id, linked_at)"
                " VALUES (?, ?, ?, ?)",
                [issuer, subject, str(person_id), self.clock().isoformat()],
            )


def email_of(provider: OidcProviderSettings, claims: dict[str, Any]) -> str:
    """The provider-verified email in the claims, within the trust's domains; else refused."""
    email = claims.get(provider.email_claim)
    if not isinstance(email, str) or "@" not in email:
        raise SignInFailed(
            "your account at the identity provider has no email address we can use",
            f"no {provider.email_claim} claim",
        )
    email = email.strip().lower()
    if provider.require_verified_email and claims.get("email_verified") is not True:
        raise SignInFailed(
            f"the identity provider has not verified {email}", "email_verified is not true"
        )
    domain = email.rsplit("@", 1)[1]
    if domain not in provider.email_domains:
        raise SignInFailed(
            f"accounts of {domain} cannot sign in here", f"{email}: domain not allowed"
        )
    return email


def match_person(
    db: Database,
    links: SubjectLinks,
    provider: OidcProviderSettings,
    claims: dict[str, Any],
    *,
    today: date,
) -> UUID:
    """The person of the provider's trust these verified claims are; else ``SignInFailed``."""
    subject = str(claims["sub"])
    linked = links.find(provider.issuer, subject)
    if linked is not None:
        found = people.person(db, linked)
        if found is not None and found.trust_id == provider.trust_id:
            if found.has_left(today):
                raise SignInFailed(
                    f"{found.name} has left the trust: this account can no longer sign in",
                    f"leaver {found.person_id} (by subject)",
                )
            return found.person_id
    email = email_of(provider, claims)
    candidates = [p for p in people.people_by_email(db, email) if p.trust_id == provider.trust_id]
    if not candidates:
        raise SignInFailed(
            f"no one with the email address {email} works at this trust: ask your "
            "trust's administrator to check your staff record",
            f"unknown email {email}",
        )
    current = [p for p in candidates if not p.has_left(today)]
    if not current:
        raise SignInFailed(
            f"{email} belongs to someone who has left the trust: it can no longer sign in",
            f"leaver {candidates[0].person_id} ({email})",
        )
    person = current[0]
    links.link(provider.issuer, subject, person.person_id)
    return person.person_id
