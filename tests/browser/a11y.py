"""Every page a journey visits is photographed and checked with axe-core (the npm package in
tests/browser/axe, installed by ``make axe``): no serious or critical violation may remain."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, ViewportSize

AXE_JS = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# Where screenshots go: artifacts/screenshots at the repository root unless overridden.
SCREENSHOTS_ENV = "APPRAISALS_SCREENSHOTS"
DEFAULT_SCREENSHOTS = Path(__file__).parents[2] / "artifacts" / "screenshots"
FAILING = frozenset({"serious", "critical"})
PHONE: ViewportSize = {"width": 390, "height": 844}


def screenshots_dir() -> Path:
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or DEFAULT_SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.x A/AA)."""
    if not AXE_JS.exists():
        raise AssertionError(f"axe-core is not installed at {AXE_JS}: run make axe")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays
        # on, which a <script> tag would need lifting.
        page.evaluate(_axe_source() + "\n;undefined")
    result = page.evaluate(
        """async () => (await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                             'best-practice']},
            resultTypes: ['violations'],
        })).violations"""
    )
    return [v for v in result if v.get("impact") in FAILING]


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [n.get("target") for n in v.get("nodes", [])][:5]
        lines.append(f"{v['impact']}: {v['id']} ({v['help']}) at {json.dumps(targets)}")
    return "\n".join(lines)


def look(page: Page, name: str, *, phone: bool = False) -> Path:
    """Screenshot the page as ``<name>.png`` and assert axe finds nothing serious; with
    ``phone`` also at a phone's width (``<name>-phone.png``), where nothing may scroll sideways."""
    folder = screenshots_dir()
    shot = folder / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    violations = axe_violations(page)
    assert not violations, f"axe on {name} ({page.url}):\n{_describe(violations)}"
    if phone:
        wide = page.viewport_size
        page.set_viewport_size(PHONE)
        try:
            page.screenshot(path=str(folder / f"{name}-phone.png"), full_page=True)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{name} scrolls sideways by {overflow}px at a phone's width"
            violations = axe_violations(page)
            assert not violations, f"axe on {name} (phone):\n{_describe(violations)}"
        finally:
            if wide is not None:
                page.set_viewport_size(wide)
    return shot
