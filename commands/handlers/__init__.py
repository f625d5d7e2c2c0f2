"""The command handler table: every command type and the function that handles it.

The table is read from the handler modules of this package: a public function whose first
parameter is annotated with a concrete command type handles that command::

    def revise_objective(cmd: m.ReviseObjective, h: Handling) -> Outcome: ...

so a new command's handler, written in its area's module, is in the table with no second
edit. Two handlers for one command are an error at import; a command without a handler
fails the parity test against the policy table and the routes (tests/unit/commands).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from commands import messages as m
from commands.handling import Handling, Outcome

Handler = Callable[[Any, Handling], Outcome]


def handlers_in(modules: Iterable[ModuleType]) -> dict[type[m.Command], Handler]:
    """Each command type handled by a public function of ``modules`` (by its first
    parameter's annotation), in module then definition order."""
    table: dict[type[m.Command], Handler] = {}
    for module in modules:
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn):
                continue
            if fn.__module__ != module.__name__:
                continue  # imported from another module: handled (or not) there
            params = list(inspect.signature(fn).parameters)
            command = typing.get_type_hints(fn).get(params[0]) if params else None
            if not _is_command(command):
                continue
            if command in table:
                raise TypeError(
                    f"{command.__name__} has two handlers: {_name(table[command])}, {_name(fn)}"
                )
            table[command] = fn
    return table


def _is_command(annotation: Any) -> typing.TypeGuard[type[m.Command]]:
    return (
        isinstance(annotation, type)
        and issubclass(annotation, m.Command)
        and annotation is not m.Command
    )


def _name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def _modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
    ]


COMMAND_HANDLERS: dict[type[m.Command], Handler] = handlers_in(_modules())
