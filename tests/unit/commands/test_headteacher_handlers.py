"""A headteacher's review through the command service: the panel, the adviser, the policy."""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

import pytest

from aggregates.errors import Forbidden, RuleBroken
from commands import messages as m
from commands.handling import REVIEW, load
from commands.principal import Principal
from commands.service import CommandService
from commands.store import EventStoreApp
from events.base import Role
from events.values import StaffCategory
from testkit.scenario import Org
from tests.unit.support import log_length


def headteacher(service: CommandService, org: Org) -> UUID:
    return service.execute(
        m.RegisterStaff(
            trust_id=org.trust_id,
            name="Hana Head",
            email="hana@oak.example",
            job_title="Headteacher",
            category=StaffCategory.HEADTEACHER,
            school_id=org.school_id,
            start_date=date(2020, 9, 1),
        ),
        org.admin,
    ).aggregate_id


def governor(service: CommandService, org: Org, name: str, school: UUID | None) -> Principal:
    result = service.execute(
        m.AppointGovernor(trust_id=org.trust_id, name=name, school_id=school), org.admin
    )
    assert result.created_id is not None
    schools = frozenset({school}) if school else frozenset()
    return Principal(result.created_id, Role.GOVERNOR, trust_id=org.trust_id, school_ids=schools)


def start(org: Org, hana: UUID, panel: list[UUID]) -> m.StartHeadteacherReview:
    return m.StartHeadteacherReview(
        cycle_id=org.cycle_id,
        appraisee_id=hana,
        panel=panel,
        adviser_name="Dr Morag Finch",
        adviser_organisation="Northern School Improvement",
    )


def test_a_headteachers_review_is_run_by_the_panel_after_consulting_the_adviser(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    hana = headteacher(service, org)
    chair = governor(service, org, "Grace Chair", org.school_id)
    trustee = governor(service, org, "Tom Trustee", None)

    # A member of staff cannot be the headteacher's appraiser.
    with pytest.raises(RuleBroken) as caught:
        service.execute(
            m.StartReview(cycle_id=org.cycle_id, appraisee_id=hana, appraiser_id=org.appraiser_id),
            org.school_leader,
        )
    assert caught.value.rule == "headteacher-appraised-by-panel"

    review_id = service.execute(start(org, hana, [chair.id, trustee.id]), org.trust_leader)
    rv = load(event_store, REVIEW, review_id.aggregate_id)
    assert [p.name for p in rv.panel] == ["Grace Chair", "Tom Trustee"]
    assert rv.adviser is not None and rv.adviser.organisation == "Northern School Improvement"

    draft = m.DraftObjective(
        review_id=rv.id,
        title="Lead the school's reading strategy",
        success_criteria=["Reading at standard up 10 points"],
        standards=["HS3"],
        due_date=date(2026, 7, 10),
    )
    # Objectives wait for the adviser.
    with pytest.raises(RuleBroken) as caught:
        service.execute(draft, trustee)
    assert caught.value.rule == "adviser-consulted"
    # The deputy head (ordinary staff) cannot act for the panel.
    consult = m.RecordAdviserConsultation(
        review_id=rv.id, held_on=date(2025, 9, 20), summary="Adviser reviewed the data"
    )
    with pytest.raises(Forbidden):
        service.execute(consult, org.appraiser)
    service.execute(consult, chair)
    objective_id = service.execute(draft, trustee).aggregate_id
    service.execute(
        m.AgreeObjective(objective_id=objective_id),
        Principal(hana, Role.STAFF, trust_id=org.trust_id),
    )
    service.execute(m.AgreeObjective(objective_id=objective_id), chair)


def test_a_panel_names_only_governors_appointed_in_the_trust(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    hana = headteacher(service, org)
    chair = governor(service, org, "Grace Chair", org.school_id)
    before = log_length(event_store)
    with pytest.raises(RuleBroken) as caught:
        service.execute(start(org, hana, [chair.id, uuid.uuid4()]), org.trust_leader)
    assert caught.value.rule == "governor-appointed"
    assert log_length(event_store) == before


def test_a_governor_of_another_school_is_refused_and_nothing_recorded(
    service: CommandService, event_store: EventStoreApp, org: Org
) -> None:
    hana = headteacher(service, org)
    chair = governor(service, org, "Grace Chair", org.school_id)
    elsewhere = governor(service, org, "Ella Else", org.other_school_id)
    before = log_length(event_store)
    with pytest.raises(RuleBroken) as caught:
        service.execute(start(org, hana, [chair.id, elsewhere.id]), org.trust_leader)
    assert caught.value.rule == "governor-on-board"
    assert log_length(event_store) == before
