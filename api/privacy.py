"""Privacy: erasing a leaver's personal data, and the trusts' retention plans (admins only).

Erasure is more than a command: after ``ErasePerson`` is recorded the service deletes the
person's key, their files and their values in the read models (privacy/erasure.py), so it
has its own endpoint. To anyone but the trust's administrators these answer 404, exactly
as for a person who does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, ConfigDict

from aggregates.errors import NOT_VISIBLE, Forbidden, Hidden
from api.commanding import run_command
from api.deps import AppContainer, CurrentPrincipal
from api.requesting import Accepted, CommandCall
from api.schemas import PROBLEM_RESPONSES
from commands import messages as m
from commands.principal import Principal
from events.base import Role
from events.staff import ErasureBasis
from privacy import retention

router = APIRouter(prefix="/v1/privacy", tags=["privacy"])


class SetRetentionPolicyBody(BaseModel):
    """How long a trust keeps a leaver's personal data before it is erased."""

    model_config = ConfigDict(extra="forbid")

    trust_id: UUID
    # Whole years after their leaving date; None: kept until erased by hand.
    erase_after_years: m.RetentionYears | None
    reason: m.Reason


@router.post(
    "/retention-policy",
    summary="Set how long a trust keeps leavers' personal data (None: until erased by hand)",
    description=(m.SetRetentionPolicy.__doc__ or "").strip(),
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="SetRetentionPolicy",
)
def set_retention_policy(
    body: Annotated[
        SetRetentionPolicyBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "trust_id": "3f1c2a9e-6b1d-4c55-9f1e-2a7d3c4b5e60",
                        "erase_after_years": 6,
                        "reason": "Trust data retention schedule, section 4",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, m.SetRetentionPolicy, body)


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: m.Reason
    basis: ErasureBasis = ErasureBasis.REQUEST


class ErasureDone(BaseModel):
    """What the erasure did: ids and counts (it names nobody)."""

    person_id: UUID
    position: int | None
    sealed_events: int
    files_removed: int
    rows_scrubbed: int
    seconds: float
    replayed: bool


class RetentionDue(BaseModel):
    person_id: UUID
    trust_id: UUID
    name: str
    left_on: date
    erase_on: date
    years: int


def _hidden(exc: Forbidden) -> Hidden:
    return Hidden(NOT_VISIBLE, exc.message)


@router.post(
    "/erasures/{staff_id}",
    summary="Erase a leaver's personal data (their key, files and read-model values)",
    responses=PROBLEM_RESPONSES,
)
def erase_person(
    staff_id: UUID, body: ErasureRequest, call: CommandCall, container: AppContainer
) -> ErasureDone:
    principal = call.principal()
    assert container.eraser is not None
    try:
        done = container.eraser.erase(
            staff_id,
            reason=body.reason,
            principal=principal,
            basis=body.basis,
            idempotency_key=call.idempotency_key,
        )
    except Forbidden as e:
        raise _hidden(e) from None
    return ErasureDone(
        person_id=done.person_id,
        position=done.position,
        sealed_events=done.sealed_events,
        files_removed=done.files_removed,
        rows_scrubbed=done.rows_scrubbed,
        seconds=round(done.seconds, 3),
        replayed=done.replayed,
    )


def _require_admin(principal: Principal, trust_id: UUID | None) -> None:
    if principal.role is not Role.ADMIN or (
        trust_id is not None and not principal.in_trust(trust_id)
    ):
        raise Hidden(NOT_VISIBLE, "only a trust's administrators see its retention plan")


@router.get(
    "/retention",
    summary="Who the retention policy erases, by name, and when (a dry run: nothing erased)",
    responses=PROBLEM_RESPONSES,
)
def retention_plan(
    principal: CurrentPrincipal,
    container: AppContainer,
    trust_id: Annotated[UUID | None, Query()] = None,
    on: Annotated[date | None, Query(description="As of this day (default today)")] = None,
    until: Annotated[date | None, Query(description="Look ahead to this day")] = None,
) -> list[RetentionDue]:
    trust = trust_id if trust_id is not None else principal.trust_id
    _require_admin(principal, trust)
    today = on or retention.today_utc()
    due = retention.plan(
        container.projections.db, container.commands, today=today, trust_id=trust, horizon=until
    )
    return [
        RetentionDue(
            person_id=d.person_id,
            trust_id=d.trust_id,
            name=d.name,
            left_on=d.left_on,
            erase_on=d.erase_on,
            years=d.years,
        )
        for d in due
    ]
