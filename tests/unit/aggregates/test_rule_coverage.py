"""Every rule the domain can break has a test that breaks it.

Rules are named where they are checked (``require(condition, "rule-name", ...)`` and
``require_text(..., rule="rule-name")``); a new rule without a rejection test fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def rules_checked_in(directory: str) -> set[str]:
    """The rule names ``require`` and ``require_text`` are given in a package's modules."""
    rules: set[str] = set()
    for path in sorted((ROOT / directory).glob("*.py")):
        if path.name == "base.py":  # where require and require_text are defined
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id == "require" and len(node.args) >= 2:
                rules.add(_literal(node.args[1], path))
            elif node.func.id == "require_text":
                rule = next((k.value for k in node.keywords if k.arg == "rule"), None)
                assert rule is not None, f"{path.name}:{node.lineno} names no rule"
                rules.add(_literal(rule, path))
    return rules


def _literal(node: ast.expr, path: Path) -> str:
    assert isinstance(node, ast.Constant) and isinstance(node.value, str), (
        f"{path.name}:{node.lineno}: a rule is named by a string literal"
    )
    return node.value


def strings_in_tests(directory: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / directory).glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


@pytest.mark.parametrize(
    ("source", "tests"),
    [
        ("aggregates", "tests/unit/aggregates"),
        ("commands/handlers", "tests/unit/commands"),
    ],
)
def test_every_rule_is_broken_by_a_test(source: str, tests: str) -> None:
    rules = rules_checked_in(source)
    assert rules, f"no rules found in {source}"
    untested = rules - strings_in_tests(tests)
    assert not untested, f"rules in {source} without a rejection test: {sorted(untested)}"
