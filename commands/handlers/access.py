"""Handlers for access: granting and revoking a person's roles (trust administrators)."""

from __future__ import annotations

from uuid import UUID

from aggregates import access
from aggregates.base import require
from aggregates.errors import NotFound
from commands import messages as m
from commands.handling import ACCESS, STAFF, TRUST, Handling, Outcome
from commands.policy import Scope


def _current(h: Handling, person_id: UUID) -> access.PersonAccess | None:
    try:
        return h.target(ACCESS, access.access_id(person_id))
    except NotFound:
        return None


def grant_role(cmd: m.GrantRole, h: Handling) -> Outcome:
    person = h.load(STAFF, cmd.person_id)
    h.authorise(cmd, Scope(trust_id=person.trust_id))
    require(not person.has_left, "grantee-employed", f"{person.name} has left the trust")
    schools = frozenset(cmd.school_ids)
    if schools:
        t = h.load(TRUST, person.trust_id)
        require(
            all(t.has_school(s) for s in schools),
            "school-in-trust",
            "every school named must be a school of the trust",
        )
    events = access.grant_role(
        _current(h, cmd.person_id),
        trust_id=person.trust_id,
        person_id=person.id,
        grant_id=h.new_id(),
        role=cmd.role,
        school_ids=schools,
        reason=cmd.reason,
        ctx=h.ctx,
    )
    granted = events[0]
    return Outcome(granted.originator_id, events, getattr(granted, "grant_id", None))


def revoke_role(cmd: m.RevokeRole, h: Handling) -> Outcome:
    current = _current(h, cmd.person_id)
    if current is None:
        person = h.load(STAFF, cmd.person_id)
        h.authorise(cmd, Scope(trust_id=person.trust_id))
        require(False, "grant-in-force", f"{person.name} holds no granted role")
        raise AssertionError("unreachable")
    h.authorise(cmd, Scope(trust_id=current.trust_id))
    return Outcome(
        current.id, access.revoke_role(current, grant_id=cmd.grant_id, reason=cmd.reason, ctx=h.ctx)
    )
