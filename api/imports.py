"""Onboarding: a staff export from a school MIS, synced into the trust (administrators)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any
from uuid import UUID

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from aggregates.errors import Forbidden, RuleBroken
from api.deps import AppContainer, CurrentPrincipal
from api.problems import NotReady, problem
from api.schemas import PROBLEM_RESPONSES
from events.base import Role
from onboarding.mapping import MappingError, load_mapping, shipped
from onboarding.staff_import import Plan, plan_sync, record

router = APIRouter(prefix="/v1/imports", tags=["onboarding"], responses=PROBLEM_RESPONSES)

MAX_BYTES = 20 * 1024 * 1024
READS = ["directory"]


class RejectedRow(BaseModel):
    line: int
    reason: str


class ImportResult(BaseModel):
    """The plan of a sync (what it adds, changes and marks as leaving) and what was recorded."""

    dry_run: bool
    rows: int
    add: list[str]
    change: list[str]
    leave: list[str] = Field(description="Missing from the export: left only with confirm_leavers")
    rejected: list[RejectedRow]
    commands_recorded: int


def _result(plan: Plan, *, dry_run: bool, recorded: int) -> ImportResult:
    return ImportResult(
        dry_run=dry_run,
        rows=plan.rows,
        add=plan.add,
        change=plan.change,
        leave=plan.leave,
        rejected=[RejectedRow(**asdict(r)) for r in plan.rejected],
        commands_recorded=recorded,
    )


@router.post(
    "/staff",
    summary="Sync staff from an MIS export (text/csv body); dry_run=true plans only",
    response_model=ImportResult,
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
    },
)
async def import_staff(
    request: Request,
    container: AppContainer,
    principal: CurrentPrincipal,
    mapping: Annotated[
        str, Query(pattern=r"^[a-z0-9_-]{1,50}$", description="A shipped mapping (generic)")
    ] = "generic",
    dry_run: Annotated[bool, Query(description="Plan only: record nothing")] = True,
    confirm_leavers: Annotated[
        bool, Query(description="Also record people missing from the export as leaving")
    ] = False,
    trust_id: Annotated[
        UUID | None, Query(description="Platform admins only: the trust to sync")
    ] = None,
) -> Any:
    if principal.role is not Role.ADMIN:
        raise Forbidden("only the trust's administrators import staff")
    trust = principal.trust_id or trust_id
    if trust is None:
        raise RuleBroken("trust-required", "name the trust to import into (trust_id)")
    body = await request.body()
    if len(body) > MAX_BYTES:
        raise RuleBroken("file-size", f"the file is larger than {MAX_BYTES // 1_048_576} MB")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RuleBroken("file-encoding", "the file is not UTF-8 text") from None
    try:
        layout = load_mapping(mapping)
    except MappingError as e:
        raise RuleBroken("mapping-known", f"{e} (shipped: {', '.join(shipped())})") from None

    def run() -> tuple[Plan, int]:
        # The plan compares the file with the directory: it must include every write so far.
        head = container.projections.head()
        timeout = max(container.settings.read_your_writes_timeout, 10.0)
        if not container.projections.wait_for(head, names=READS, timeout=timeout):
            raise NotReady("the directory is still catching up; retry shortly", position=head)
        plan = plan_sync(
            container.projections.db, trust, text.splitlines(), layout, today=date.today()
        )
        if dry_run or not plan.ok:
            return plan, 0
        return plan, record(container.commands, principal, plan, confirm_leavers=confirm_leavers)

    plan, recorded = await anyio.to_thread.run_sync(run)
    result = _result(plan, dry_run=dry_run, recorded=recorded)
    if not plan.ok and not dry_run:
        return problem(
            422,
            "rows-rejected",
            "Rows rejected",
            f"{len(plan.rejected)} rows were rejected; nothing was recorded",
            request,
            rejected=[r.model_dump() for r in result.rejected],
        )
    return JSONResponse(result.model_dump())
