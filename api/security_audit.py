"""The security log for auditors: ``GET /v1/audit/security``.

Denied commands and reads, failed and revoked-token authentications: who, what, when, from
where. An auditor (or trust leader, or trust admin) reads their own trust's entries; a platform
admin reads the entries that name no trust (attempts with tokens that did not verify).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from aggregates.errors import Forbidden
from api.deps import AppContainer, CurrentPrincipal
from api.params import position_cursor
from api.reading import Cursor, Limit, Page, encode_cursor
from api.schemas import PROBLEM_RESPONSES
from api.security.log import SecurityEventKind
from events.base import Role

router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=PROBLEM_RESPONSES)

SECURITY_READERS = frozenset({Role.AUDITOR, Role.TRUST_LEADER, Role.ADMIN})


class SecurityEntry(BaseModel):
    id: int
    at: datetime
    kind: SecurityEventKind
    trust_id: UUID | None
    actor_id: UUID | None
    role: str | None
    client: str
    method: str
    path: str
    detail: str


@router.get("/security", summary="The security log: denials and failed authentications")
def security_log(
    container: AppContainer,
    principal: CurrentPrincipal,
    kind: Annotated[SecurityEventKind | None, Query(description="Only this kind")] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Page[SecurityEntry]:
    if principal.role not in SECURITY_READERS:
        raise Forbidden("only auditors, trust leaders and admins read the security log")
    rows = container.security.log.entries(
        trust_id=principal.trust_id, kind=kind, after=position_cursor(cursor), limit=limit
    )
    items = [SecurityEntry(**vars(r)) for r in rows]
    more = len(rows) == limit
    return Page[SecurityEntry](
        items=items, next_cursor=encode_cursor(rows[-1].id) if more and rows else None
    )
