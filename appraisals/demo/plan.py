"""Who is in the demo trust: its schools, their staff and line management, its priorities.

Pure planning from a seeded ``Random``: ids, names, roles, who appraises whom. Nothing here
runs a command; ``org`` and ``story`` act the plan out through the command layer.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from random import Random
from typing import Protocol
from uuid import UUID, uuid5

from appraisals.demo import texts
from appraisals.demo.calendar import Timeline
from commands.principal import Principal
from events.base import Role
from events.values import StaffCategory

MIN_SCHOOL_STAFF = 6
PHASE_WEIGHT = {"Primary": 1.0, "Secondary": 2.6, "Special": 0.7, "All-through": 3.0}
SUPPORT_SHARE = {"Primary": 0.45, "Secondary": 0.38, "Special": 0.55, "All-through": 0.4}
PRIMARY_AREAS = {
    "EYFS Leader": "the Early Years Foundation Stage",
    "KS1 Phase Leader": "Key Stage 1",
    "Lower KS2 Phase Leader": "Lower Key Stage 2",
    "Upper KS2 Phase Leader": "Upper Key Stage 2",
    "English Lead": "English across the school",
    "Mathematics Lead": "mathematics across the school",
    "Science Lead": "science across the school",
    "Curriculum Lead": "the wider curriculum",
    "Pathway Leader (Semi-formal)": "the semi-formal pathway",
    "Pathway Leader (Formal)": "the formal pathway",
    "Class Team Leader": "the class teams",
}
PRIMARY_SUBJECTS = ("mathematics", "writing", "science", "history", "geography")


class Kind(StrEnum):
    CEO = "ceo"
    DIRECTOR = "director"
    HEAD = "head"
    DEPUTY = "deputy"
    ASSISTANT = "assistant"
    MIDDLE = "middle"
    SENCO = "senco"
    BUSINESS = "business"
    TEACHER = "teacher"
    ECT = "ect"
    SUPPORT = "support"
    GOVERNOR = "governor"  # not staff: appointed to the school's board, appraises the head


# People who line-manage others: never chosen to leave or move in the story.
MANAGERS = frozenset(
    {
        Kind.CEO,
        Kind.DIRECTOR,
        Kind.HEAD,
        Kind.DEPUTY,
        Kind.ASSISTANT,
        Kind.MIDDLE,
        Kind.SENCO,
        Kind.BUSINESS,
    }
)


def new_uuid(rng: Random) -> UUID:
    """A version-4 UUID from the generator's bits, so ids repeat with the seed."""
    return UUID(int=rng.getrandbits(128), version=4)


@dataclass(eq=False)
class Person:
    id: UUID
    name: str
    email: str
    job_title: str
    category: StaffCategory
    kind: Kind
    school: School
    principal: Principal
    family: str = ""  # support staff: classroom, office, site, pastoral, technical
    subject: str = ""
    cls: str = ""
    area: str = ""
    appraiser: Person | None = None
    joins_in_b: bool = False

    @property
    def is_manager(self) -> bool:
        return self.kind in MANAGERS


@dataclass(eq=False)
class School:
    index: int
    id: UUID
    name: str
    phase: str
    size: int
    place: str
    saint: str
    staff: list[Person] = field(default_factory=list)  # everyone but the head, at the start
    joiners: list[Person] = field(default_factory=list)  # new starters for cycle B
    head: Person | None = None
    director: Person | None = None
    # Who line-manages (and appraises) each family of staff: "teacher", "classroom", ...
    managers: dict[str, list[Person]] = field(default_factory=dict)

    def governors(self, trust_id: UUID) -> list[Person]:
        """The head's appraisal panel: the chair and vice-chair of the school's governors.

        Derived from the school (no random draws), so adding them leaves the rest of the
        seeded story as it was."""
        out = []
        for i, title in enumerate(("Chair of governors", "Vice-chair of governors")):
            gid = uuid5(self.id, f"governor:{i}")
            first = texts.FIRST_NAMES[(self.index * 7 + i * 3) % len(texts.FIRST_NAMES)]
            last = texts.SURNAMES[(self.index * 11 + i * 5 + 3) % len(texts.SURNAMES)]
            principal = Principal(
                gid, Role.GOVERNOR, trust_id=trust_id, school_ids=frozenset({self.id})
            )
            out.append(
                Person(
                    gid,
                    f"{first} {last}",
                    "",
                    title,
                    StaffCategory.TEACHER,
                    Kind.GOVERNOR,
                    self,
                    principal,
                )
            )
        return out

    @property
    def pupils(self) -> str:
        return "students" if self.phase in ("Secondary", "All-through") else "pupils"

    @property
    def key_stage(self) -> str:
        return "Key Stage 2" if self.phase == "Primary" else "Key Stage 4"

    @property
    def leader(self) -> Principal:
        assert self.head is not None
        return self.head.principal


