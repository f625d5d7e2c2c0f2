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


# What each Teachers' Standard says, in short, for pages that show the codes.
TITLES: dict[str, str] = {
    "TS1": "Set high expectations which inspire, motivate and challenge pupils",
    "TS1a": "Establish a safe and stimulating environment, rooted in mutual respect",
    "TS1b": "Set goals that stretch and challenge pupils of all backgrounds and abilities",
    "TS1c": "Demonstrate consistently the positive attitudes, values and behaviour expected",
    "TS2": "Promote good progress and outcomes by pupils",
    "TS2a": "Be accountable for pupils' attainment, progress and outcomes",
    "TS2b": "Be aware of pupils' capabilities and their prior knowledge",
    "TS2c": "Guide pupils to reflect on the progress they have made",
    "TS2d": "Demonstrate knowledge of how pupils learn and how this affects teaching",
    "TS2e": "Encourage pupils to take a responsible attitude to their own work and study",
    "TS3": "Demonstrate good subject and curriculum knowledge",
    "TS3a": "Have a secure knowledge of the relevant subjects and curriculum areas",
    "TS3b": "Demonstrate a critical understanding of developments in the subject",
    "TS3c": "Promote high standards of literacy, articulacy and standard English",
    "TS3d": "Early reading: demonstrate a clear understanding of systematic synthetic phonics",
    "TS3e": "Early mathematics: demonstrate a clear understanding of teaching strategies",
    "TS4": "Plan and teach well structured lessons",
    "TS4a": "Impart knowledge and develop understanding through effective use of lesson time",
    "TS4b": "Promote a love of learning and children's intellectual curiosity",
    "TS4c": "Set homework and plan other out-of-class activities",
    "TS4d": "Reflect systematically on the effectiveness of lessons and approaches",
    "TS4e": "Contribute to the design and provision of an engaging curriculum",
    "TS5": "Adapt teaching to respond to the strengths and needs of all pupils",
    "TS5a": "Know when and how to differentiate appropriately",
    "TS5b": "Have a secure understanding of how factors can inhibit pupils' ability to learn",
    "TS5c": "Demonstrate an awareness of the physical, social and intellectual development",
    "TS5d": "Have a clear understanding of the needs of all pupils, including SEN and EAL",
    "TS6": "Make accurate and productive use of assessment",
    "TS6a": "Know and understand how to assess the relevant subject and curriculum areas",
    "TS6b": "Make use of formative and summative assessment to secure progress",
    "TS6c": "Use relevant data to monitor progress, set targets and plan lessons",
    "TS6d": "Give pupils regular feedback, and encourage pupils to respond to it",
    "TS7": "Manage behaviour effectively to ensure a good and safe learning environment",
    "TS7a": "Have clear rules and routines for behaviour in classrooms",
    "TS7b": "Have high expectations of behaviour and a framework for discipline",
    "TS7c": "Manage classes effectively, using approaches appropriate to pupils' needs",
    "TS7d": "Maintain good relationships with pupils and exercise appropriate authority",
    "TS8": "Fulfil wider professional responsibilities",
    "TS8a": "Make a positive contribution to the wider life and ethos of the school",
    "TS8b": "Develop effective professional relationships with colleagues",
    "TS8c": "Deploy support staff effectively",
    "TS8d": "Take responsibility for improving teaching through professional development",
    "TS8e": "Communicate effectively with parents with regard to pupils' achievements",
    "PT2": "Personal and professional conduct",
    "PT2a": "Uphold public trust in the profession and high standards of ethics and behaviour",
    "PT2b": "Have proper regard for the ethos, policies and practices of the school",
    "PT2c": "Have an understanding of, and always act within, the statutory frameworks",
}


def not_teachers_standards(codes: tuple[str, ...] | list[str]) -> list[str]:
    """The codes that are not Teachers' Standards (what an observation may focus on)."""
    return [c for c in codes if c not in TEACHERS_STANDARDS]


def headline(code: str) -> str:
    """The standard a code belongs to (``TS2c`` -> ``TS2``, ``PT2a`` -> ``PT2``)."""
    if code.startswith(("TS", "PT")) and len(code) > 3:
        return code[:3]
    return code
