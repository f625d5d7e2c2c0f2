"""What every query shares: the read-model database, read-your-writes, pages, denials."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Generic, TypeVar
from uuid import UUID

from fastapi import Depends, Query, Request
from pydantic import BaseModel, Field

from aggregates.errors import Hidden, NotFound, RuleBroken
from api.deps import AppContainer
from api.naming import names_for
from api.params import MAX_POSITION, decode_cursor, encode_cursor, position_cursor
from api.problems import NotReady
from projections.engine.db import Database

if TYPE_CHECKING:
    from api.container import Container

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next."""

    items: list[T]
    next_cursor: str | None = Field(description="Opaque cursor of the next page; null at the end")
    names: dict[UUID, str] = Field(
        default_factory=dict,
        description="Display names (as of now) of the people, schools, cycles and priorities "
        "whose ids the items carry",
    )


def read_db(request: Request, container: AppContainer) -> Database:
    return request_db(request, container)


def request_db(request: Request, container: Container) -> Database:
    """The read models for this request: a replica's for a GET when configured and safe for
    the caller's ``?min_position=`` (docs/deployment.md), else the primary's. A command's
    own checks (a POST) always read the primary."""
    if request.method not in ("GET", "HEAD"):
        return container.projections.db
    return container.read_db(requested_position(request))


def requested_position(request: Request) -> int | None:
    """The request's ``?min_position=`` when it is a number (the route validates it)."""
    raw = request.query_params.get("min_position")
    return int(raw) if raw is not None and raw.isdigit() else None


ReadDb = Annotated[Database, Depends(read_db)]

MinPosition = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_POSITION,
        description="A log position a command returned: wait until this view includes it",
    ),
]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page")]


def fresh(container: AppContainer, min_position: int | None, *names: str) -> None:
    """Read-your-writes: wait briefly for the named read models to reach ``min_position``."""
    if min_position is None:
        return
    head = container.projections.head()
    if min_position > head:
        raise RuleBroken(
            "min-position-exists",
            f"no event has been recorded at position {min_position} (the log ends at {head})",
        )
    timeout = container.settings.read_your_writes_timeout
    # Answers carry names from the directory: it must include the write too.
    wanted = [*names, "directory"]
    if not container.projections.wait_for(min_position, names=wanted, timeout=timeout):
        raise NotReady(
            f"the read model has not reached position {min_position} yet; retry shortly",
            position=min_position,
        )


def hidden(what: str, *, denied: bool = False) -> NotFound:
    """The one answer for "missing" and "not yours": a denial never reveals existence.
    ``denied`` marks a refusal (the same answer, but recorded in the security log)."""
    message = f"there is no {what} with that id visible to you"
    return Hidden(message) if denied else NotFound(message)


__all__ = ["decode_cursor", "encode_cursor", "position_cursor"]


def paged(items: list[T], cursor: str | None, limit: int) -> Page[T]:
    """Page a small, bounded list (a school's reviews) by offset."""
    start = position_cursor(cursor)
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return Page[T](items=chunk, next_cursor=encode_cursor(start + limit) if more else None)


def with_names(db: Database, page: Page[T]) -> Page[T]:
    """The page with the display names of the ids its items carry."""
    page.names = names_for(db, page.items)
    return page
