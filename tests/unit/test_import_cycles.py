"""No two modules of ours import each other, directly or round a longer loop.

The import-linter contracts in pyproject.toml order the top-level packages; this looks inside
them, at every module, and counts every import grimp sees (at module level, inside a function,
or under ``TYPE_CHECKING``): a loop made lazy or type-only is still a loop a reader has to hold
in their head. It reads the source, never imports it, so it is quick."""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]


def _root_packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages: list[str] = config["tool"]["importlinter"]["root_packages"]
    return packages


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    work: list[tuple[str, list[str]]] = []  # modules being visited, with imports left to follow

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        work.append((module, sorted(graph.find_modules_directly_imported_by(module))))

    for start in sorted(graph.modules):
        if start in index:
            continue
        visit(start)
        while work:
            module, targets = work[-1]
            if targets:
                target = targets.pop()
                if target not in index:
                    visit(target)
                elif target in on_stack:
                    low[module] = min(low[module], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1:
                    cycles.append(sorted(group))
    return cycles


def test_no_module_of_ours_imports_itself_round_a_loop() -> None:
    graph = grimp.build_graph(*_root_packages(), cache_dir=None)
    assert len(graph.modules) > 100  # the packages were found (a typo would find none)
    assert import_cycles(graph) == []


def test_the_cycle_finder_finds_a_loop() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "a.x", "a.y", "a.z", "a.w"):
        graph.add_module(module)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.z")
    graph.add_import(importer="a.z", imported="a.x")
    graph.add_import(importer="a.w", imported="a.x")
    assert import_cycles(graph) == [["a.x", "a.y", "a.z"]]
