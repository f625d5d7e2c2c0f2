"""Erasing one leaver from the dashboard: a confirmation page that names them, says what
becomes unreadable and asks for a reason, a basis and their name typed; then the same
``Eraser.erase`` as ``POST /v1/privacy/erasures/{id}``, and a page saying what was done (their
name now reads "Erased person"). Administrators of the person's trust only (``web.privacy``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from aggregates.errors import DomainError, Forbidden, NotFound
from api.deps import get_container
from commands import messages as m
from commands.principal import Principal
from commands.states import STAFF
from events.sealing import ERASED_PERSON
from events.staff import ErasureBasis, PersonErased
from projections import directory, observation_log, review_status
from projections.audit_log import audit_events
from projections.objective_current import objectives_for_appraisee
from replay.export import named_entries
from web.actions import Action, Field, FormState, field_errors
from web.privacy import PrivacyForm, admin_of, read_form, refusal
from web.render import PageNotFound, caught_up, page
from web.session import check_same_origin

router = APIRouter(include_in_schema=False)

ERASE_FORM = Action(
    key="erase",
    label="Erase their personal data",
    command=m.ErasePerson,
    on="review",
    fields=(
        Field(
            "basis",
            "Basis",
            "select",
            options=(
                (ErasureBasis.REQUEST.value, "Their request (right to erasure)"),
                (ErasureBasis.RETENTION.value, "The trust's retention schedule"),
            ),
        ),
        Field(
            "reason",
            "Reason",
            "textarea",
            hint="Kept readable in the audit log: do not write their name here.",
        ),
        Field(
            "confirm_name",
            "Type their name to confirm",
            hint="Exactly as shown above: an erasure cannot be undone.",
        ),
    ),
    button="Erase their personal data",
)


# -- erasing one leaver ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Held:
    """What becomes unreadable: their words in these records (counts and dates stay)."""

    reviews: int
    objectives: int
    observations: int


def _held(request: Request, person_id: UUID) -> Held:
    db = get_container(request).projections.db
    reviews = review_status.reviews_for_appraisee(db, person_id)
    objectives = sum(
        len(objectives_for_appraisee(db, person_id, c)) for c in {r.cycle_id for r in reviews}
    )
    observations = len(observation_log.observations_of(db, person_id))
    return Held(len(reviews), objectives, observations)


def _person(request: Request, principal: Principal, person_id: UUID) -> directory.Person:
    person = directory.get_person(get_container(request).projections.db, person_id)
    if person is None or person.trust_id != principal.trust_id:
        raise PageNotFound
    return person


def _erased(request: Request, person_id: UUID) -> bool:
    try:
        return bool(get_container(request).commands.states.get(STAFF, person_id, max_age=0).erased)
    except NotFound:
        raise PageNotFound from None


def _erasure_record(request: Request, person_id: UUID) -> Any:
    db = get_container(request).projections.db
    found = audit_events(db, aggregate_id=person_id, event_type=PersonErased.__name__, limit=1)
    return named_entries(db, found)[0] if found else None


def _erase_page(
    request: Request,
    principal: Principal,
    person: directory.Person,
    *,
    form: FormState | None = None,
    status_code: int = 200,
    outcome: dict[str, int] | None = None,
    fresh: bool = True,
) -> HTMLResponse:
    container = get_container(request)
    erased = _erased(request, person.staff_id)
    refusal = None
    if not erased and form is None:
        probe = m.ErasePerson(staff_id=person.staff_id, reason="the dashboard's check")
        found = container.commands.check(probe, principal)
        refusal = found.message[:1].upper() + found.message[1:] if found else None
    state = form or FormState(str(uuid4()), {"basis": ErasureBasis.REQUEST.value})
    url = f"/privacy/erasures/{person.staff_id}"
    return page(
        request,
        "privacy_erase.html",
        principal,
        person=person,
        erased=erased,
        record=_erasure_record(request, person.staff_id) if erased else None,
        refusal=refusal,
        held=None if erased else _held(request, person.staff_id),
        erase_form=PrivacyForm(ERASE_FORM, state, url, "erase"),
        outcome=outcome,
        erased_person=ERASED_PERSON,
        fresh=fresh,
        status_code=status_code,
    )


Count = Annotated[int | None, Query(ge=0, le=10**9)]


@router.get("/privacy/erasures/{person_id}", response_class=HTMLResponse)
def erase_page(
    request: Request,
    person_id: UUID,
    min_position: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    sealed: Count = None,
    files: Count = None,
    rows: Count = None,
) -> Response:
    principal = admin_of(request)
    person = _person(request, principal, person_id)
    fresh = caught_up(request, min_position, "audit_log")
    outcome = None
    if sealed is not None and files is not None and rows is not None:
        outcome = {"sealed": sealed, "files": files, "rows": rows}
    return _erase_page(request, principal, person, outcome=outcome, fresh=fresh)


def _same_name(typed: str, person: directory.Person) -> bool:
    def norm(s: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", s).casefold().split())

    return bool(norm(typed)) and norm(typed) in {norm(person.display_name), norm(person.name)}


def _erase(
    request: Request, principal: Principal, person_id: UUID, values: dict[str, str]
) -> Response:
    container = get_container(request)
    person = _person(request, principal, person_id)
    key = values.get("idempotency_key", "")
    if not 8 <= len(key) <= 200:
        raise PageNotFound
    shown = {f.name: values.get(f.name, "") for f in ERASE_FORM.fields}
    state = FormState(key, shown)
    try:
        command = m.ErasePerson.model_validate(
            {"staff_id": person_id, "reason": shown["reason"], "basis": shown["basis"]}
        )
    except ValidationError as e:
        state.errors, state.error = field_errors(e, ERASE_FORM)
        state.error = state.error or "Not erased: check the fields marked below."
    else:
        # Their name is asked before an erasure; once erased (a replayed form, or someone
        # else was first) the Eraser answers: the first result, or the rule's refusal.
        if not _erased(request, person_id) and not _same_name(shown["confirm_name"], person):
            state.errors = {
                "confirm_name": f"Type their name: {person.display_name}, to confirm the erasure"
            }
            state.error = "Not erased: their name was not typed as shown."
        else:
            assert container.eraser is not None
            try:
                done = container.eraser.erase(
                    person_id,
                    reason=command.reason,
                    principal=principal,
                    basis=command.basis,
                    idempotency_key=f"web-erasure:{key}",
                )
            except (Forbidden, NotFound):
                raise PageNotFound from None
            except DomainError as e:
                state.errors, state.error = refusal(e, ERASE_FORM)
            else:
                query = {
                    "min_position": str(done.position or 1),
                    "sealed": str(done.sealed_events),
                    "files": str(done.files_removed),
                    "rows": str(done.rows_scrubbed),
                }
                return RedirectResponse(f"/privacy/erasures/{person_id}?{urlencode(query)}", 303)
    state.values["confirm_name"] = ""
    return _erase_page(request, principal, person, form=state, status_code=422)


# The form is read asynchronously; the reads and the erasure run in the pool.
@router.post("/privacy/erasures/{person_id}")
async def erase(request: Request, person_id: UUID) -> Response:
    check_same_origin(request)
    principal = await run_in_threadpool(admin_of, request)
    values = await read_form(request)
    return await run_in_threadpool(_erase, request, principal, person_id, values)
