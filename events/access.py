"""Events of a person's access: roles granted and revoked, with who, why and where (scope).

Staff and appraiser rights follow from the reviews; every other role a person holds is one
of these facts in the log, so "who could see what, when" is a query over them.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from events.base import DomainEvent, Role, register


@register("RoleGranted")
class RoleGranted(DomainEvent):
    about: ClassVar[str] = "person_id"
    audit_summary: ClassVar[str] = "Role {role} granted to {person_id}: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    trust_id: UUID
    person_id: UUID
    grant_id: UUID
    role: Role
    # Empty: the whole trust; otherwise the schools the role applies to (school leaders).
    school_ids: tuple[UUID, ...] = ()
    reason: str


@register("RoleRevoked")
class RoleRevoked(DomainEvent):
    about: ClassVar[str] = "person_id"
    audit_summary: ClassVar[str] = "Role {role} revoked from {person_id}: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    trust_id: UUID
    person_id: UUID
    grant_id: UUID
    role: Role
    school_ids: tuple[UUID, ...] = ()
    reason: str
