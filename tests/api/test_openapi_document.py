"""The OpenAPI document is one clients can generate from (api/openapi.py)."""

from __future__ import annotations

import re
from importlib.resources import files
from typing import Any

import pytest

from appraisals.app import create_app
from config.settings import Settings


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return create_app(Settings(database_url="sqlite:///:memory:")).openapi()


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, item in schema["paths"].items() for m, op in item.items()]


def test_every_error_is_a_problem_under_its_own_media_type_with_an_example(
    schema: dict[str, Any],
) -> None:
    for path, method, op in operations(schema):
        for code, response in op["responses"].items():
            if int(code) < 400 or path == "/readyz":
                continue
            content = response["content"]
            assert list(content) == ["application/problem+json"], (path, method, code)
            assert content["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
            assert content["application/problem+json"]["example"]["status"] == int(code)
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_operation_ids_are_named_and_unique(schema: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(schema)]
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        assert "__" not in operation_id and not re.search(r"_(get|post)$", operation_id)
    assert "get_trust_summary" in ids and "AgreeObjective" in ids


def test_every_tag_used_is_declared_with_a_description(schema: dict[str, Any]) -> None:
    declared = {t["name"]: t["description"] for t in schema["tags"]}
    assert all(declared.values())
    for _, _, op in operations(schema):
        assert set(op["tags"]) <= set(declared)


def test_operations_list_only_the_errors_they_can_return(schema: dict[str, Any]) -> None:
    def codes(path: str, method: str) -> set[int]:
        return {int(c) for c in schema["paths"][path][method]["responses"] if int(c) >= 400}

    assert codes("/healthz", "get") == set()
    assert codes("/v1/audit/keys", "get") == set()  # public: no token, no input
    # With a token: refused, rate-limited after failed attempts, or the store is down.
    assert codes("/v1/audit/verify", "get") == {401, 403, 429, 503}
    summary = codes("/v1/trusts/{trust_id}/cycles/{cycle_id}/summary", "get")
    assert summary == {401, 403, 404, 422, 429, 503}
    agree = codes("/v1/objectives/{objective_id}/agreement", "post")
    assert agree == {400, 401, 403, 404, 409, 412, 413, 422, 429, 503}


def test_commands_answers_carry_an_example(schema: dict[str, Any]) -> None:
    op = schema["paths"]["/v1/objectives/{objective_id}/agreement"]["post"]
    ok = next(r for c, r in op["responses"].items() if c.startswith("2"))
    assert ok["content"]["application/json"]["example"]["version"] == 4


@pytest.mark.parametrize(
    "package",
    ["aggregates", "events", "commands", "projections", "api", "replay", "appraisals", "web"],
)
def test_every_package_ships_py_typed(package: str) -> None:
    assert files(package).joinpath("py.typed").is_file()
