"""Command endpoints from one table per resource: path, command model, summary, example.

Each endpoint is a plain ``def`` (run in the threadpool around the synchronous store): it
takes the path ids and a JSON body and hands them to ``api.requesting.CommandRequest``, which
authenticates the caller, runs the command (with ``Idempotency-Key`` and ``If-Match``) and
answers with the aggregate id, its new version (also as ``ETag``) and the event's log position.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Path, Response
from fastapi.openapi.models import Example
from pydantic import BaseModel, ConfigDict, create_model

from api.requesting import Accepted, CommandCall, CommandRequest
from api.schemas import PROBLEM_RESPONSES
from commands.messages import Command


@dataclass(frozen=True)
class CommandRoute:
    path: str
    command: type[Command]
    summary: str
    example: dict[str, Any]
    created: bool = False
    path_params: tuple[str, ...] = field(default=())


def body_model(command: type[Command], exclude: tuple[str, ...]) -> type[BaseModel]:
    """The request body of a command: its fields less those taken from the path."""
    fields: Any = {
        name: (info.annotation, info)
        for name, info in command.model_fields.items()
        if name not in exclude
    }
    return create_model(
        command.__name__ + "Body",
        __config__=ConfigDict(extra="forbid"),
        __doc__=command.__doc__,
        **fields,
    )


def add_routes(router: APIRouter, routes: list[CommandRoute]) -> None:
    for route in routes:
        _add_route(router, route)


def _add_route(router: APIRouter, route: CommandRoute) -> None:
    params = route.path_params or tuple(
        p.strip("{}") for p in route.path.split("/") if p.startswith("{")
    )
    body_cls = body_model(route.command, params)
    status = 201 if route.created else 200

    def endpoint(**kwargs: Any) -> Response:
        body: BaseModel = kwargs.pop("body") or body_cls()
        call: CommandRequest = kwargs.pop("call")
        return call.run(
            route.command, {**body.model_dump(exclude_unset=True), **kwargs}, status_code=status
        )

    parameters = [
        inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[UUID, Path()])
        for p in params
    ]
    needs_body = any(f.is_required() for f in body_cls.model_fields.values())
    examples: dict[str, Example] = {"example": Example(value=route.example)}
    parameters += [
        inspect.Parameter(
            "body",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[body_cls, Body(openapi_examples=examples)]
            if needs_body
            else Annotated[body_cls | None, Body(openapi_examples=examples)],
            default=inspect.Parameter.empty if needs_body else None,
        ),
        inspect.Parameter("call", inspect.Parameter.KEYWORD_ONLY, annotation=CommandCall),
    ]
    endpoint.__signature__ = inspect.Signature(parameters, return_annotation=Accepted)  # type: ignore[attr-defined]
    endpoint.__name__ = route.command.__name__
    router.add_api_route(
        route.path,
        endpoint,
        methods=["POST"],
        summary=route.summary,
        description=(route.command.__doc__ or "").strip(),
        status_code=status,
        response_model=Accepted,
        responses=PROBLEM_RESPONSES,
        operation_id=route.command.__name__,
    )
