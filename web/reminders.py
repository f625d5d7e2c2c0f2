"""Reminders in the dashboard: a person's pending reminders and preference, a leader's
"chase now" on a review, and the unsubscribe link of optional reminders.

The unsubscribe link is authorised by its signed token alone (no sign-in): the page asks for
a confirmation, and the POST (also RFC 8058's one-click POST from a mail client) records the
choice as the person's own ``ReminderPreferenceChanged`` event.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from aggregates.errors import DomainError, RuleBroken
from api.deps import get_container
from api.security.ratelimit import CHASE
from commands import messages as m
from commands.principal import Principal
from events.base import Role
from events.reminders import DEFAULT_POLICY, Frequency, Milestone, ReminderPolicy
from projections import reminder_context as rc
from projections.review_status import ReviewView
from reminders.compose import WHAT
from reminders.rules import outstanding
from reminders.tokens import BadToken, read_unsubscribe_token
from web import reads
from web.render import page
from web.session import check_same_origin, current_principal

router = APIRouter(include_in_schema=False)

SignedIn = Annotated[Principal, Depends(current_principal)]
LEADERS = frozenset({Role.SCHOOL_LEADER, Role.TRUST_LEADER, Role.ADMIN})
# Milestones a leader can chase from a review (the others are leaders' own work).
CHASEABLE = (
    Milestone.OBJECTIVES_AGREED,
    Milestone.MID_YEAR_REVIEW,
    Milestone.END_YEAR_REVIEW,
    Milestone.REPORT_ISSUED,
    Milestone.SIGN_OFF,
)


def home_context(request: Request, principal: Principal) -> dict[str, Any]:
    """The home page's "Your reminders" section (staff and leaders who are staff)."""
    container = get_container(request)
    person = rc.people(container.projections.db, [principal.id]).get(principal.id)
    if person is None:
        return {}
    return {
        "reminders": {
            "person": person,
            "pending": container.reminders.ledger.for_person(principal.id),
            "key": str(uuid4()),
            "what": WHAT,
        }
    }


def review_context(request: Request, view: ReviewView, principal: Principal) -> dict[str, Any]:
    """The review page's reminders: what was sent or is waiting, and "chase now" for leaders."""
    container = get_container(request)
    if principal.role not in LEADERS or principal.id in (view.appraisee_id, view.appraiser_id):
        return {}
    stored = rc.policy_for(container.projections.db, view.trust_id)
    policy = ReminderPolicy.model_validate(stored) if stored else DEFAULT_POLICY
    chaseable = []
    for milestone in CHASEABLE:
        state = outstanding(view, milestone, policy)
        if state is not None:
            chaseable.append((milestone, WHAT[milestone], state.deadline))
    return {
        "chase": {
            "milestones": chaseable,
            "sent": container.reminders.ledger.for_review(view.review_id),
            "key": str(uuid4()),
        }
    }


@router.post("/reviews/{review_id}/chase")
def chase(
    request: Request,
    review_id: UUID,
    principal: SignedIn,
    idempotency_key: Annotated[str, Form()],
    milestone: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    check_same_origin(request)
    container = get_container(request)
    reads.review(container.projections.db, principal, review_id)  # 404 unless visible
    if not container.security.limits.hit(CHASE, str(principal.id)).allowed:
        return _review_message(review_id, "chase-error", "Too many chases in the last hour")
    try:
        command = m.ChaseReview(review_id=review_id, milestone=Milestone(milestone), note=note)
        result = container.commands.execute(command, principal, idempotency_key=idempotency_key)
    except ValueError:
        return _review_message(review_id, "chase-error", "Choose a milestone to chase")
    except DomainError as e:
        return _review_message(review_id, "chase-error", e.message)
    if not result.replayed and container.wake_chases is not None:
        container.wake_chases()
    return RedirectResponse(
        f"/reviews/{review_id}?min_position={result.position}&chased={milestone}", 303
    )


def _review_message(review_id: UUID, key: str, message: str) -> Response:
    return RedirectResponse(f"/reviews/{review_id}?{key}={quote(message)}", 303)


@router.post("/me/reminder-preference")
def change_preference(
    request: Request,
    principal: SignedIn,
    idempotency_key: Annotated[str, Form()],
    frequency: Annotated[str, Form()] = "immediate",
    optional_reminders: Annotated[str, Form()] = "",
) -> Response:
    check_same_origin(request)
    container = get_container(request)
    try:
        command = m.ChangeReminderPreference(
            staff_id=principal.id,
            frequency=Frequency(frequency),
            optional_reminders=optional_reminders == "on",
        )
        result = container.commands.execute(command, principal, idempotency_key=idempotency_key)
    except (ValueError, DomainError):
        return RedirectResponse("/home#reminders", 303)
    return RedirectResponse(f"/home?min_position={result.position}#reminders", 303)


def _token_person(request: Request, token: str) -> tuple[Principal, rc.PersonView] | None:
    container = get_container(request)
    secret = container.settings.unsubscribe_secret.get_secret_value()
    try:
        staff_id, trust_id = read_unsubscribe_token(secret, token)
    except BadToken:
        return None
    person = rc.people(container.projections.db, [staff_id]).get(staff_id)
    if person is None or person.trust_id != trust_id:
        return None
    return Principal(staff_id, Role.STAFF, trust_id=trust_id), person


@router.get("/reminders/unsubscribe")
def unsubscribe_page(
    request: Request, token: Annotated[str, Query(max_length=2000)] = ""
) -> Response:
    found = _token_person(request, token)
    if found is None:
        return page(request, "unsubscribe.html", None, status_code=400, state="bad")
    _, person = found
    state = "ask" if person.optional_reminders else "already"
    return page(request, "unsubscribe.html", None, state=state, person=person, token=token)


@router.post("/reminders/unsubscribe")
def unsubscribe(
    request: Request,
    token: Annotated[str, Query(max_length=2000)] = "",
    form_token: Annotated[str, Form(alias="token")] = "",
) -> Response:
    found = _token_person(request, form_token or token)
    if found is None:
        return page(request, "unsubscribe.html", None, status_code=400, state="bad")
    principal, person = found
    command = m.ChangeReminderPreference(
        staff_id=person.staff_id,
        frequency=Frequency(person.frequency),
        optional_reminders=False,
        via="unsubscribe link",
    )
    try:
        get_container(request).commands.execute(command, principal)
    except RuleBroken as e:
        if e.rule != "reminder-preference-changed":
            raise
    return page(request, "unsubscribe.html", None, state="done", person=person)
