"""A small organisation built through the command layer, shared by integration and API tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from commands import messages as m
from commands.principal import Principal
from commands.service import CommandService
from events.base import Role


@dataclass
class Org:
    trust_id: UUID
    school_id: UUID
    other_school_id: UUID
    cycle_id: UUID
    appraisee_id: UUID
    appraiser_id: UUID
    review_id: UUID
    platform_admin: Principal
    admin: Principal
    trust_leader: Principal
    school_leader: Principal
    other_school_leader: Principal
    appraisee: Principal
    appraiser: Principal
    auditor: Principal
    analyst: Principal


def build_org(svc: CommandService, *, name: str = "Oak Learning Trust") -> Org:
    """A trust with two schools, two staff, an open 2025-26 cycle and one started review."""
    root = Principal(uuid.uuid4(), Role.ADMIN)
    trust_id = svc.execute(m.RegisterTrust(name=name), root).aggregate_id
    admin = Principal(uuid.uuid4(), Role.ADMIN, trust_id=trust_id)
    school_id, other_school_id = uuid.uuid4(), uuid.uuid4()
    svc.execute(m.AddSchool(trust_id=trust_id, name="Oak Primary", school_id=school_id), admin)
    svc.execute(
        m.AddSchool(trust_id=trust_id, name="Ash Academy", school_id=other_school_id), admin
    )
    start = date(2020, 9, 1)
    appraisee_id = svc.execute(
        m.RegisterStaff(
            trust_id=trust_id,
            name="Ann Appraisee",
            email="ann@oak.example",
            job_title="Class Teacher",
            school_id=school_id,
            start_date=start,
        ),
        admin,
    ).aggregate_id
    appraiser_id = svc.execute(
        m.RegisterStaff(
            trust_id=trust_id,
            name="Bob Appraiser",
            email="bob@oak.example",
            job_title="Phase Leader",
            school_id=school_id,
            start_date=start,
        ),
        admin,
    ).aggregate_id
    cycle_id = svc.execute(
        m.ScheduleCycle(
            trust_id=trust_id,
            name="2025-26",
            start_date=date(2025, 9, 1),
            end_date=date(2026, 8, 31),
            objective_setting_deadline=date(2025, 10, 31),
            mid_year_window_start=date(2026, 2, 1),
            mid_year_window_end=date(2026, 3, 31),
            end_year_deadline=date(2026, 7, 15),
            max_objectives=3,
        ),
        admin,
    ).aggregate_id
    svc.execute(m.OpenCycle(cycle_id=cycle_id), admin)
    school_leader = Principal(
        uuid.uuid4(), Role.SCHOOL_LEADER, trust_id=trust_id, school_ids=frozenset({school_id})
    )
    review_id = svc.execute(
        m.StartReview(cycle_id=cycle_id, appraisee_id=appraisee_id, appraiser_id=appraiser_id),
        school_leader,
    ).aggregate_id
    return Org(
        trust_id=trust_id,
        school_id=school_id,
        other_school_id=other_school_id,
        cycle_id=cycle_id,
        appraisee_id=appraisee_id,
        appraiser_id=appraiser_id,
        review_id=review_id,
        platform_admin=root,
        admin=admin,
        trust_leader=Principal(uuid.uuid4(), Role.TRUST_LEADER, trust_id=trust_id),
        school_leader=school_leader,
        other_school_leader=Principal(
            uuid.uuid4(),
            Role.SCHOOL_LEADER,
            trust_id=trust_id,
            school_ids=frozenset({other_school_id}),
        ),
        appraisee=Principal(appraisee_id, Role.STAFF, trust_id=trust_id),
        appraiser=Principal(appraiser_id, Role.STAFF, trust_id=trust_id),
        auditor=Principal(uuid.uuid4(), Role.AUDITOR, trust_id=trust_id),
        analyst=Principal(uuid.uuid4(), Role.ANALYST, trust_id=trust_id),
    )
