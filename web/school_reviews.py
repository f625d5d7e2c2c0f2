"""A school leader's reviews list: filtered by stage, overdue and appraiser, and starting
reviews in bulk for the staff who have none yet in the cycle.

Starting runs one ``StartReview`` per person ticked, each with its own idempotency key (the
form's key and the person), so a resubmitted form starts nobody twice; a refusal is shown on
that person's row and the others still start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from fastapi import Request

from aggregates.errors import DomainError, Forbidden, NotFound
from api.deps import get_container
from commands import messages as m
from commands.principal import Principal
from projections import directory
from projections.directory import Person, StaffFilter
from projections.review_status import ReviewView
from web.render import PageNotFound

MAX_PEOPLE = 2_000
MAX_FIELDS = 2 * MAX_PEOPLE + 10


@dataclass(frozen=True, slots=True)
class Filters:
    stage: str | None = None
    overdue: bool = False
    appraiser: UUID | None = None

    def keep(self, r: ReviewView, late: list[str]) -> bool:
        return (
            (self.stage is None or r.stage == self.stage)
            and (not self.overdue or bool(late))
            and (self.appraiser is None or r.appraiser_id == self.appraiser)
        )


@dataclass
class Starting:
    """The bulk start form: who may be started, and (after a refusal) what was asked."""

    key: str
    people: list[Person]
    colleagues: list[Person]
    chosen: dict[UUID, UUID] = field(default_factory=dict)
    errors: dict[UUID, str] = field(default_factory=dict)
    # The refusals in words, each naming its person: "Tom Turner: already has a review ...".
    messages: list[str] = field(default_factory=list)

    def appraiser_for(self, p: Person) -> UUID | None:
        return self.chosen.get(p.staff_id) or p.line_manager_id


def staff_of(request: Request, trust_id: UUID, school_id: UUID) -> list[Person]:
    db = get_container(request).projections.db
    scope = StaffFilter(trust_id=trust_id, school_ids=frozenset({school_id}), active=True)
    people, _ = directory.list_staff(db, scope, after=None, limit=MAX_PEOPLE)
    return people


def starting(
    request: Request,
    principal: Principal,
    trust_id: UUID,
    school_id: UUID,
    cycle_id: UUID,
    reviews: list[ReviewView],
) -> Starting | None:
    """The bulk start form, if this person may start reviews at this school in this cycle now
    (asked of the command service with the first person without a review)."""
    staff = staff_of(request, trust_id, school_id)
    started = {r.appraisee_id for r in reviews}
    waiting = [p for p in staff if p.staff_id not in started]
    if not waiting:
        return None
    first = waiting[0]
    other = next((p for p in staff if p.staff_id != first.staff_id), None)
    if other is None:
        return None
    probe = m.StartReview(
        cycle_id=cycle_id, appraisee_id=first.staff_id, appraiser_id=other.staff_id
    )
    if get_container(request).commands.check(probe, principal) is not None:
        return None
    return Starting(str(uuid4()), waiting, staff)


@dataclass(frozen=True, slots=True)
class Outcome:
    started: int
    position: int
    chosen: dict[UUID, UUID]
    errors: dict[UUID, str]
    messages: list[str]


def start_all(request: Request, principal: Principal, cycle_id: UUID, form: Any) -> Outcome:
    """Start a review for each person ticked (``start``) with the appraiser chosen on their
    row (``appraiser-<id>``); refusals by person. A person the leader may not act for is 404."""
    container = get_container(request)
    key = str(form.get("idempotency_key", ""))
    if not 8 <= len(key) <= 200:
        raise PageNotFound
    ticked: list[UUID] = []
    for value in form.getlist("start")[:MAX_PEOPLE]:
        try:
            ticked.append(UUID(str(value)))
        except ValueError:
            raise PageNotFound from None
    chosen: dict[UUID, UUID] = {}
    errors: dict[UUID, str] = {}
    if not ticked:
        errors[NOBODY] = "Tick at least one person to start their review."
    for person in ticked:
        try:
            chosen[person] = UUID(str(form.get(f"appraiser-{person}", "")))
        except ValueError:
            errors[person] = "Choose their appraiser."
    started, position = 0, 1
    for person, appraiser in chosen.items():
        command = m.StartReview(cycle_id=cycle_id, appraisee_id=person, appraiser_id=appraiser)
        try:
            result = container.commands.execute(
                command, principal, idempotency_key=f"{key}:{person}"
            )
        except (Forbidden, NotFound):
            raise PageNotFound from None
        except DomainError as e:
            errors[person] = e.message[:1].upper() + e.message[1:] + "."
            continue
        started += 1
        position = max(position, result.position or 1)
    db = container.projections.db
    messages = []
    for person, message in errors.items():
        found = directory.get_person(db, person) if person != NOBODY else None
        messages.append(f"{found.display_name}: {message}" if found else message)
    return Outcome(started, position, chosen, errors, messages)


# The form-level error (nobody ticked) is kept under the nil id.
NOBODY = UUID(int=0)
