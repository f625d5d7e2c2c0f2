"""Sync a trust's staff from an MIS export: read, check every row, plan, then record or not.

People are matched by work email (lower case) within the trust. New people are registered
(then given their line manager); for people already known, a changed name, job title,
school or line manager is recorded as its own event; people of the schools the file covers
who are missing from it are marked as leaving only when the caller confirms. Any rejected
row means nothing is recorded for the file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID, uuid4

from commands import messages as m
from commands.principal import Principal
from commands.service import CommandService
from events.values import StaffCategory
from onboarding.mapping import Mapping
from projections import directory
from projections.engine.db import Database

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REASON = "Synced from the MIS staff export"


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    code: str | None
    name: str
    preferred_name: str | None
    email: str
    job_title: str
    category: StaffCategory
    school_id: UUID
    manager: str | None
    start_date: date


@dataclass
class Plan:
    """What a sync would record: the commands in order, and a line per change for people."""

    add: list[str] = field(default_factory=list)
    change: list[str] = field(default_factory=list)
    leave: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    commands: list[m.Command] = field(default_factory=list)
    leaver_commands: list[m.Command] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.rejected

    def to_record(self, *, confirm_leavers: bool) -> list[m.Command]:
        return [*self.commands, *(self.leaver_commands if confirm_leavers else [])]


def read_rows(
    lines: Iterable[str],
    mapping: Mapping,
    schools: dict[str, UUID],
    plan: Plan,
    today: date,
) -> Iterator[Row]:
    """The file's rows checked one by one (rejections go to ``plan.rejected``)."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        plan.rejected.append(Rejected(1, "the file is empty (no header row)"))
        return
    header = [h.strip().lstrip("\ufeff") for h in header]
    problems = mapping.header_problems(header)
    if problems:
        plan.rejected += [Rejected(1, f"header: {p}") for p in problems]
        return
    index = {ours: header.index(col) for ours, col in mapping.columns.items()}
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        plan.rows += 1

        def get(ours: str, values: list[str] = values) -> str:
            i = index.get(ours)
            return values[i].strip() if i is not None and i < len(values) else ""

        errors: list[str] = []
        name = get("name") or " ".join(x for x in (get("first_name"), get("last_name")) if x)
        if not name:
            errors.append("no name")
        email = get("email").lower()
        if not _EMAIL.match(email):
            errors.append(f"{get('email')!r} is not an email address")
        job_title = get("job_title")
        if not job_title:
            errors.append("no job title")
        raw_category = get("category").lower()
        category = mapping.categories.get(raw_category) if raw_category else StaffCategory.TEACHER
        if category is None:
            errors.append(f"unknown category {get('category')!r}")
        school = schools.get(get("school").lower())
        if school is None:
            errors.append(f"unknown school {get('school')!r}")
        start = _date(get("start_date"), mapping.date_formats) if get("start_date") else today
        if start is None:
            errors.append(f"{get('start_date')!r} is not a date")
        if any("\x00" in v for v in values):
            errors.append("a value holds a NUL character")
        if errors:
            plan.rejected.append(Rejected(line, "; ".join(errors)))
            continue
        assert category is not None and school is not None and start is not None
        yield Row(
            line,
            get("staff_code") or None,
            name,
            get("preferred_name") or None,
            email,
            job_title,
            category,
            school,
            get("line_manager") or None,
            start,
        )


def _date(text: str, formats: tuple[str, ...]) -> date | None:
    for f in formats:
        try:
            return datetime.strptime(text, f).date()
        except ValueError:
            continue
    return None


