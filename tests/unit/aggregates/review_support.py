"""The people, dates and cycles the Review aggregate's tests share (``test_review_*.py``,
``test_headteacher_review.py``, ``test_policy_rules.py``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any
from uuid import UUID

from aggregates import review
from aggregates.base import Context
from aggregates.cycle import AppraisalCycle, CycleDates, CycleStatus
from aggregates.review import review_id_for
from aggregates.staff import Assignment, StaffMember
from events.values import (
    CyclePolicy,
    StaffCategory,
)
from tests.unit.aggregates.gwt import on

# Write the assessment of a review with one objective in force (agreed or set).
assess = partial(review.write_assessment, objectives_in_force=1)

TRUST = UUID("50000000-0000-4000-8000-000000000001")
OTHER_TRUST = UUID("50000000-0000-4000-8000-000000000009")
SCHOOL = UUID("50000000-0000-4000-8000-000000000002")
CYCLE = UUID("50000000-0000-4000-8000-000000000003")
ANN = UUID("50000000-0000-4000-8000-0000000000a1")
BOB = UUID("50000000-0000-4000-8000-0000000000b0")
CAT = UUID("50000000-0000-4000-8000-0000000000c0")
REVIEW = review_id_for(CYCLE, ANN)
OBJ1 = UUID("50000000-0000-4000-8000-0000000000f1")
OBJ2 = UUID("50000000-0000-4000-8000-0000000000f2")
OBJ3 = UUID("50000000-0000-4000-8000-0000000000f3")

PLANNING_DAY = date(2025, 9, 10)
MID_YEAR_DAY = date(2026, 2, 10)
END_YEAR_DAY = date(2026, 7, 1)
ISSUED_DAY = date(2026, 7, 5)

OPEN_CYCLE = AppraisalCycle(
    id=CYCLE,
    version=2,
    trust_id=TRUST,
    name="2025-26",
    dates=CycleDates(
        start_date=date(2025, 9, 1),
        end_date=date(2026, 8, 31),
        objective_setting_deadline=date(2025, 10, 31),
        mid_year_window_start=date(2026, 2, 1),
        mid_year_window_end=date(2026, 3, 31),
        end_year_deadline=date(2026, 7, 15),
    ),
    policy=CyclePolicy(max_objectives=2, appeal_window_days=10),
    status=CycleStatus.OPEN,
)
CLOSED_CYCLE = replace(OPEN_CYCLE, version=3, status=CycleStatus.CLOSED)


def member(staff_id: UUID, name: str, **changes: Any) -> StaffMember:
    person = StaffMember(
        id=staff_id,
        version=2,
        trust_id=TRUST,
        name=name,
        email=f"{name.lower()}@oak.example",
        job_title="Teacher",
        category=StaffCategory.TEACHER,
        assignments=(Assignment(SCHOOL, date(2020, 9, 1)),),
    )
    return replace(person, **changes)


ANN_STAFF = member(ANN, "Ann")
BOB_STAFF = member(BOB, "Bob")
CAT_STAFF = member(CAT, "Cat")


def later(ctx: Context, day: date = date(2026, 7, 10)) -> Context:
    return on(ctx, day)
