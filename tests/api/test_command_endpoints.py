"""Every command endpoint: authorisation for every role and scope, idempotency, If-Match,
and problem details — through the real app on the real PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, get_args
from uuid import UUID

import pytest
from fastapi import APIRouter, params
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from api import (
    access,
    cpd,
    cycles,
    evidence,
    framework,
    objectives,
    observations,
    pay,
    reminders,
    reviews,
    staff,
    trusts,
)
from api.auth import mint_token
from appraisals.wiring import Container
from commands import development_messages as d
from commands import messages as m
from commands.policy import POLICIES
from commands.principal import Principal
from events.base import Role
from testkit.scenario import Org, build_org
from tests.api.conftest import Auth

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class CommandEndpoint:
    """A command's endpoint as the app serves it (read from the route, not from a table)."""

    path: str
    command: type[m.Command]
    summary: str
    example: dict[str, Any]
    route: APIRoute


COMMANDS_BY_NAME = {command.__name__: command for command in POLICIES}


def command_endpoints(*routers: APIRouter) -> list[CommandEndpoint]:
    """The JSON command endpoints of ``routers``: those whose operation id names a command."""
    found = []
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute) or route.operation_id not in COMMANDS_BY_NAME:
                continue
            assert route.body_field is not None, route.path
            info = route.body_field.field_info
            assert isinstance(info, params.Body), route.path
            examples = info.openapi_examples or {}
            found.append(
                CommandEndpoint(
                    path=route.path,
                    command=COMMANDS_BY_NAME[route.operation_id],
                    summary=route.summary or "",
                    example=dict(examples["example"].get("value") or {})
                    if "example" in examples
                    else {},
                    route=route,
                )
            )
    return found


ALL_ROUTES: list[CommandEndpoint] = command_endpoints(
    *(
        module.router
        for module in (
            trusts,
            staff,
            cycles,
            reviews,
            objectives,
            cpd,
            observations,
            pay,
            framework,
            access,
            evidence,
        )
    )
)
NOT_JSON_ROUTES = {d.AttachEvidenceFile, d.RemoveEvidence}


def _objective(container: Container, org: Org) -> uuid.UUID:
    return container.commands.execute(
        m.DraftObjective(
            review_id=org.review_id,
            title="Improve phonics outcomes",
            success_criteria=["90% pass the screening check"],
            due_date=datetime(2026, 6, 30).date(),
        ),
        org.appraiser,
    ).aggregate_id


def _ids(container: Container, org: Org) -> dict[str, str]:
    objective_id = _objective(container, org)
    priority = container.commands.execute(
        m.AddPriority(trust_id=org.trust_id, title="Attendance", school_id=org.school_id),
        org.admin,
    ).created_id
    activity = container.commands.execute(
        d.PlanCpd(
            review_id=org.review_id,
            title="Phonics refresher",
            kind="inset",
            starts_on=datetime(2025, 9, 5).date(),
            ends_on=datetime(2025, 9, 5).date(),
            hours=2,
            development_needs=["Phonics"],
        ),
        org.appraisee,
    ).aggregate_id
    observation = container.commands.execute(
        d.RecordObservation(
            review_id=org.review_id,
            held_on=datetime(2025, 9, 12).date(),
            context="Year 2 phonics",
            focus_standards=["TS3d"],
            strengths="Pace",
            areas_to_develop="Blending",
        ),
        org.appraiser,
    ).aggregate_id
    template = container.commands.execute(
        d.PublishObjectiveTemplate(
            trust_id=org.trust_id, title="Attendance", success_criteria=["95% attendance"]
        ),
        org.trust_leader,
    ).created_id
    return {
        "activity_id": str(activity),
        "observation_id": str(observation),
        "template_id": str(template),
        "subject_id": objective_id.hex,
        "trust_id": str(org.trust_id),
        "school_id": str(org.school_id),
        "priority_id": str(priority),
        "staff_id": str(org.appraisee_id),
        "line_manager_id": str(org.appraiser_id),
        "cycle_id": str(org.cycle_id),
        "review_id": str(org.review_id),
        "to_review_id": str(org.review_id),
        "appraisee_id": str(org.appraisee_id),
        "appraiser_id": str(org.appraiser_id),
        "objective_id": objective_id.hex,
        "person_id": str(org.appraisee_id),
        "grant_id": str(uuid.uuid4()),
    }


