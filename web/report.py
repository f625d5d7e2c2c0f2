"""The written report on the dashboard: a printable page and its PDF, for those who may read
the review (as the review's own page: denied looks missing)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import get_container
from commands.principal import Principal
from replay.report import (
    ReportNotFound,
    WrittenReport,
    build_report,
    render_report_body,
    render_report_pdf,
    report_css,
)
from web import reads
from web.render import PageNotFound, page
from web.session import current_principal

router = APIRouter(include_in_schema=False)

SignedIn = Annotated[Principal, Depends(current_principal)]
CSS_MEDIA = "text/css; charset=utf-8"


def readable_report(request: Request, principal: Principal, review_id: UUID) -> WrittenReport:
    """The review's report if the principal may read the review; else, as missing, 404."""
    container = get_container(request)
    db = container.projections.db
    reads.review(db, principal, review_id)
    recorder: Any = container.store.recorder
    try:
        return build_report(db, recorder, review_id)
    except ReportNotFound:
        raise PageNotFound from None


@router.get("/reviews/{review_id}/report", response_class=HTMLResponse)
def report_page(request: Request, review_id: UUID, principal: SignedIn) -> Response:
    report = readable_report(request, principal, review_id)
    return page(request, "report.html", principal, report=report, body=render_report_body(report))


@router.get("/reviews/{review_id}/report.pdf")
async def report_pdf(request: Request, review_id: UUID, principal: SignedIn) -> Response:
    report = await run_in_threadpool(readable_report, request, principal, review_id)
    pdf = await run_in_threadpool(render_report_pdf, report)
    filename = f"appraisal-report-{report.cycle}-{report.appraisee}.pdf"
    safe = "".join(c if c.isalnum() or c in "-." else "-" for c in filename)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/report.css")
def stylesheet() -> Response:
    return Response(report_css(), media_type=CSS_MEDIA, headers={"Cache-Control": "max-age=300"})
