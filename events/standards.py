"""The national standards an objective may cite: a closed list, so a typo is refused.

Teachers' Standards (DfE, 2011, updated 2021): Part One TS1-TS8, each with its sub-points
(TS1a...), and Part Two (personal and professional conduct, PT2 and PT2a-c). Headteachers'
Standards (DfE, 2020): HS1-HS10. Support staff have no national standard: each trust lists
its own frameworks' codes in the cycle's policy (``CyclePolicy.support_frameworks``).
"""

from __future__ import annotations

# Part One: how many sub-points each standard has (TS1 a-c, TS2 a-e, ...).
_PART_ONE = {1: 3, 2: 5, 3: 5, 4: 5, 5: 4, 6: 4, 7: 4, 8: 5}

TEACHERS_STANDARDS: frozenset[str] = frozenset(
    {f"TS{n}" for n in _PART_ONE}
    | {f"TS{n}{chr(ord('a') + i)}" for n, count in _PART_ONE.items() for i in range(count)}
    | {"PT2", "PT2a", "PT2b", "PT2c"}
)
HEADTEACHERS_STANDARDS: frozenset[str] = frozenset(f"HS{n}" for n in range(1, 11))
NATIONAL_STANDARDS: frozenset[str] = TEACHERS_STANDARDS | HEADTEACHERS_STANDARDS


def unknown_standards(codes: tuple[str, ...], support_frameworks: tuple[str, ...]) -> list[str]:
    """The codes that are neither national standards nor in the trust's support frameworks."""
    allowed = NATIONAL_STANDARDS | set(support_frameworks)
    return [c.strip() for c in codes if c.strip() and c.strip() not in allowed]
