"""Mounts the dashboard on the API's app: its pages, forms, static files and error pages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from web import (
    access,
    account,
    audit_pages,
    development,
    erasure,
    forms,
    pages,
    pay,
    privacy,
    reminders,
    report,
    signin,
    trust_pages,
)
from web.render import HERE, PageNotFound, page
from web.session import CrossSiteRequest, SignInRequired


def install(app: FastAPI) -> None:
    app.include_router(signin.router)
    app.include_router(pages.router)
    app.include_router(account.router)
    app.include_router(access.router)
    app.include_router(forms.router)
    app.include_router(reminders.router)
    app.include_router(development.router)
    app.include_router(pay.router)
    app.include_router(privacy.router)
    app.include_router(erasure.router)
    app.include_router(report.router)
    app.include_router(trust_pages.router)
    app.include_router(audit_pages.router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    async def sign_in_required(_request: Request, _exc: Exception) -> Response:
        return RedirectResponse("/", status_code=303)

    async def not_found(request: Request, _exc: Exception) -> Response:
        return page(request, "not_found.html", None, status_code=404)

    async def cross_site(request: Request, _exc: Exception) -> Response:
        return page(request, "forbidden.html", None, status_code=403)

    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(PageNotFound, not_found)
    app.add_exception_handler(CrossSiteRequest, cross_site)
