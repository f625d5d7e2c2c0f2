"""The Teachers' Standards (DfE, 2011): the closed list observations and objectives refer to.

Part One is TS1-TS8, each with lettered sub-points (``TS2c``); Part Two is personal and
professional conduct (``PART2``). A reference is one of these codes and nothing else.
"""

from __future__ import annotations

TEACHERS_STANDARDS: dict[str, str] = {
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
    "PART2": "Personal and professional conduct",
}


def unknown_standards(codes: tuple[str, ...] | list[str]) -> list[str]:
    """The codes that are not on the closed list (empty when every one is)."""
    return [c for c in codes if c not in TEACHERS_STANDARDS]


def headline(code: str) -> str:
    """The standard a code belongs to (``TS2c`` -> ``TS2``; ``PART2`` stays itself)."""
    if code.startswith("TS") and len(code) > 3:
        return code[:3]
    return code
