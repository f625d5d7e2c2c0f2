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
    422: _problem("Invalid input, or a domain rule broken (see `rule`)"),
    503: _problem("A read model has not reached `min_position` yet (retry after a moment)"),
}