@dataclass(frozen=True, slots=True)
class PriorityPlan:
    id: UUID
    text: texts.PriorityText
    school: School | None
    in_a: bool
    in_b: bool
    added_by: Principal


@dataclass(eq=False)
class OrgPlan:
    seed: int
    timeline: Timeline
    trust_id: UUID
    trust_name: str
    domain: str
    platform_admin: Principal
    admin: Principal
    ceo: Person
    directors: list[Person]
    schools: list[School]
    priorities: list[PriorityPlan]
    renamed: tuple[School, str] | None
    chunks: list[list[School]]

    def priorities_for(self, cycle: str, school: School) -> list[PriorityPlan]:
        """The active priorities that apply to a school's staff in cycle "a" or "b"."""
        return [
            p
            for p in self.priorities
            if (p.in_a if cycle == "a" else p.in_b) and p.school in (None, school)
        ]


class _Namer:
    """Names and unique email addresses at the trust's domain."""

    def __init__(self, rng: Random, domain: str) -> None:
        self.rng = rng
        self.domain = domain
        self.used: set[str] = set()

    def person(self) -> tuple[str, str]:
        first = self.rng.choice(texts.FIRST_NAMES)
        last = self.rng.choice(texts.SURNAMES)
        base = f"{first[0]}.{_slug(last)}".lower()
        email, n = f"{base}@{self.domain}", 1
        while email in self.used:
            n += 1
            email = f"{base}{n}@{self.domain}"
        self.used.add(email)
        return f"{first} {last}", email


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def make_plan(*, seed: int, schools: int, staff: int, year: int, chunk_staff: int) -> OrgPlan:
    if schools < 1:
        raise ValueError("the demo trust needs at least one school")
    rng = Random(f"appraisal-ledger demo {seed}: plan")
    directors_n = max(1, math.ceil(schools / 12))
    central = 1 + directors_n
    school_staff = staff - central
    if school_staff < MIN_SCHOOL_STAFF * schools:
        raise ValueError(
            f"{staff} staff are too few for {schools} schools: the demo needs at least "
            f"{MIN_SCHOOL_STAFF * schools + central} ({MIN_SCHOOL_STAFF} a school and "
            f"{central} in the trust's central team)"
        )
    trust_id = new_uuid(rng)
    trust_name, domain = _trust_name(rng)
    namer = _Namer(rng, domain)
    platform_admin = Principal(new_uuid(rng), Role.ADMIN)
    admin = Principal(new_uuid(rng), Role.ADMIN, trust_id=trust_id)
    planned = _schools(rng, schools, school_staff)

    def leader(kind: Kind, title: str, school: School) -> Person:
        pid = new_uuid(rng)
        name, email = namer.person()
        return Person(
            pid,
            name,
            email,
            title,
            StaffCategory.SUPPORT,
            kind,
            school,
            Principal(pid, Role.TRUST_LEADER, trust_id=trust_id),
        )

    hub = planned[0]
    ceo = leader(Kind.CEO, texts.CENTRAL_TITLES[0], hub)
    directors = [leader(Kind.DIRECTOR, texts.CENTRAL_TITLES[1], hub) for _ in range(directors_n)]
    for d in directors:
        d.appraiser = ceo
    for s in planned:
        s.director = directors[s.index * directors_n // schools]
        _staff_school(rng, namer, s, trust_id)
    priorities = _priorities(rng, planned, ceo.principal)
    return OrgPlan(
        seed=seed,
        timeline=Timeline(year),
        trust_id=trust_id,
        trust_name=trust_name,
        domain=domain,
        platform_admin=platform_admin,
        admin=admin,
        ceo=ceo,
        directors=directors,
        schools=planned,
        priorities=priorities,
        renamed=_renaming(rng, planned),
        chunks=_chunks(planned, chunk_staff),
    )


def _trust_name(rng: Random) -> tuple[str, str]:
    if rng.random() < 0.5:
        name = f"{rng.choice(texts.PLACES)} Learning Trust"
    else:
        name = f"{rng.choice(texts.TRUST_WORDS)} Academies Trust"
    initials = "".join(w[0] for w in name.split()[-2:]).lower()
    return name, f"{_slug(name.split()[0])}{initials}.org.uk"


def _phases(rng: Random, n: int) -> list[str]:
    secondary = max(1, round(n * 0.22)) if n >= 2 else 0
    special = max(1, round(n * 0.06)) if n >= 6 else 0
    all_through = round(n * 0.03)
    primary = n - secondary - special - all_through
    rest = ["Primary"] * primary + ["Special"] * special + ["All-through"] * all_through
    rest += ["Secondary"] * (secondary - 1)
    rng.shuffle(rest)
    # The hub (where the central team is based) is a secondary when there is one.
    return (["Secondary"] if secondary else []) + rest


def _name_patterns(phase: str) -> tuple[str, ...]:
    return {
        "Primary": texts.PRIMARY_SCHOOL_NAMES,
        "Secondary": texts.SECONDARY_SCHOOL_NAMES,
        "Special": texts.SPECIAL_SCHOOL_NAMES,
        "All-through": texts.ALL_THROUGH_SCHOOL_NAMES,
    }[phase]


def _schools(rng: Random, n: int, school_staff: int) -> list[School]:
    phases = _phases(rng, n)
    weights = [PHASE_WEIGHT[p] * rng.uniform(0.8, 1.2) for p in phases]
    spare = school_staff - MIN_SCHOOL_STAFF * n
    shares = [spare * w / sum(weights) for w in weights]
    sizes = [MIN_SCHOOL_STAFF + int(s) for s in shares]
    by_remainder = sorted(range(n), key=lambda i: shares[i] - int(shares[i]), reverse=True)
    for i in by_remainder[: school_staff - sum(sizes)]:
        sizes[i] += 1
    used: set[str] = set()
    result = []
    for i, (phase, size) in enumerate(zip(phases, sizes, strict=True)):
        while True:
            place, saint = rng.choice(texts.PLACES), rng.choice(texts.SAINTS)
            name = rng.choice(_name_patterns(phase)).format(place=place, saint=saint)
            if name.casefold() not in used:
                break
        used.add(name.casefold())
        result.append(School(i, new_uuid(rng), name, phase, size, place, saint))
    return result


def _renaming(rng: Random, schools: list[School]) -> tuple[School, str] | None:
    school = schools[1] if len(schools) > 1 else schools[0]
    taken = {s.name.casefold() for s in schools}
    options = [
        p.format(place=school.place, saint=school.saint) for p in _name_patterns(school.phase)
    ]
    options = [o for o in options if o.casefold() not in taken]
    return (school, rng.choice(options)) if options else None


def _chunks(schools: list[School], chunk_staff: int) -> list[list[School]]:
    chunks: list[list[School]] = [[]]
    size = 0
    for s in schools:
        if chunks[-1] and size + s.size > chunk_staff:
            chunks.append([])
            size = 0
        chunks[-1].append(s)
        size += s.size
    return chunks


def _staff_school(rng: Random, namer: _Namer, school: School, trust_id: UUID) -> None:
    """The head, leaders, teachers and support staff of one school, with their appraisers."""
    n = school.size

    def person(
        kind: Kind,
        title: str,
        category: StaffCategory,
        *,
        family: str = "",
        subject: str = "",
        cls: str = "",
        area: str = "",
    ) -> Person:
        pid = new_uuid(rng)
        name, email = namer.person()
        if kind is Kind.HEAD:
            principal = Principal(
                pid, Role.SCHOOL_LEADER, trust_id=trust_id, school_ids=frozenset({school.id})
            )
        else:
            principal = Principal(pid, Role.STAFF, trust_id=trust_id)
        p = Person(pid, name, email, title, category, kind, school, principal)
        p.family, p.subject, p.cls, p.area = family, subject, cls, area
        p.cls = p.cls or _class_for(rng, school)
        return p

    teacher = StaffCategory.TEACHER
    head = person(Kind.HEAD, _head_title(school), StaffCategory.HEADTEACHER)
    head.appraiser = school.director
    school.head = head
    deputies = [person(Kind.DEPUTY, "Deputy Headteacher", teacher) for _ in range(n >= 7)]
    senior = head if not deputies else deputies[0]
    assistants = [
        person(Kind.ASSISTANT, title, teacher)
        for title in _assistant_titles(max(0, (n - 30) // 40))
    ]
    middles = [_middle_leader(rng, person, school, i) for i in range(max(1, round(n * 0.08)))]
    senco = [person(Kind.SENCO, "SENCo", teacher, area="SEND provision")] if n >= 14 else []
    business = (
        [person(Kind.BUSINESS, "School Business Manager", StaffCategory.SUPPORT)] if n >= 12 else []
    )
    for p in [*deputies, *assistants]:
        p.appraiser = head
    for p in [*middles, *senco, *business]:
        p.appraiser = senior
    rest = n - 1 - len(deputies) - len(assistants) - len(middles) - len(senco) - len(business)
    support = round(rest * SUPPORT_SHARE[school.phase])
    school.managers = managers = {
        "teacher": middles,
        "classroom": senco or [senior],
        "office": business or [senior],
        "site": business or [senior],
        "technical": business or [senior],
        "pastoral": assistants[:1] or [senior],
    }
    workers = [_teacher(rng, person, school, middles, i) for i in range(rest - support)] + [
        _support(rng, person, school, managers) for _ in range(support)
    ]
    joiners = max(1, round(n * 0.03)) if n >= 10 else 0
    for i in range(joiners):
        if i % 2 == 0:
            j = _teacher(rng, person, school, middles, rng.randrange(len(middles)))
        else:
            j = _support(rng, person, school, managers)
        j.joins_in_b = True
        school.joiners.append(j)
    school.staff = [*deputies, *assistants, *middles, *senco, *business, *workers]


class _Make(Protocol):
    def __call__(
        self,
        kind: Kind,
        title: str,
        category: StaffCategory,
        *,
        family: str = "",
        subject: str = "",
        cls: str = "",
        area: str = "",
    ) -> Person: ...


def _head_title(school: School) -> str:
    return "Principal" if school.phase in ("Secondary", "All-through") else "Headteacher"


def _assistant_titles(n: int) -> list[str]:
    titles = (
        "Assistant Headteacher (Curriculum)",
        "Assistant Headteacher (Behaviour and Attendance)",
        "Assistant Headteacher (Teaching and Learning)",
        "Assistant Headteacher (Inclusion)",
    )
    return [titles[i % len(titles)] for i in range(n)]


def _class_for(rng: Random, school: School) -> str:
    if school.phase == "Primary":
        return rng.choice(texts.PRIMARY_CLASSES)
    if school.phase == "Special":
        return rng.choice(("Class 2", "Class 4", "the sixth-form class", "the KS3 class"))
    return f"Year {rng.randint(7, 11)}"


def _middle_leader(rng: Random, make: _Make, school: School, i: int) -> Person:
    secondary = school.phase in ("Secondary", "All-through")
    if secondary and (school.phase == "Secondary" or i % 2 == 0):
        subjects = texts.SECONDARY_SUBJECTS
        if i < len(subjects):
            subject = subjects[i]
            return make(
                Kind.MIDDLE,
                f"Head of {subject}",
                StaffCategory.TEACHER,
                subject=subject,
                area=f"the {subject} department",
            )
        year = 7 + i % 5
        return make(
            Kind.MIDDLE,
            f"Head of Year {year}",
            StaffCategory.TEACHER,
            subject=rng.choice(subjects),
            area=f"Year {year}",
            cls=f"Year {year}",
        )
    leads = texts.SPECIAL_LEADS if school.phase == "Special" else texts.PRIMARY_PHASE_LEADS
    title = leads[i % len(leads)]
    return make(
        Kind.MIDDLE,
        title,
        StaffCategory.TEACHER,
        subject=rng.choice(PRIMARY_SUBJECTS),
        area=PRIMARY_AREAS[title],
    )


def _teacher(rng: Random, make: _Make, school: School, middles: list[Person], i: int) -> Person:
    lead = middles[i % len(middles)]
    secondary = school.phase in ("Secondary", "All-through") and lead.subject[:1].isupper()
    subject = lead.subject if secondary else rng.choice(PRIMARY_SUBJECTS)
    ect = rng.random() < 0.1
    cls = _class_for(rng, school)
    if secondary:
        title = f"Early Career Teacher ({subject})" if ect else f"Teacher of {subject}"
    else:
        title = f"Early Career Teacher ({cls})" if ect else f"Class Teacher ({cls})"
    kind = Kind.ECT if ect else Kind.TEACHER
    p = make(kind, title, StaffCategory.TEACHER, subject=subject, cls=cls)
    p.appraiser = lead
    return p


def _support(rng: Random, make: _Make, school: School, managers: dict[str, list[Person]]) -> Person:
    roles = {
        "Primary": texts.SUPPORT_ROLES_PRIMARY,
        "Special": texts.SUPPORT_ROLES_SPECIAL,
    }.get(school.phase, texts.SUPPORT_ROLES_SECONDARY)
    title, family = rng.choice(roles)
    p = make(Kind.SUPPORT, title, StaffCategory.SUPPORT, family=family)
    p.subject = "mathematics"
    p.appraiser = rng.choice(managers[family])
    return p


def _priorities(rng: Random, schools: list[School], ceo: Principal) -> list[PriorityPlan]:
    result = []
    for t in texts.TRUST_PRIORITIES:
        retired = t.theme == "attendance"
        result.append(PriorityPlan(new_uuid(rng), t, None, True, not retired, ceo))
    result.append(PriorityPlan(new_uuid(rng), texts.TRUST_PRIORITY_NEXT, None, False, True, ceo))
    for s in schools:
        bank = list(texts.SCHOOL_PRIORITIES[s.phase])
        rng.shuffle(bank)
        for t in bank[:2]:
            result.append(PriorityPlan(new_uuid(rng), t, s, True, True, s.leader))
        result.append(PriorityPlan(new_uuid(rng), bank[2], s, False, True, s.leader))
    return result
