"""Roles granted and revoked through the command service, and the principal a person acts
as: read from the grants in force at that moment."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import partial
from uuid import uuid4

import pytest
from pydantic import ValidationError

from aggregates.errors import Forbidden, RuleBroken
from commands import messages as m
from commands.access import standing
from commands.service import CommandService
from commands.store import EventStoreApp
from events.base import Role
from testkit.scenario import Org
from tests.unit.commands.test_service import rejected_and_nothing_recorded

TODAY = date(2026, 1, 10)


def make_head(service: CommandService, org: Org) -> m.GrantRole:
    command = m.GrantRole(
        person_id=org.appraiser_id,
        role=Role.SCHOOL_LEADER,
        school_ids=[org.school_id],
        reason="Acting headteacher this term",
    )
    service.execute(command, org.admin)
    return command


def test_a_person_with_no_grant_acts_as_staff(service: CommandService, org: Org) -> None:
    found = standing(service.states, org.appraisee_id, today=TODAY)
    assert found is not None
    assert found.roles == (Role.STAFF,)
    assert found.principal() == replace(org.appraisee, school_ids=frozenset())


def test_a_granted_role_is_the_persons_principal_at_once(service: CommandService, org: Org) -> None:
    make_head(service, org)
    found = standing(service.states, org.appraiser_id, today=TODAY)
    assert found is not None
    assert found.roles == (Role.SCHOOL_LEADER, Role.STAFF)
    principal = found.principal()
    assert principal.role is Role.SCHOOL_LEADER
    assert principal.school_ids == {org.school_id}
    assert found.principal(Role.STAFF).role is Role.STAFF  # they may switch


def test_a_revoked_role_is_gone_on_the_next_lookup(service: CommandService, org: Org) -> None:
    make_head(service, org)
    grant_id = service.execute(
        m.GrantRole(person_id=org.appraiser_id, role=Role.AUDITOR, reason="Internal audit"),
        org.admin,
    ).created_id
    assert grant_id is not None
    service.execute(
        m.RevokeRole(person_id=org.appraiser_id, grant_id=grant_id, reason="Audit finished"),
        org.admin,
    )
    found = standing(service.states, org.appraiser_id, today=TODAY)
    assert found is not None
    assert found.roles == (Role.SCHOOL_LEADER, Role.STAFF)


def test_a_leaver_has_no_standing(service: CommandService, org: Org) -> None:
    service.execute(
        m.RecordStaffLeaving(staff_id=org.appraisee_id, effective_date=TODAY, reason="Moved away"),
        org.admin,
    )
    assert standing(service.states, org.appraisee_id, today=TODAY) is None
    assert standing(service.states, org.appraisee_id, today=date(2026, 1, 9)) is not None
    assert standing(service.states, uuid4(), today=TODAY) is None


def test_only_the_trusts_administrators_grant_roles(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    command = m.GrantRole(person_id=org.appraisee_id, role=Role.AUDITOR, reason="Audit")
    for who in (org.trust_leader, org.school_leader, org.appraiser, org.auditor):
        rejected_and_nothing_recorded(
            event_store, Forbidden, partial(service.execute, command, who)
        )


def test_a_read_only_token_changes_nothing(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    command = m.GrantRole(person_id=org.appraisee_id, role=Role.AUDITOR, reason="Audit")
    read_only = replace(org.admin, read_only=True)
    error = rejected_and_nothing_recorded(
        event_store, Forbidden, lambda: service.execute(command, read_only)
    )
    assert "read-only" in str(error)


def test_a_leaver_is_not_granted_a_role(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    service.execute(
        m.RecordStaffLeaving(staff_id=org.appraisee_id, effective_date=TODAY, reason="Moved away"),
        org.admin,
    )
    command = m.GrantRole(person_id=org.appraisee_id, role=Role.AUDITOR, reason="Audit")
    error = rejected_and_nothing_recorded(
        event_store, RuleBroken, lambda: service.execute(command, org.admin)
    )
    assert error.rule == "grantee-employed"


def test_a_school_leader_is_granted_only_schools_of_the_trust(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    command = m.GrantRole(
        person_id=org.appraisee_id, role=Role.SCHOOL_LEADER, school_ids=[uuid4()], reason="Head"
    )
    error = rejected_and_nothing_recorded(
        event_store, RuleBroken, lambda: service.execute(command, org.admin)
    )
    assert error.rule == "school-in-trust"


def test_revoking_from_someone_with_no_grant_breaks_the_grant_in_force_rule(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    command = m.RevokeRole(person_id=org.appraisee_id, grant_id=uuid4(), reason="Tidy up")
    error = rejected_and_nothing_recorded(
        event_store, RuleBroken, lambda: service.execute(command, org.admin)
    )
    assert error.rule == "grant-in-force"


def test_staff_is_not_a_role_to_grant_and_an_unknown_role_is_invalid_input(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    command = m.GrantRole(person_id=org.appraisee_id, role=Role.STAFF, reason="Because")
    error = rejected_and_nothing_recorded(
        event_store, RuleBroken, lambda: service.execute(command, org.admin)
    )
    assert error.rule == "role-grantable"
    with pytest.raises(ValidationError, match="role"):
        m.GrantRole.model_validate(
            {"person_id": org.appraisee_id, "role": "owner", "reason": "Because"}
        )