def _request(route: CommandEndpoint, ids: dict[str, str]) -> tuple[str, dict[str, Any]]:
    path = route.path
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    body = {
        k: (ids.get(k, v) if isinstance(v, str) and k in ids else v)
        for k, v in route.example.items()
    }
    if "objective_ids" in body:
        body["objective_ids"] = [ids["objective_id"]]
    if "objective_notes" in body:
        body["objective_notes"] = [{"objective_id": ids["objective_id"], "note": "Met"}]
    return path, body


def _allowed_principal(org: Org, command: type[m.Command]) -> Principal:
    rule = POLICIES[command].__name__
    return {
        "platform_admin": org.platform_admin,
        "trust_admin": org.admin,
        "trust_management": org.trust_leader,
        "school_management": org.school_leader,
        "independent_leader": org.school_leader,
        "appraisee": org.appraisee,
        "appraiser": org.appraiser,
        "appraisee_or_appraiser": org.appraiser,
        "appraisee_appraiser_or_leader": org.appraisee,
        "observer": org.appraiser,
        "pay_recommender": org.appraiser,
        "pay_committee": Principal(uuid.uuid4(), Role.PAY_COMMITTEE, trust_id=org.trust_id),
    }[rule]


def _head(container: Container) -> int:
    return container.store.recorder.max_notification_id() or 0


def test_every_command_has_a_route_and_an_example() -> None:
    routed = [route.command for route in ALL_ROUTES]
    assert len(routed) == len(set(routed)), "a command has two endpoints"
    # Reminders' endpoints answer through their own module (tests/api/test_reminders.py).
    assert set(routed) | NOT_JSON_ROUTES | set(reminders.COMMAND_ENDPOINTS) == set(POLICIES)
    assert not set(routed) & NOT_JSON_ROUTES
    assert all(route.example or not _body_fields(route) for route in ALL_ROUTES)


def _body_fields(endpoint: CommandEndpoint) -> dict[str, FieldInfo]:
    assert endpoint.route.body_field is not None
    annotation = endpoint.route.body_field.field_info.annotation
    body = next(a for a in get_args(annotation) or (annotation,) if a is not type(None))
    assert issubclass(body, BaseModel) and body.model_config.get("extra") == "forbid"
    return dict(body.model_fields)


@pytest.mark.parametrize("route", ALL_ROUTES, ids=lambda r: r.summary)
def test_an_endpoints_path_ids_and_body_are_exactly_its_commands_fields(
    route: CommandEndpoint,
) -> None:
    """The written-out body models cannot drift from the commands they carry."""
    path_ids = {p.name for p in route.route.dependant.path_params}
    body = _body_fields(route)
    command = route.command.model_fields
    assert not path_ids & set(body)
    assert list(body) == [name for name in command if name not in path_ids]
    assert path_ids <= set(command)
    assert all(p.field_info.annotation is UUID for p in route.route.dependant.path_params)
    for name, field in body.items():
        expected = command[name]
        assert (field.annotation, field.metadata, field.is_required()) == (
            expected.annotation,
            expected.metadata,
            expected.is_required(),
        ), name
        assert (field.default, field.default_factory, field.description) == (
            expected.default,
            expected.default_factory,
            expected.description,
        ), name


@pytest.mark.parametrize("route", ALL_ROUTES, ids=lambda r: r.summary)
def test_command_endpoint_denies_every_out_of_scope_role_and_records_nothing(
    client: TestClient, api_container: Container, auth: Auth, route: CommandEndpoint
) -> None:
    org = build_org(api_container.commands)
    other = build_org(api_container.commands, name="Elm Trust")
    path, body = _request(route, _ids(api_container, org))
    unrelated_staff = Principal(uuid.uuid4(), Role.STAFF, trust_id=org.trust_id)
    denied = {
        "auditor": org.auditor,
        "analyst": org.analyst,
        "unrelated staff": unrelated_staff,
        "leader of another school": org.other_school_leader,
        "admin of another trust": other.admin,
        "trust leader of another trust": other.trust_leader,
        "appraiser of another trust": other.appraiser,
    }
    if route.command is m.RegisterTrust:
        denied = {k: v for k, v in denied.items() if "another trust" not in k} | {
            "trust admin": org.admin
        }
    before = _head(api_container)
    unauthenticated = client.post(path, json=body)
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["content-type"] == "application/problem+json"
    for who, principal in denied.items():
        response = client.post(path, json=body, headers=auth(principal))
        assert response.status_code in (403, 404), (who, response.json())
        problem = response.json()
        assert problem["status"] == response.status_code and problem["type"].endswith(
            ("/forbidden", "/not-found")
        )
        if "another trust" in who:
            # Records of another trust are not revealed to exist.
            assert response.status_code == 404, who
    assert _head(api_container) == before


