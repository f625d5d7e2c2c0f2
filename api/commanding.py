"""The one helper every command endpoint calls.

Each command has its own plain ``def`` endpoint in its resource's module (``api/objectives.py``
and the rest), written out: its path ids as typed UUIDs, its own body model (the command's
fields less those the path gives, ``extra="forbid"``), its example, summary and status code.
The endpoint hands the body and the path ids to ``run_command``, which merges them into the
command's fields and calls ``api.requesting.CommandRequest.run``: that authenticates the caller,
runs the command (with ``Idempotency-Key`` and ``If-Match``) and answers with the aggregate id,
its new version (also as ``ETag``) and the event's log position. A ``def`` endpoint runs in
FastAPI's thread pool, around the synchronous event store.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import Response
from pydantic import BaseModel

from api.requesting import CommandRequest
from commands.messages import Command


def run_command(
    call: CommandRequest,
    command_type: type[Command],
    body: BaseModel | None,
    /,
    *,
    status_code: int = 200,
    **path_ids: UUID,
) -> Response:
    """Run ``command_type`` with the fields the client sent in ``body`` and the ids of the path.

    Only the fields the client set are passed on, so the command's own defaults apply."""
    fields = body.model_dump(exclude_unset=True) if body is not None else {}
    return call.run(command_type, {**fields, **path_ids}, status_code=status_code)
