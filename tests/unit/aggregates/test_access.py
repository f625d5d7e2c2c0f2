"""PersonAccess: roles granted and revoked, with a scope, a reason, and no self-lockout."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

import pytest

from aggregates import access
from aggregates.base import Context
from events.access import RoleGranted, RoleRevoked
from events.base import DomainEvent, Role
from tests.unit.aggregates.gwt import History, accepted, rejected

TRUST = UUID("30000000-0000-4000-8000-000000000001")
OTHER_TRUST = UUID("30000000-0000-4000-8000-000000000002")
HEAD = UUID("30000000-0000-4000-8000-0000000000a1")
OAK = UUID("30000000-0000-4000-8000-0000000000c1")
GRANT = UUID("30000000-0000-4000-8000-0000000000f1")
SECOND = UUID("30000000-0000-4000-8000-0000000000f2")
ACCESS = access.access_id(HEAD)


def grant(
    ctx: Context, state: access.PersonAccess | None, **overrides: object
) -> list[DomainEvent]:
    fields: dict[str, object] = {
        "trust_id": TRUST,
        "person_id": HEAD,
        "grant_id": GRANT,
        "role": Role.SCHOOL_LEADER,
        "school_ids": frozenset({OAK}),
        "reason": "Appointed headteacher",
    }
    fields.update(overrides)
    return access.grant_role(state, ctx=ctx, **fields)  # type: ignore[arg-type]


@pytest.fixture
def head_granted(history: History) -> list[DomainEvent]:
    return [
        history(
            RoleGranted,
            ACCESS,
            trust_id=TRUST,
            person_id=HEAD,
            grant_id=GRANT,
            role=Role.SCHOOL_LEADER,
            school_ids=(OAK,),
            reason="Appointed headteacher",
        )
    ]


def test_a_first_grant_creates_the_persons_access(ctx: Context, history: History) -> None:
    state = accepted(
        access.evolve,
        given=[],
        when=lambda s: grant(ctx, s),
        then=[
            history.next(
                RoleGranted,
                ACCESS,
                trust_id=TRUST,
                person_id=HEAD,
                grant_id=GRANT,
                role=Role.SCHOOL_LEADER,
                school_ids=(OAK,),
                reason="Appointed headteacher",
            )
        ],
    )
    assert state.grants == (access.Grant(GRANT, Role.SCHOOL_LEADER, frozenset({OAK})),)


def test_a_revoked_grant_is_no_longer_held(
    ctx: Context, history: History, head_granted: list[DomainEvent]
) -> None:
    state = accepted(
        access.evolve,
        given=head_granted,
        when=lambda s: access.revoke_role(s, grant_id=GRANT, reason="Stepped down", ctx=ctx),
        then=[
            history.next(
                RoleRevoked,
                ACCESS,
                trust_id=TRUST,
                person_id=HEAD,
                grant_id=GRANT,
                role=Role.SCHOOL_LEADER,
                school_ids=(OAK,),
                reason="Stepped down",
            )
        ],
    )
    assert state.grants == ()


@pytest.mark.parametrize("role", [Role.STAFF, Role.SYSTEM])
def test_staff_and_system_are_not_granted(ctx: Context, role: Role) -> None:
    rejected(
        access.evolve,
        given=[],
        when=lambda s: grant(ctx, s, role=role, school_ids=frozenset()),
        rule="role-grantable",
    )


def test_a_school_leader_grant_names_schools(ctx: Context) -> None:
    rejected(
        access.evolve,
        given=[],
        when=lambda s: grant(ctx, s, school_ids=frozenset()),
        rule="school-leader-needs-schools",
    )


def test_trust_wide_roles_name_no_schools(ctx: Context) -> None:
    rejected(
        access.evolve,
        given=[],
        when=lambda s: grant(ctx, s, role=Role.AUDITOR),
        rule="trust-wide-role",
    )


def test_a_grant_needs_a_reason(ctx: Context) -> None:
    rejected(
        access.evolve,
        given=[],
        when=lambda s: grant(ctx, s, reason="  "),
        rule="grant-reason-required",
    )


def test_the_same_role_for_the_same_scope_is_not_granted_twice(
    ctx: Context, head_granted: list[DomainEvent]
) -> None:
    rejected(
        access.evolve,
        given=head_granted,
        when=lambda s: grant(ctx, s, grant_id=SECOND),
        rule="role-not-already-granted",
    )


def test_a_grant_stays_in_the_persons_trust(ctx: Context, head_granted: list[DomainEvent]) -> None:
    rejected(
        access.evolve,
        given=head_granted,
        when=lambda s: grant(
            ctx, s, grant_id=SECOND, trust_id=OTHER_TRUST, role=Role.AUDITOR, school_ids=frozenset()
        ),
        rule="same-trust",
    )


def test_only_a_grant_in_force_is_revoked(ctx: Context, head_granted: list[DomainEvent]) -> None:
    rejected(
        access.evolve,
        given=head_granted,
        when=lambda s: access.revoke_role(s, grant_id=SECOND, reason="Stepped down", ctx=ctx),
        rule="grant-in-force",
    )


def test_a_revocation_needs_a_reason(ctx: Context, head_granted: list[DomainEvent]) -> None:
    rejected(
        access.evolve,
        given=head_granted,
        when=lambda s: access.revoke_role(s, grant_id=GRANT, reason="", ctx=ctx),
        rule="revoke-reason-required",
    )


def test_an_administrator_cannot_revoke_their_own_administration(
    ctx: Context, history: History
) -> None:
    admin_grant = [
        history(
            RoleGranted,
            ACCESS,
            trust_id=TRUST,
            person_id=HEAD,
            grant_id=GRANT,
            role=Role.ADMIN,
            reason="Runs the people team",
        )
    ]
    themselves = replace(ctx, actor_id=HEAD, actor_role=Role.ADMIN)
    rejected(
        access.evolve,
        given=admin_grant,
        when=lambda s: access.revoke_role(s, grant_id=GRANT, reason="Oops", ctx=themselves),
        rule="not-own-administration",
    )
