"""access: who holds which role, from when to when, granted by whom and why; and the people
sign-in matches (email, name, leaving date).

``access_grants`` has one row per grant with its grant and revocation (times, actors,
reasons, log positions), so "who could see what, when" is one indexed query: the grants in
force at a moment are those granted by then and not yet revoked. ``access_people`` is the
index sign-in matches a verified email against, and gives every grant a person's name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from events import access as ac
from events import staff as st
from events.base import DomainEvent
from events.sealing import ERASED_PERSON
from projections.engine.common import as_model, of_type, originators, select, when
from projections.engine.core import Event, Handler, Handlers, Projection, id_text
from projections.engine.db import Column, ColumnType, Database, Table
from projections.engine.workset import Batch

PEOPLE = Table(
    "access_people",
    (
        Column("person_id", "id", False),
        Column("trust_id", "id", False),
        Column("name", "text", False),
        Column("email", "text", False),
        Column("job_title", "text", False),
        Column("left_on", "date"),
    ),
    key=("person_id",),
    indexes=(("email",), ("trust_id", "name")),
)
GRANTS = Table(
    "access_grants",
    (
        Column("grant_id", "id", False),
        Column("trust_id", "id", False),
        Column("person_id", "id", False),
        Column("role", "text", False),
        Column("school_ids", "json", False),
        Column("granted_at", "ts", False),
        Column("granted_by", "id", False),
        Column("granted_by_role", "text", False),
        Column("grant_reason", "text", False),
        Column("granted_position", "int", False),
        Column("revoked_at", "ts"),
        Column("revoked_by", "id"),
        Column("revoked_by_role", "text"),
        Column("revoke_reason", "text"),
        Column("revoked_position", "int"),
    ),
    key=("grant_id",),
    indexes=(("trust_id", "granted_at"), ("person_id", "granted_at"), ("trust_id", "revoked_at")),
)


class Access(Projection):
    name = "access"
    tables = (PEOPLE, GRANTS)

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return (
            Handlers()
            .on(st.StaffRegistered, self._registered)
            .on(st.StaffLeft, self._left)
            .on(ac.RoleGranted, self._granted)
            .on(ac.RoleRevoked, self._revoked)
        )

    def prefetch(self, batch: Batch, events: Sequence[Event]) -> None:
        batch.rows(PEOPLE).load(originators(events, ["StaffLeft"]))
        batch.rows(GRANTS).load(id_text(r.grant_id) for r in of_type(events, ac.RoleRevoked))

    def _registered(self, b: Batch, e: Event[st.StaffRegistered]) -> None:
        d = e.event
        b.rows(PEOPLE).put(
            {
                "person_id": e.originator_id,
                "trust_id": id_text(d.trust_id),
                "name": d.name,
                # Sign-in looks emails up in lower case; an erased one reads as the
                # placeholder itself, as the erasure's scrub writes it.
                "email": d.email if d.email == ERASED_PERSON else d.email.lower(),
                "job_title": d.job_title,
                "left_on": None,
            }
        )

    def _left(self, b: Batch, e: Event[st.StaffLeft]) -> None:
        rows = b.rows(PEOPLE)
        row = rows.get(e.originator_id)
        if row is not None:
            rows.put({**row, "left_on": e.event.effective_date.isoformat()})

    def _granted(self, b: Batch, e: Event[ac.RoleGranted]) -> None:
        d = e.event
        b.rows(GRANTS).put(
            {
                "grant_id": id_text(d.grant_id),
                "trust_id": id_text(d.trust_id),
                "person_id": id_text(d.person_id),
                "role": d.role.value,
                "school_ids": sorted(id_text(s) for s in d.school_ids),
                "granted_at": when(e),
                "granted_by": id_text(d.actor_id),
                "granted_by_role": d.actor_role.value,
                "grant_reason": d.reason,
                "granted_position": e.position,
                "revoked_at": None,
                "revoked_by": None,
                "revoked_by_role": None,
                "revoke_reason": None,
                "revoked_position": None,
            }
        )

    def _revoked(self, b: Batch, e: Event[ac.RoleRevoked]) -> None:
        rows = b.rows(GRANTS)
        d = e.event
        row = rows.get(id_text(d.grant_id))
        if row is None:
            return
        row.update(
            revoked_at=when(e),
            revoked_by=id_text(d.actor_id),
            revoked_by_role=d.actor_role.value,
            revoke_reason=d.reason,
            revoked_position=e.position,
        )
        rows.put(row)


# ---------------------------------------------------------------------------- queries


@dataclass(frozen=True, slots=True)
class PersonView:
    person_id: UUID
    trust_id: UUID
    name: str
    email: str
    job_title: str
    left_on: date | None

    def has_left(self, today: date) -> bool:
        return self.left_on is not None and self.left_on <= today


@dataclass(frozen=True, slots=True)
class GrantView:
    grant_id: UUID
    trust_id: UUID
    person_id: UUID
    role: str
    school_ids: list[str]
    granted_at: datetime
    granted_by: UUID
    granted_by_role: str
    grant_reason: str
    granted_position: int
    revoked_at: datetime | None
    revoked_by: UUID | None
    revoked_by_role: str | None
    revoke_reason: str | None
    revoked_position: int | None

    @property
    def in_force(self) -> bool:
        return self.revoked_at is None


def people_by_email(db: Database, email: str) -> list[PersonView]:
    """Everyone with this email (in any trust; the caller keeps the trust it serves)."""
    rows = select(db, PEOPLE, "email = ?", [("text", email.strip().lower())])
    return as_model(PersonView, rows)


def person(db: Database, person_id: UUID) -> PersonView | None:
    found = as_model(PersonView, select(db, PEOPLE, "person_id = ?", [("id", person_id)]))
    return found[0] if found else None


def names(db: Database, ids: set[UUID]) -> dict[UUID, str]:
    """The names of the people among ``ids`` (others are not people: admins, services)."""
    out: dict[UUID, str] = {}
    wanted = sorted(ids, key=str)
    for start in range(0, len(wanted), 200):
        chunk = wanted[start : start + 200]
        marks = ", ".join("?" for _ in chunk)
        rows = select(db, PEOPLE, f"person_id IN ({marks})", [("id", i) for i in chunk])
        out.update({r["person_id"]: r["name"] for r in rows})
    return out


def grants_in_force(db: Database, trust_id: UUID, at: datetime | None = None) -> list[GrantView]:
    """The grants of a trust in force now, or at the moment ``at``."""
    params: list[tuple[ColumnType, Any]] = [("id", trust_id)]
    if at is None:
        where = "trust_id = ? AND revoked_at IS NULL"
    else:
        where = "trust_id = ? AND granted_at <= ? AND (revoked_at IS NULL OR revoked_at > ?)"
        params += [("ts", at), ("ts", at)]
    rows = select(db, GRANTS, where, params, "ORDER BY granted_at, grant_id")
    return as_model(GrantView, rows)


def grant_history(db: Database, trust_id: UUID, limit: int = 500) -> list[GrantView]:
    """Every grant of a trust, newest first, with its revocation if it has one."""
    rows = select(
        db, GRANTS, "trust_id = ?", [("id", trust_id)], f"ORDER BY granted_at DESC LIMIT {limit}"
    )
    return as_model(GrantView, rows)


def person_grants(db: Database, person_id: UUID) -> list[GrantView]:
    rows = select(db, GRANTS, "person_id = ?", [("id", person_id)], "ORDER BY granted_at")
    return as_model(GrantView, rows)


def people_of_trust(db: Database, trust_id: UUID, limit: int = 50) -> list[PersonView]:
    rows = select(
        db,
        PEOPLE,
        "trust_id = ? AND left_on IS NULL",
        [("id", trust_id)],
        f"ORDER BY name LIMIT {limit}",
    )
    return as_model(PersonView, rows)


def people(db: Database, ids: list[UUID]) -> list[PersonView]:
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    rows = select(db, PEOPLE, f"person_id IN ({marks})", [("id", i) for i in ids])
    return as_model(PersonView, rows)


def grants_held(db: Database, limit: int = 30) -> list[GrantView]:
    """Grants in force in any trust (the development sign-in lists their holders)."""
    rows = select(db, GRANTS, "revoked_at IS NULL", (), f"ORDER BY granted_at LIMIT {limit}")
    return as_model(GrantView, rows)
