"""A person's access: the roles they hold beyond their own and their appraisees' reviews.

One ``PersonAccess`` aggregate per person (its id derived from theirs), holding the grants in
force. Granting and revoking are decisions with rules: a known role and scope, a reason, no
duplicate grant, and no administrator removing their own administration.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from aggregates.base import Context, first_event, next_event, require, require_text
from events.access import RoleGranted, RoleRevoked
from events.base import DomainEvent, Role

# Ids of PersonAccess aggregates: uuid5(ACCESS_NAMESPACE, person id), derived by the server.
ACCESS_NAMESPACE = UUID("9b1d3c52-6a8e-4f0e-9a43-0c5e7d2f6b11")
GRANTABLE = frozenset(
    {Role.SCHOOL_LEADER, Role.TRUST_LEADER, Role.AUDITOR, Role.ANALYST, Role.ADMIN}
)


def access_id(person_id: UUID) -> UUID:
    return uuid.uuid5(ACCESS_NAMESPACE, f"access:{person_id}")


@dataclass(frozen=True, slots=True)
class Grant:
    grant_id: UUID
    role: Role
    school_ids: frozenset[UUID] = frozenset()


@dataclass(frozen=True, slots=True)
class PersonAccess:
    id: UUID
    version: int
    trust_id: UUID
    person_id: UUID
    grants: tuple[Grant, ...] = ()

    def grant(self, grant_id: UUID) -> Grant | None:
        return next((g for g in self.grants if g.grant_id == grant_id), None)


def grant_role(
    access: PersonAccess | None,
    *,
    trust_id: UUID,
    person_id: UUID,
    grant_id: UUID,
    role: Role,
    school_ids: frozenset[UUID],
    reason: str,
    ctx: Context,
) -> list[DomainEvent]:
    require(role in GRANTABLE, "role-grantable", f"the {role.value} role cannot be granted")
    if role is Role.SCHOOL_LEADER:
        require(bool(school_ids), "school-leader-needs-schools", "name the schools they lead")
    else:
        require(
            not school_ids,
            "trust-wide-role",
            f"the {role.value} role applies to the whole trust; name no schools",
        )
    require_text(reason, "reason", rule="grant-reason-required")
    if access is not None:
        require(access.trust_id == trust_id, "same-trust", "this person belongs to another trust")
        require(
            not any(g.role is role and g.school_ids == school_ids for g in access.grants),
            "role-not-already-granted",
            "this person already holds this role for this scope",
        )
    fields: dict[str, Any] = {
        "trust_id": trust_id,
        "person_id": person_id,
        "grant_id": grant_id,
        "role": role,
        "school_ids": tuple(sorted(school_ids, key=str)),
        "reason": reason.strip(),
    }
    if access is None:
        return [first_event(RoleGranted, access_id(person_id), ctx, **fields)]
    return [next_event(RoleGranted, access, ctx, **fields)]


def revoke_role(
    access: PersonAccess, *, grant_id: UUID, reason: str, ctx: Context
) -> list[DomainEvent]:
    grant = access.grant(grant_id)
    require(grant is not None, "grant-in-force", "this person holds no such grant now")
    assert grant is not None
    require_text(reason, "reason", rule="revoke-reason-required")
    require(
        not (grant.role is Role.ADMIN and ctx.actor_id == access.person_id),
        "not-own-administration",
        "administrators cannot revoke their own administration; ask another administrator",
    )
    return [
        next_event(
            RoleRevoked,
            access,
            ctx,
            trust_id=access.trust_id,
            person_id=access.person_id,
            grant_id=grant.grant_id,
            role=grant.role,
            school_ids=tuple(sorted(grant.school_ids, key=str)),
            reason=reason.strip(),
        )
    ]


def evolve(state: PersonAccess | None, event: DomainEvent) -> PersonAccess:
    match event:
        case RoleGranted():
            grant = Grant(event.grant_id, event.role, frozenset(event.school_ids))
            if state is None:
                return PersonAccess(
                    id=event.originator_id,
                    version=event.originator_version,
                    trust_id=event.trust_id,
                    person_id=event.person_id,
                    grants=(grant,),
                )
            return replace(state, version=event.originator_version, grants=(*state.grants, grant))
        case RoleRevoked() if state is not None:
            kept = tuple(g for g in state.grants if g.grant_id != event.grant_id)
            return replace(state, version=event.originator_version, grants=kept)
    if state is None:
        raise ValueError(f"{type(event).__name__} before RoleGranted")
    return replace(state, version=event.originator_version)
