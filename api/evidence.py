"""Evidence: files (sniffed, size-limited, kept in the blob store) and links attached to an
objective or an observation; listing, downloading (read policy checked) and removal."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from anyio.to_thread import run_sync
from fastapi import APIRouter, Body, File, Form, Request, Response, UploadFile
from pydantic import AnyUrl, BaseModel, ConfigDict, Field

from aggregates.errors import RuleBroken
from api.commanding import run_command
from api.container import Container
from api.deps import AppContainer, CurrentPrincipal, ExpectedVersion, IdempotencyKey
from api.objectives import objective_scope
from api.observations import visible_observation
from api.reading import MinPosition, ReadDb, fresh, hidden
from api.requesting import Accepted, CommandCall
from api.schemas import PROBLEM_RESPONSES
from blobstore import BlobMissing
from commands import development_messages as d
from commands.evidence_files import EvidenceFiles
from commands.messages import Name
from commands.principal import Principal
from commands.read_policy import may_read_record
from commands.service import CommandResult
from events.evidence import EvidenceSubject
from projections import evidence_list, objective_current
from projections.engine.db import Database
from projections.evidence_list import EvidenceView

router = APIRouter(prefix="/v1", tags=["evidence"], responses=PROBLEM_RESPONSES)


class AttachEvidenceLinkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: EvidenceSubject
    subject_id: UUID
    title: Name
    url: AnyUrl
    evidence_id: UUID | None = None


@router.post(
    "/evidence/links",
    summary="Attach a link as evidence to an objective or an observation",
    status_code=201,
    response_model=Accepted,
    responses=PROBLEM_RESPONSES,
    operation_id="AttachEvidenceLink",
)
def attach_evidence_link(
    body: Annotated[
        AttachEvidenceLinkBody,
        Body(
            openapi_examples={
                "example": {
                    "value": {
                        "subject": "objective",
                        "subject_id": "0f1e2d3c-4b5a-4697-8877-665544332211",
                        "title": "Reading journal (school drive)",
                        "url": "https://drive.example.org/reading-journal",
                    }
                }
            }
        ),
    ],
    call: CommandCall,
) -> Response:
    return run_command(call, d.AttachEvidenceLink, body, status_code=201)


_CHUNK = 64 * 1024


class EvidenceOut(BaseModel):
    items: list[EvidenceView]


class Removal(BaseModel):
    reason: str = Field(min_length=3, max_length=2000)


def _subject_visible(
    db: Database, principal: Principal, subject: EvidenceSubject | str, subject_id: UUID
) -> None:
    if subject == EvidenceSubject.OBJECTIVE:
        view = objective_current.get_objective(db, subject_id)
        if view is None or not may_read_record(principal, objective_scope(view)):
            raise hidden(str(subject))
    else:
        visible_observation(db, principal, subject_id)


def _evidence(container: Container) -> EvidenceFiles:
    assert container.evidence is not None
    return container.evidence


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    """The upload's bytes, refusing as soon as it passes the limit."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise RuleBroken(
                "evidence-file-size",
                f"the file is larger than the limit of {limit:,} bytes",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _accepted(result: CommandResult, response: Response) -> Accepted:
    response.headers["ETag"] = f'"{result.version}"'
    return Accepted(
        aggregate_id=result.aggregate_id,
        version=result.version,
        position=result.position,
        created_id=result.created_id,
        replayed=result.replayed,
    )


async def _upload(
    request: Request,
    response: Response,
    principal: Principal,
    subject: EvidenceSubject,
    subject_id: UUID,
    upload: UploadFile,
    title: str,
    key: str | None,
) -> Accepted:
    container: Container = request.app.state.container
    files = _evidence(container)
    data = await _read_limited(upload, files.max_bytes)
    result = await run_sync(
        lambda: files.attach(
            principal,
            subject=subject,
            subject_id=subject_id,
            filename=upload.filename or "",
            data=data,
            title=title,
            idempotency_key=key,
        )
    )
    return _accepted(result, response)


Upload = Annotated[UploadFile, File(description="PDF, image or office document")]
Title = Annotated[str, Form(max_length=200)]


@router.post(
    "/objectives/{objective_id}/evidence/files",
    status_code=201,
    summary="Attach a file as evidence of progress on an objective (appraisee or appraiser)",
)
async def attach_objective_file(
    objective_id: UUID,
    file: Upload,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    key: IdempotencyKey,
    title: Title = "",
) -> Accepted:
    return await _upload(
        request, response, principal, EvidenceSubject.OBJECTIVE, objective_id, file, title, key
    )


@router.post(
    "/observations/{observation_id}/evidence/files",
    status_code=201,
    summary="Attach a file to an observation (the observed person or the observer)",
)
async def attach_observation_file(
    observation_id: UUID,
    file: Upload,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    key: IdempotencyKey,
    title: Title = "",
) -> Accepted:
    return await _upload(
        request, response, principal, EvidenceSubject.OBSERVATION, observation_id, file, title, key
    )


@router.post("/evidence/{evidence_id}/removal", summary="Remove evidence (its bytes are deleted)")
def remove_evidence(
    evidence_id: UUID,
    body: Removal,
    container: AppContainer,
    principal: CurrentPrincipal,
    response: Response,
    key: IdempotencyKey,
    expected: ExpectedVersion,
) -> Accepted:
    result = _evidence(container).remove(
        principal, evidence_id, body.reason, idempotency_key=key, expected_version=expected
    )
    return _accepted(result, response)


def _visible(db: Database, principal: Principal, evidence_id: UUID) -> EvidenceView:
    view = evidence_list.get_evidence(db, evidence_id)
    if view is None:
        raise hidden("evidence")
    _subject_visible(db, principal, view.subject, view.subject_id)
    return view


@router.get("/evidence/{evidence_id}", summary="One piece of evidence (its facts, not its bytes)")
def get_evidence(
    evidence_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> EvidenceView:
    fresh(container, min_position, "evidence_list", "objective_current", "observation_log")
    return _visible(db, principal, evidence_id)


@router.get(
    "/evidence/{evidence_id}/file",
    summary="Download an evidence file (the read policy of what it is evidence for applies)",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_evidence(
    evidence_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> Response:
    fresh(container, min_position, "evidence_list", "objective_current", "observation_log")
    view = _visible(db, principal, evidence_id)
    if not view.is_file or view.removed or view.sha256 is None:
        raise hidden("evidence file")
    try:
        data = _evidence(container).read(view.evidence_id, view.sha256)
    except BlobMissing:
        raise hidden("evidence file") from None
    name = view.filename or "evidence"
    return Response(
        content=data,
        media_type=view.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/objectives/{objective_id}/evidence", summary="The evidence of an objective")
def list_objective_evidence(
    objective_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> EvidenceOut:
    fresh(container, min_position, "evidence_list", "objective_current")
    _subject_visible(db, principal, EvidenceSubject.OBJECTIVE, objective_id)
    return EvidenceOut(items=evidence_list.evidence_for(db, objective_id))


@router.get("/observations/{observation_id}/evidence", summary="The evidence of an observation")
def list_observation_evidence(
    observation_id: UUID,
    db: ReadDb,
    container: AppContainer,
    principal: CurrentPrincipal,
    min_position: MinPosition = None,
) -> EvidenceOut:
    fresh(container, min_position, "evidence_list", "observation_log")
    _subject_visible(db, principal, EvidenceSubject.OBSERVATION, observation_id)
    return EvidenceOut(items=evidence_list.evidence_for(db, observation_id))
