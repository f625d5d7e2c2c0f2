"""The command handler table is read from the handler modules' signatures."""

from __future__ import annotations

import types

import pytest

from commands import messages as m
from commands.handlers import COMMAND_HANDLERS, handlers_in, objectives, reviews


def _module(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(
        "from __future__ import annotations\n"
        "from commands import messages as m\n"
        "from commands.handling import Handling, Outcome\n" + source,
        module.__dict__,
    )
    return module


def test_a_public_function_taking_a_command_handles_that_command() -> None:
    assert COMMAND_HANDLERS[m.ReviseObjective] is objectives.revise_objective
    assert COMMAND_HANDLERS[m.LodgeAppeal] is reviews.lodge_appeal


def test_helpers_private_functions_and_imported_handlers_are_not_handlers() -> None:
    module = _module(
        "area",
        "from commands.handlers.reviews import lodge_appeal\n"
        "def _check(cmd: m.DraftObjective, h: Handling) -> None: ...\n"
        "def scope(cmd: m.Command, h: Handling) -> None: ...\n"
        "def helper(h: Handling) -> None: ...\n"
        "def draft(cmd: m.DraftObjective, h: Handling) -> Outcome: ...\n",
    )
    table = handlers_in([module])
    assert list(table) == [m.DraftObjective]
    assert table[m.DraftObjective].__name__ == "draft"


def test_two_handlers_for_one_command_are_refused() -> None:
    first = _module("first", "def draft(cmd: m.DraftObjective, h: Handling) -> Outcome: ...\n")
    second = _module("second", "def again(cmd: m.DraftObjective, h: Handling) -> Outcome: ...\n")
    with pytest.raises(TypeError, match=r"DraftObjective has two handlers: first\.draft"):
        handlers_in([first, second])
