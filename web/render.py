"""Templates, the page-level errors, and what every page shares (who is signed in, fresh reads)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from api.deps import get_container
from api.naming import ids_in
from commands.principal import Principal
from events.base import Role
from projections.directory import Names

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

ROLE_NAMES = {
    Role.STAFF: "Member of staff",
    Role.SCHOOL_LEADER: "School leader",
    Role.TRUST_LEADER: "Trust leader",
    Role.AUDITOR: "Auditor",
    Role.ANALYST: "Analyst",
    Role.GOVERNOR: "Governor",
    Role.ADMIN: "Administrator",
    Role.PAY_COMMITTEE: "Pay committee",
}


class PageNotFound(Exception):
    """Missing, or not the principal's to see: one answer for both, as in the API."""


def page(
    request: Request,
    name: str,
    principal: Principal | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    role = ROLE_NAMES.get(principal.role) if principal else None
    ids = ids_in(list(context.values()))
    if principal is not None:
        ids |= {str(principal.id)} | ({str(principal.trust_id)} if principal.trust_id else set())
    names = Names(get_container(request).projections.db).now(ids) if ids else {}
    return templates.TemplateResponse(
        request,
        name,
        {"principal": principal, "role_name": role, "names": names, **context},
        status_code=status_code,
    )


def caught_up(request: Request, min_position: int | None, *names: str) -> bool:
    """Read-your-writes for a page reached after a form: wait briefly for the read models to
    include the write. False if they have not yet (the page then says it is still updating)."""
    if min_position is None:
        return True
    container = get_container(request)
    # As on the API: a position past the head of the log is never waited for (a crafted
    # ?min_position= must not hold a thread for the whole timeout).
    if min_position > (container.projections.head()):
        return False
    timeout = container.settings.read_your_writes_timeout
    return container.projections.wait_for(min_position, names=list(names), timeout=timeout)


def short(value: object) -> str:
    """A short, readable form of an id for tables (the full id is in the link)."""
    return str(value)[:8]


@pass_context
def name(ctx: Context, value: object) -> str:
    """The display name of a person, school, cycle, priority or trust id (else its short id)."""
    names: dict[str, str] = ctx.get("names") or {}
    return names.get(str(value)) or short(value)


@pass_context
def shown_named(ctx: Context, value: object) -> str:
    """``shown``, with an id that has a name shown as the name."""
    names: dict[str, str] = ctx.get("names") or {}
    if isinstance(value, str) and value in names:
        return names[value]
    return shown(value)


def shown(value: object) -> str:
    """A changed field's value as a person reads it: lists joined, yes/no, words not codes."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(shown(v) for v in value) or "(none)"
    return (
        str(value).replace("_", " ") if isinstance(value, str) and " " not in value else str(value)
    )


def words(name: str) -> str:
    """``ObjectiveDrafted`` → ``Objective drafted``."""
    return re.sub(r"(?<!^)([A-Z])", lambda m: " " + m.group(1).lower(), name)


templates.env.filters["short"] = short
templates.env.filters["shown"] = shown_named
templates.env.filters["name"] = name
templates.env.filters["words"] = words
