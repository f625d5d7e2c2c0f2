"""Subject access: a trust administrator exports everything held about a person.

``GET /v1/admin/people/{person_id}/subject-access?format=json|html|pdf|zip`` answers the
export (JSON by default; the readable document as HTML or PDF; or a zip bundle with both and
the person's evidence files) and records ``SubjectAccessExported`` with who, for whom and
when. Only the administrators of the person's own trust may ask; to anyone else, and for an
id that is no one, the answer is the same 404 problem (docs/privacy-subject-access.md).
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import AppContainer, CurrentPrincipal
from api.reading import fresh, hidden
from api.schemas import PROBLEM_RESPONSES
from commands.read_policy import may_export_subject_access
from privacy.export import UnknownPerson
from privacy.subject_access_service import produce
from projections.directory import get_person

router = APIRouter(prefix="/v1", tags=["privacy"])


@router.get(
    "/admin/people/{person_id}/subject-access",
    summary="Everything held about a person (subject access), recorded as an event",
    responses={
        **PROBLEM_RESPONSES,
        200: {
            "content": {
                "application/json": {},
                "text/html": {},
                "application/pdf": {},
                "application/zip": {},
            },
            "description": "The export in the format asked for",
        },
    },
    response_class=Response,
)
def subject_access_export(
    person_id: UUID,
    principal: CurrentPrincipal,
    container: AppContainer,
    format: Annotated[
        Literal["json", "html", "pdf", "zip"],
        Query(description="json (default), html, pdf, or zip (all of them and the files)"),
    ] = "json",
) -> Response:
    db = container.projections.db
    person = get_person(db, person_id)
    if person is None:
        raise hidden("person")
    if not may_export_subject_access(principal, person.trust_id):
        raise hidden("person", denied=True)
    # The export reads the log to its head; its rows and names must be as current.
    fresh(container, container.projections.head())
    blobs = container.evidence.blobs if container.evidence is not None else None
    try:
        produced = produce(db, container.commands, principal, person_id, format, blobs=blobs)
    except UnknownPerson:
        raise hidden("person") from None
    return Response(
        produced.content,
        media_type=produced.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{produced.filename}"',
            "Cache-Control": "no-store",
            "X-Log-Position": str(produced.position or ""),
        },
    )
