"""Who a signed-in person is allowed to be: their principal, from the grants in force now.

A session or a personal API token names a person; every request turns that person into a
``Principal`` from the log as it stands (their staff record and their ``PersonAccess``),
read fresh from the event store, so a role revoked a moment ago is gone on the next request
and a leaver can do nothing. Staff and appraiser rights follow from the reviews and need no
grant: everyone employed may act as ``staff``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from aggregates.access import PersonAccess, access_id
from aggregates.errors import NotFound
from aggregates.staff import StaffMember
from commands.principal import Principal
from commands.states import ACCESS, STAFF, StateCache
from events.base import Role

# The role a person acts in by default when they hold several (they may switch).
PRECEDENCE = (
    Role.ADMIN,
    Role.TRUST_LEADER,
    Role.SCHOOL_LEADER,
    Role.AUDITOR,
    Role.ANALYST,
    Role.STAFF,
)


@dataclass(frozen=True, slots=True)
class Standing:
    """A person as they stand now: their record and the roles they may act in."""

    person: StaffMember
    roles: tuple[Role, ...]
    school_ids: frozenset[UUID]

    def principal(self, role: Role | None = None, *, read_only: bool = False) -> Principal:
        acting = role if role in self.roles else self.roles[0]
        return Principal(
            id=self.person.id,
            role=acting,
            trust_id=self.person.trust_id,
            school_ids=self.school_ids if acting is Role.SCHOOL_LEADER else frozenset(),
            read_only=read_only,
        )


def has_left(person: StaffMember, today: date) -> bool:
    return person.left_on is not None and person.left_on <= today


def standing(states: StateCache, person_id: UUID, *, today: date) -> Standing | None:
    """The person's standing read from the store now; None if unknown or a leaver."""
    try:
        person = states.get(STAFF, person_id, max_age=0.0)
    except NotFound:
        return None
    if has_left(person, today):
        return None
    try:
        access: PersonAccess | None = states.get(ACCESS, access_id(person_id), max_age=0.0)
    except NotFound:
        access = None
    grants = access.grants if access is not None else ()
    held = {g.role for g in grants} | {Role.STAFF}
    schools = frozenset(s for g in grants if g.role is Role.SCHOOL_LEADER for s in g.school_ids)
    return Standing(person, tuple(r for r in PRECEDENCE if r in held), schools)
