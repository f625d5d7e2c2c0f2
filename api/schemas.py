"""Shared response schemas: problem details, as documented in OpenAPI."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


def _problem(description: str) -> dict[str, Any]:
    return {
        "model": Problem,
        "description": description,
        "content": {"application/problem+json": {}},
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("Bad request"),
    401: _problem("Missing or invalid bearer token"),
    403: _problem("The principal may not do this"),
    404: _problem("No such resource (or not visible to the principal)"),
    409: _problem("Conflict: exists already, or changed concurrently"),
    412: _problem("If-Match names a version that is no longer current"),
    413: _problem("Request body too large"),
    414: _problem("Request line too long"),
    422: _problem("Invalid input, an unknown query parameter, or a domain rule broken"),
    429: _problem("Too many failed authentications or sign-ins from this client (Retry-After)"),
    431: _problem("Request headers too large"),
    503: _problem(
        "The store is unavailable (`store-unavailable`), or a read model has not reached "
        "`min_position` yet; retry after `Retry-After` seconds"
    ),
}
