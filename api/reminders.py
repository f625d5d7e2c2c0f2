"""Reminders: a trust's policy, a person's preference and pending reminders, "chase now".

Plain FastAPI functions: parse, authorise (the command policy, or the read policy), call, map.
The unsubscribe link of optional reminders is served by the dashboard (``web/``), which asks
for a confirmation before it records the choice.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AppContainer, Commands, CurrentPrincipal, ExpectedVersion, IdempotencyKey
from api.problems import RateLimited
from api.reading import MinPosition, ReadDb, fresh, hidden
from api.requesting import Accepted
from api.schemas import PROBLEM_RESPONSES
from api.security.ratelimit import CHASE
from commands import messages as m
from commands.read_policy import ReadScope, may_read_record
from commands.service import CommandResult
from events.base import Role
from events.reminders import DEFAULT_POLICY, Frequency, Milestone, ReminderPolicy
from projections import reminder_context as rc
from projections.review_status import get_review
from reminders.ledger import Delivery

log = logging.getLogger(__name__)

trusts = APIRouter(prefix="/v1/trusts", tags=["reminders"])
staff = APIRouter(prefix="/v1/staff", tags=["reminders"])
reviews = APIRouter(prefix="/v1/reviews", tags=["reminders"])
routers = (trusts, staff, reviews)

# The command endpoints written out below, with an example body each (greppable, and the
# API tests walk it like the other resources' route tables).
COMMAND_ENDPOINTS: dict[type[m.Command], tuple[str, dict[str, object]]] = {
    m.ChangeReminderPolicy: (
        "/v1/trusts/{trust_id}/reminder-policy",
        {"policy": {"weekly_digest": False}, "reason": "No weekly digest in this trust"},
    ),
    m.ChangeReminderPreference: (
        "/v1/staff/{staff_id}/reminder-preference",
        {"frequency": "digest", "optional_reminders": True},
    ),
    m.ChaseReview: (
        "/v1/reviews/{review_id}/chase",
        {"milestone": "objectives_agreed", "note": "Please book the planning meeting"},
    ),
}


def _accepted(result: CommandResult, response: Response) -> Accepted:
    response.headers["ETag"] = f'"{result.version}"'
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return Accepted(
        aggregate_id=result.aggregate_id,
        version=result.version,
        position=result.position,
        created_id=result.created_id,
        replayed=result.replayed,
    )


# ------------------------------------------------------------------------------ policy


class PolicyAnswer(BaseModel):
    trust_id: UUID
    policy: ReminderPolicy
    default: bool = Field(description="True while the trust has not changed the defaults")


class PolicyChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: ReminderPolicy
    reason: m.Reason


@trusts.get(
    "/{trust_id}/reminder-policy",
    summary="The trust's reminder policy (England's defaults until it is changed)",
    responses=PROBLEM_RESPONSES,
)
def get_policy(
    trust_id: UUID, db: ReadDb, container: AppContainer, principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> PolicyAnswer:  # fmt: skip
    fresh(container, min_position, "reminder_context")
    if not principal.in_trust(trust_id):
        raise hidden("trust")
    stored = rc.policy_for(db, trust_id)
    if stored is None:
        return PolicyAnswer(trust_id=trust_id, policy=DEFAULT_POLICY, default=True)
    return PolicyAnswer(
        trust_id=trust_id, policy=ReminderPolicy.model_validate(stored), default=False
    )


@trusts.post(
    "/{trust_id}/reminder-policy",
    summary="Change the trust's reminder policy (trust leaders and administrators)",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="ChangeReminderPolicy",
)
def change_policy(
    trust_id: UUID,
    body: PolicyChange,
    principal: CurrentPrincipal,
    commands: Commands,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    expected_version: ExpectedVersion = None,
) -> Accepted:
    command = m.ChangeReminderPolicy(trust_id=trust_id, policy=body.policy, reason=body.reason)
    result = commands.execute(
        command, principal, idempotency_key=idempotency_key, expected_version=expected_version
    )
    return _accepted(result, response)


# ------------------------------------------------------------------------------ a person


class PendingReminder(BaseModel):
    milestone: Milestone
    step: str
    about: str = Field(description="Whose appraisal it is about")
    review_id: UUID
    deadline: date
    deliver_on: date
    digest: bool
    optional: bool
    status: str = Field(description="pending, or failed (the mail server refused it)")
    attempts: int
    last_error: str | None

    @classmethod
    def of(cls, d: Delivery) -> PendingReminder:
        return cls(
            milestone=d.milestone,
            step=d.step,
            about=d.appraisee_name,
            review_id=d.review_id,
            deadline=d.deadline,
            deliver_on=d.deliver_on,
            digest=d.digest,
            optional=d.optional,
            status=d.status,
            attempts=d.attempts,
            last_error=d.last_error,
        )


class PersonReminders(BaseModel):
    staff_id: UUID
    name: str
    frequency: Frequency
    optional_reminders: bool
    pending: list[PendingReminder]


@staff.get(
    "/{staff_id}/reminders",
    summary="A person's reminder preference and the reminders waiting to go to them",
    responses=PROBLEM_RESPONSES,
)
def person_reminders(
    staff_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> PersonReminders:
    fresh(container, min_position, "reminder_context")
    person = rc.people(db, [staff_id]).get(staff_id)
    scope = ReadScope(
        trust_id=person.trust_id if person else None,
        school_ids=frozenset({person.school_id}) if person and person.school_id else frozenset(),
        people=frozenset({staff_id}),
    )
    if person is None or not may_read_record(principal, scope):
        raise hidden("member of staff")
    pending = container.reminders.ledger.for_person(staff_id)
    return PersonReminders(
        staff_id=staff_id,
        name=person.name,
        frequency=Frequency(person.frequency),
        optional_reminders=person.optional_reminders,
        pending=[PendingReminder.of(d) for d in pending],
    )


class PreferenceChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    frequency: Frequency = Frequency.IMMEDIATE
    optional_reminders: bool = Field(
        default=True, description="False: no reminders before deadlines (chases still come)"
    )


@staff.post(
    "/{staff_id}/reminder-preference",
    summary="Choose immediate reminders or a weekly digest; switch optional reminders off",
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="ChangeReminderPreference",
)
def change_preference(
    staff_id: UUID,
    body: PreferenceChange,
    principal: CurrentPrincipal,
    commands: Commands,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Accepted:
    via = "profile" if principal.id == staff_id else "administrator"
    command = m.ChangeReminderPreference(
        staff_id=staff_id,
        frequency=body.frequency,
        optional_reminders=body.optional_reminders,
        via=via,
    )
    result = commands.execute(command, principal, idempotency_key=idempotency_key)
    return _accepted(result, response)


# ------------------------------------------------------------------------------ chasing


class Chase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    milestone: Milestone
    note: Annotated[str, Field(max_length=500)] = ""


@reviews.post(
    "/{review_id}/chase",
    summary='"Chase now": a leader sends a reminder to whoever still has to act (once a day)',
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="ChaseReview",
)
def chase(
    review_id: UUID,
    body: Annotated[
        Chase,
        Body(
            openapi_examples={
                "mid-year": {
                    "value": {"milestone": "mid_year_review", "note": "Please book it this week"}
                }
            }
        ),
    ],
    principal: CurrentPrincipal,
    commands: Commands,
    container: AppContainer,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Accepted:
    command = m.ChaseReview(review_id=review_id, milestone=body.milestone, note=body.note)
    verdict = container.security.limits.hit(CHASE, str(principal.id))
    if not verdict.allowed:
        raise RateLimited(
            "too many chases from you in the last hour; wait", retry_after=verdict.retry_after
        )
    result = commands.execute(command, principal, idempotency_key=idempotency_key)
    if not result.replayed and container.wake_chases is not None:
        container.wake_chases()
    return _accepted(result, response)


class ReviewReminder(PendingReminder):
    to: str


@reviews.get(
    "/{review_id}/reminders",
    summary="Every reminder recorded for a review: to whom, which step, sent or not",
    responses=PROBLEM_RESPONSES,
)
def review_reminders(
    review_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
) -> list[ReviewReminder]:
    review = get_review(db, review_id)
    scope = ReadScope(
        trust_id=review.trust_id if review else None,
        school_ids=frozenset({review.school_id, review.current_school_id})
        if review
        else frozenset(),
        people=frozenset({review.appraisee_id, review.appraiser_id}) if review else frozenset(),
    )
    if review is None or not may_read_record(principal, scope):
        raise hidden("review")
    # Staff see the reminders sent to them; leaders also the escalations to others.
    own_only = principal.role is Role.STAFF
    return [
        ReviewReminder(to=d.name, **PendingReminder.of(d).model_dump())
        for d in container.reminders.ledger.for_review(review_id)
        if not own_only or d.person_id == principal.id
    ]
