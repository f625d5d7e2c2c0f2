"""The OpenAPI document, refined in one place so clients can generate from it.

Routes declare the problem responses broadly (``api.schemas.PROBLEM_RESPONSES``); this module
post-processes the generated document once:

* every error response is an RFC 9457 problem under ``application/problem+json`` (the media
  type the server sends), with an example;
* each operation keeps only the error codes it can return, worked out from what the operation
  is: 401/403 only where a bearer token is required, 409/412 only for commands, 413 only with
  a request body, 503 only with ``min_position``, 400 only for commands and cursors, 404 only
  where something is named in the path or the body, 422 only where there is input;
* operation ids are the route functions' names (``get_trust_summary``), tags have descriptions,
  and commands' answers carry an example.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.schemas import PROBLEM_RESPONSES

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_TYPES = "https://appraisal-ledger.dev/problems/"

TAGS: list[dict[str, str]] = [
    {
        "name": "directory",
        "description": "Find people and things by name: staff search, schools, cycles, "
        "priorities, a cycle's reviews.",
    },
    {"name": "onboarding", "description": "Sync staff from a school MIS export (admins)."},
    {"name": "trusts", "description": "Register a trust; its schools, priorities and summaries."},
    {"name": "schools", "description": "A school's cycle summary and its reviews."},
    {"name": "staff", "description": "Staff records: registration, transfers, line managers."},
    {"name": "cycles", "description": "Appraisal cycles: schedule, open, close, reopen, policy."},
    {"name": "reviews", "description": "A member of staff's review: meetings to sign-off."},
    {"name": "objectives", "description": "Objectives: draft, agree, revise, assess, withdraw."},
    {
        "name": "audit",
        "description": "The tamper-evident log: history as of any moment, verification, the "
        "public keys that verify checkpoints, exports.",
    },
    {
        "name": "reminders",
        "description": "Reminders and chasing: a trust's policy, a person's preference and "
        "pending reminders, a leader's chase now.",
    },
    {
        "name": "access",
        "description": "Roles granted and revoked (events), who held which role when, ending a "
        "person's sessions.",
    },
    {
        "name": "privacy",
        "description": "Subject access: everything held about a person, other people's "
        "private data withheld, for the trust's administrators; each export recorded.",
    },
    {"name": "me", "description": "Who you are signed in as, your sessions, personal API tokens."},
    {"name": "sessions", "description": "Signing out a JWT, and an admin revoking someone's JWT."},
    {"name": "operations", "description": "Liveness, readiness and Prometheus metrics."},
    {"name": "sessions", "description": "Signing out: revoke the token in use, or any token."},
    {"name": "cpd", "description": "CPD: planned, done, reflected on; logs and CPD views."},
    {"name": "evidence", "description": "Evidence files and links on objectives and observations."},
    {
        "name": "observations",
        "description": "Observations, learning walks, standards focus.",
    },
    {"name": "pay", "description": "The pay recommendation, kept apart from the report."},
    {"name": "framework", "description": "A trust's objective templates and rating scales."},
]

_EXAMPLES: dict[int, tuple[str, str, str]] = {
    400: ("bad-cursor", "Bad cursor", "the cursor is not one this endpoint issued"),
    401: ("unauthenticated", "Unauthenticated", "a bearer token is required"),
    403: ("forbidden", "Forbidden", "only the review's appraiser may record a meeting"),
    404: ("not-found", "Not found", "no such review"),
    409: ("conflict", "Conflict", "the review was changed concurrently; retry"),
    412: ("stale-version", "Precondition failed", "If-Match 3 but the review is at version 4"),
    413: ("payload-too-large", "Payload too large", "request bodies are limited to 262144 bytes"),
    422: ("validation-error", "Invalid input", "invalid: body.title"),
    429: ("rate-limited", "Too many requests", "too many failed authentications; wait"),
    503: ("not-ready", "Not ready", "the read model has not reached position 1042 yet"),
}

ACCEPTED_EXAMPLE = {
    "aggregate_id": "6b1d2c1e-54f4-4c1a-9d0e-6f1f4c2b7a10",
    "version": 4,
    "position": 1042,
    "created_id": None,
    "replayed": False,
}


def operation_id(route: APIRoute) -> str:
    """Operation ids are the route functions' names: stable, readable, unique (tested)."""
    return route.name


def _example(status: int) -> dict[str, Any]:
    kind, title, detail = _EXAMPLES[status]
    return {"type": _TYPES + kind, "title": title, "status": status, "detail": detail}


def possible_errors(method: str, operation: dict[str, Any]) -> set[int]:
    """The problem statuses this operation can answer with."""
    params = {p["name"]: p for p in operation.get("parameters", [])}
    located = {p["in"] for p in params.values()}
    command = method == "post"
    body = "requestBody" in operation
    codes: set[int] = set()
    if operation.get("security"):
        # Authenticated: refused, rate-limited after failed attempts, or the store is down.
        codes |= {401, 403, 429, 503}
    if command or "path" in located:
        codes.add(404)
    if command:
        codes |= {400, 409, 412}
    if body:
        codes.add(413)
    if params or body:
        codes.add(422)
    if "cursor" in params:
        codes.add(400)
    if "min_position" in params:
        codes.add(503)
    return codes


def _is_problem(response: dict[str, Any]) -> bool:
    """A problem response as declared by a route, or FastAPI's default 422."""
    content = response.get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    return PROBLEM_MEDIA_TYPE in content or ref.endswith("/HTTPValidationError")


def refine(schema: dict[str, Any]) -> None:
    """Post-process the generated document in place (see the module docstring)."""
    schema["tags"] = TAGS
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for code in [c for c, r in responses.items() if _is_problem(r)]:
                del responses[code]
            for status in sorted(possible_errors(method, operation)):
                responses[str(status)] = {
                    "description": PROBLEM_RESPONSES[status]["description"],
                    "content": {
                        PROBLEM_MEDIA_TYPE: {
                            "schema": PROBLEM_REF,
                            "example": _example(status),
                        }
                    },
                }
            for response in responses.values():
                content = response.get("content", {}).get("application/json")
                if content and content.get("schema", {}).get("$ref", "").endswith("/Accepted"):
                    content["example"] = ACCEPTED_EXAMPLE
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def install(app: FastAPI) -> None:
    """Serve the refined document at /openapi.json (generated and refined once)."""
    generate: Callable[[], dict[str, Any]] = app.openapi
    refined: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        if not refined:
            schema = generate()  # FastAPI caches it: refining it once refines it for good
            refine(schema)
            refined.append(schema)
        return refined[0]

    app.openapi = openapi  # type: ignore[method-assign]
