"""The per-request machinery of a command: one dependency, one hop to the thread pool.

A command request needs its caller (bearer token: JWT, personal token or a provider's token,
checked against revocations and the failed-authentication limit), the command service, and
its ``Idempotency-Key`` and ``If-Match`` headers. ``CommandRequest`` gathers them in one
dependency that runs on the event loop (header parsing is CPU only); the work that blocks
(resolving the principal, which may read the database, and running the command) happens in
``CommandRequest.run``, which a plain ``def`` endpoint calls from the one worker thread
FastAPI runs it in. The answer is encoded once, here, with orjson: no response model is
validated and serialised again on the way out.

Measured in ``benchmarks/api_load.py``: a chain of seven ``def`` dependencies cost seven
thread-pool hand-offs per request; this costs one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field, ValidationError

from aggregates.errors import DomainError
from api.container import Container
from api.deps import bearer, get_principal
from api.params import ExpectedVersion, IdempotencyKey
from api.problems import Unauthenticated
from commands.messages import Command
from commands.principal import Principal
from commands.service import CommandResult


class Accepted(BaseModel):
    """What a command answers: the aggregate it changed, its new version, the log position."""

    aggregate_id: UUID
    version: int = Field(description="The aggregate's new version; send it back in If-Match")
    position: int | None = Field(description="The event's log position, for ?min_position=")
    created_id: UUID | None = Field(
        default=None, description="The id of what was created inside it (school, priority...)"
    )
    replayed: bool = Field(description="True when this answers a retried Idempotency-Key")


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """One command request's caller, headers and container (see the module docstring)."""

    request: Request
    container: Container
    credentials: HTTPAuthorizationCredentials
    idempotency_key: str | None
    expected_version: int | None

    def principal(self) -> Principal:
        """The authenticated caller (blocking: may read the database); 401 if refused."""
        return get_principal(self.request, self.credentials)

    def run(
        self, command_type: type[Command], fields: dict[str, Any], *, status_code: int = 200
    ) -> Response:
        """Authenticate, build the command from ``fields``, run it, and encode the answer
        (``ETag``: the new version). Call it from a ``def`` endpoint's worker thread."""
        principal = self.principal()
        counter = self.request.app.state.metrics.commands
        name = command_type.__name__
        try:
            command = command_type(**fields)
            result = self.container.commands.execute(
                command,
                principal,
                idempotency_key=self.idempotency_key,
                expected_version=self.expected_version,
            )
        except DomainError as e:
            counter.labels(name, e.kind).inc()
            raise
        except ValidationError:
            counter.labels(name, "validation-error").inc()
            raise
        counter.labels(name, "replayed" if result.replayed else "accepted").inc()
        return accepted_response(result, status_code)


def accepted_response(result: CommandResult, status_code: int = 200) -> Response:
    """The pre-encoded answer of a command (the shape of ``Accepted``)."""
    headers = {"ETag": f'"{result.version}"'}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    body = orjson.dumps(
        {
            "aggregate_id": result.aggregate_id,
            "version": result.version,
            "position": result.position,
            "created_id": result.created_id,
            "replayed": result.replayed,
        }
    )
    return Response(body, status_code, headers, media_type="application/json")


async def command_request(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    idempotency_key: IdempotencyKey,
    expected_version: ExpectedVersion,
) -> CommandRequest:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send a bearer token in the Authorization header")
    container: Container = request.app.state.container
    return CommandRequest(request, container, credentials, idempotency_key, expected_version)


CommandCall = Annotated[CommandRequest, Depends(command_request)]

__all__ = ["Accepted", "CommandCall", "CommandRequest", "accepted_response", "command_request"]