@pytest.mark.parametrize("route", ALL_ROUTES, ids=lambda r: r.summary)
def test_command_endpoint_lets_the_principal_the_policy_names_act(
    client: TestClient, api_container: Container, auth: Auth, route: CommandEndpoint
) -> None:
    org = build_org(api_container.commands)
    path, body = _request(route, _ids(api_container, org))
    principal = _allowed_principal(org, route.command)
    response = client.post(path, json=body, headers=auth(principal))
    # Authorised: either it happened, or the domain refused it with a named rule or conflict.
    assert response.status_code in (200, 201, 409, 422), response.json()
    if response.status_code in (200, 201):
        assert response.headers["etag"] == f'"{response.json()["version"]}"'
    else:
        assert response.json()["type"].rsplit("/", 1)[1] in (
            "rule-broken",
            "conflict",
            "already-exists",
        )


def test_a_retried_command_with_the_same_idempotency_key_records_once(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    body = {
        "review_id": str(org.review_id),
        "title": "Lead the maths mastery pilot",
        "success_criteria": ["Pilot in three classes"],
        "due_date": "2026-07-01",
    }
    headers = auth(org.appraiser) | {"Idempotency-Key": str(uuid.uuid4())}
    before = _head(api_container)
    first = client.post("/v1/objectives", json=body, headers=headers)
    second = client.post("/v1/objectives", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert {**first.json(), "replayed": True} == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert _head(api_container) == before + 2  # the objective and its link on the review
    reused = client.post("/v1/objectives", json={**body, "title": "Other"}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["type"].endswith("/idempotency-key-reused")


def test_a_stale_if_match_is_412_and_records_nothing(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    objective_id = _objective(api_container, org)
    path = f"/v1/objectives/{objective_id}/revisions"
    before = _head(api_container)
    stale = client.post(
        path, json={"title": "New title"}, headers=auth(org.appraiser) | {"If-Match": '"7"'}
    )
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 1
    assert _head(api_container) == before
    fresh = client.post(
        path, json={"title": "New title"}, headers=auth(org.appraiser) | {"If-Match": '"1"'}
    )
    assert fresh.status_code == 200 and fresh.headers["etag"] == '"2"'
    malformed = client.post(
        path, json={"title": "x"}, headers=auth(org.appraiser) | {"If-Match": "v1"}
    )
    assert malformed.status_code == 400 and malformed.json()["header"] == "If-Match"


def test_bad_input_is_a_problem_naming_the_field_and_records_nothing(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    objective_id = _objective(api_container, org)
    before = _head(api_container)
    out_of_range = client.post(
        f"/v1/objectives/{objective_id}/progress",
        json={"percent": 140, "note": "x"},
        headers=auth(org.appraisee),
    )
    assert out_of_range.status_code == 422
    assert out_of_range.json()["errors"][0]["field"] == "percent"
    unknown_field = client.post(
        f"/v1/objectives/{objective_id}/progress",
        json={"percent": 10, "note": "x", "grade": "A"},
        headers=auth(org.appraisee),
    )
    assert unknown_field.status_code == 422
    not_json = client.post(
        f"/v1/objectives/{objective_id}/progress",
        content=b"{nope",
        headers=auth(org.appraisee) | {"Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    rule = client.post(
        f"/v1/objectives/{objective_id}/progress",
        json={"percent": 10, "note": "x"},
        headers=auth(org.appraisee),
    )
    assert rule.status_code == 422 and rule.json()["rule"] == "objective-in-force"
    too_big = client.post(
        f"/v1/objectives/{objective_id}/progress",
        content=b'{"note": "' + b"x" * 300_000 + b'"}',
        headers=auth(org.appraisee) | {"Content-Type": "application/json"},
    )
    assert too_big.status_code == 413
    assert _head(api_container) == before


def test_tokens_that_are_expired_forged_or_malformed_are_401(
    client: TestClient, api_container: Container, org: Org
) -> None:
    settings = api_container.settings
    path = f"/v1/reviews/{org.review_id}/self-assessment"
    expired = mint_token(
        org.appraisee,
        secret=settings.jwt_secret.get_secret_value(),
        issuer=settings.jwt_issuer,
        now=datetime.now(UTC) - timedelta(days=2),
        ttl=timedelta(hours=1),
    )
    forged = mint_token(org.appraisee, secret="not-the-secret-at-all-0123456789", issuer="x")
    for token in (expired, forged, "not-a-jwt"):
        r = client.post(path, json={"text": "x"}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