def plan_sync(
    db: Database,
    trust_id: UUID,
    lines: Iterable[str],
    mapping: Mapping,
    *,
    today: date,
    new_id: Callable[[], UUID] = uuid4,
) -> Plan:
    """Everything a sync of this file would record, and every row it rejects."""
    plan = Plan()
    schools = {s.name.lower(): s.school_id for s in directory.schools(db, trust_id)}
    school_names = {v: s.name for s in directory.schools(db, trust_id) for v in [s.school_id]}
    known = {p.email: p for p in directory.people_of_trust(db, trust_id)}
    rows: list[Row] = []
    seen_email: dict[str, int] = {}
    seen_code: dict[str, int] = {}
    for row in read_rows(lines, mapping, schools, plan, today):
        if row.email in seen_email:
            plan.rejected.append(
                Rejected(row.line, f"{row.email} is also on line {seen_email[row.email]}")
            )
            continue
        if row.code and row.code in seen_code:
            plan.rejected.append(
                Rejected(row.line, f"staff code {row.code} is also on line {seen_code[row.code]}")
            )
            continue
        seen_email[row.email] = row.line
        if row.code:
            seen_code[row.code] = row.line
        person = known.get(row.email)
        if person is not None and person.left_on is not None:
            plan.rejected.append(
                Rejected(row.line, f"{row.email} left on {person.left_on}: not re-registered")
            )
            continue
        rows.append(row)
    ids: dict[str, UUID] = {}
    for row in rows:
        person = known.get(row.email)
        ids[row.email] = person.staff_id if person else new_id()
    by_code = {r.code: ids[r.email] for r in rows if r.code}
    managers: dict[int, UUID | None] = {}
    for row in rows:
        ref = row.manager
        if ref is None:
            managers[row.line] = None
            continue
        manager = by_code.get(ref) or ids.get(ref.lower())
        if manager is None and ref.lower() in known:
            manager = known[ref.lower()].staff_id
        if manager is None:
            plan.rejected.append(Rejected(row.line, f"line manager {ref!r} is not known"))
        elif manager == ids[row.email]:
            plan.rejected.append(Rejected(row.line, "a person cannot be their own line manager"))
        else:
            managers[row.line] = manager
    plan.rejected.sort(key=lambda r: r.line)
    if plan.rejected:
        return plan
    later: list[m.Command] = []
    for row in rows:
        staff_id = ids[row.email]
        person = known.get(row.email)
        manager = managers[row.line]
        if person is None:
            plan.add.append(
                f"{row.name} <{row.email}>, {row.job_title}, {school_names[row.school_id]}"
            )
            plan.commands.append(
                m.RegisterStaff(
                    trust_id=trust_id,
                    name=row.name,
                    preferred_name=row.preferred_name,
                    email=row.email,
                    job_title=row.job_title,
                    category=row.category,
                    school_id=row.school_id,
                    start_date=row.start_date,
                    staff_id=staff_id,
                )
            )
            if manager is not None:
                later.append(
                    m.ChangeLineManager(staff_id=staff_id, line_manager_id=manager, reason=REASON)
                )
            continue
        what = []
        preferred = row.preferred_name if row.preferred_name != row.name else None
        if (row.name, preferred) != (person.name, person.preferred_name):
            what.append(f"name {person.display_name} → {row.name}")
            plan.commands.append(
                m.RenameStaff(
                    staff_id=staff_id,
                    new_name=row.name,
                    preferred_name=row.preferred_name,
                    reason=REASON,
                )
            )
        if row.job_title != person.job_title:
            what.append(f"job title {person.job_title} → {row.job_title}")
            plan.commands.append(
                m.ChangeJobTitle(staff_id=staff_id, job_title=row.job_title, reason=REASON)
            )
        if row.school_id != person.school_id:
            old = school_names.get(person.school_id) if person.school_id else None
            what.append(f"school {old} → {school_names[row.school_id]}")
            plan.commands.append(
                m.TransferStaff(
                    staff_id=staff_id, school_id=row.school_id, effective_date=today, reason=REASON
                )
            )
        if manager != person.line_manager_id:
            what.append("line manager")
            later.append(
                m.ChangeLineManager(staff_id=staff_id, line_manager_id=manager, reason=REASON)
            )
        if what:
            plan.change.append(f"{person.display_name} <{row.email}>: {', '.join(what)}")
    plan.commands += later
    covered = {r.school_id for r in rows}
    present = set(ids.values())
    for person in known.values():
        if (
            person.left_on is None
            and person.school_id in covered
            and person.staff_id not in present
        ):
            plan.leave.append(f"{person.display_name} <{person.email}>")
            plan.leaver_commands.append(
                m.RecordStaffLeaving(
                    staff_id=person.staff_id,
                    effective_date=today,
                    reason="Not in the MIS staff export",
                )
            )
    return plan


def record(
    commands: CommandService,
    principal: Principal,
    plan: Plan,
    *,
    confirm_leavers: bool,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Record a plan with no rejected rows in one transaction; the number of commands."""
    if not plan.ok:
        raise ValueError("a plan with rejected rows is never recorded")
    todo = plan.to_record(confirm_leavers=confirm_leavers)
    commands.execute_all(todo, principal, progress=progress)
    return len(todo)


@dataclass
class ReviewPlan:
    """Reviews a bulk start would open: appraisee and appraiser (their line manager)."""

    start: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    commands: list[m.Command] = field(default_factory=list)


def plan_reviews(db: Database, trust_id: UUID, cycle_id: UUID) -> ReviewPlan:
    """A review for every current member of staff without one in the cycle, appraised by
    their line manager; people without a (current) line manager are listed as skipped."""
    from projections import review_status

    plan = ReviewPlan()
    people = {p.staff_id: p for p in directory.people_of_trust(db, trust_id)}
    started = {
        r.appraisee_id for r in review_status.reviews_in_cycle(db, cycle_id, limit=1_000_000)
    }
    for p in people.values():
        if p.left_on is not None or p.staff_id in started:
            continue
        manager = people.get(p.line_manager_id) if p.line_manager_id else None
        if manager is None or manager.left_on is not None:
            plan.skipped.append(f"{p.display_name}: no current line manager")
            continue
        plan.start.append((p.display_name, manager.display_name))
        plan.commands.append(
            m.StartReview(cycle_id=cycle_id, appraisee_id=p.staff_id, appraiser_id=manager.staff_id)
        )
    return plan
