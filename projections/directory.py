"""directory: who and what the ids are: people, schools, cycles and priorities, with names.

One self-contained read model (tables, handlers, queries). People carry their name, the
name they go by, email, job title, category, current school, line manager and leaving date,
with a search key and the indexes lists filter on. Every name a person, school, cycle or
priority has had is kept with the log position it took effect at (``directory_names``), so
history views can show a name as it was then. ``Directory`` is the one lookup the API, the
dashboard and the audit views call to turn ids into names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from events import cycle as cy
from events import staff as st
from events import trust as tr
from events.actors import SERVICE_ACTORS
from events.base import DomainEvent
from projections.engine.common import as_model, originators, pinned, select, text
from projections.engine.core import Event, Handler, Handlers, Projection, id_text
from projections.engine.db import Column, ColumnType, Database, Table
from projections.engine.db import typed as typed_value
from projections.engine.workset import Batch, Row

PEOPLE = Table(
    "directory_people",
    (
        Column("staff_id", "id", False),
        Column("trust_id", "id", False),
        Column("name", "text", False),
        Column("preferred_name", "text"),
        Column("display_name", "text", False),
        # Lower-case display name then id: the order lists page in (a keyset cursor).
        Column("sort_key", "text", False),
        Column("email", "text", False),
        Column("job_title", "text", False),
        Column("category", "text", False),
        Column("school_id", "id"),
        Column("started_on", "date"),
        Column("line_manager_id", "id"),
        Column("left_on", "date"),
        Column("version", "int", False),
    ),
    key=("staff_id",),
    indexes=(("trust_id", "sort_key"), ("school_id", "sort_key"), ("email",), ("line_manager_id",)),
)
SCHOOLS = Table(
    "directory_schools",
    (
        Column("school_id", "id", False),
        Column("trust_id", "id", False),
        Column("name", "text", False),
        Column("phase", "text"),
    ),
    key=("school_id",),
    indexes=(("trust_id", "name"),),
)
CYCLES = Table(
    "directory_cycles",
    (
        Column("cycle_id", "id", False),
        Column("trust_id", "id", False),
        Column("name", "text", False),
        Column("start_date", "date", False),
        Column("end_date", "date", False),
        Column("objective_setting_deadline", "date", False),
        Column("mid_year_window_start", "date", False),
        Column("mid_year_window_end", "date", False),
        Column("end_year_deadline", "date", False),
        Column("max_objectives", "int", False),
        Column("appeal_window_days", "int", False),
        Column("state", "text", False),
    ),
    key=("cycle_id",),
    indexes=(("trust_id", "start_date"),),
)
PRIORITIES = Table(
    "directory_priorities",
    (
        Column("priority_id", "id", False),
        Column("trust_id", "id", False),
        Column("school_id", "id"),
        Column("title", "text", False),
        Column("description", "text", False),
        Column("active", "bool", False),
    ),
    key=("priority_id",),
    indexes=(("trust_id", "title"),),
)
SEARCH = Table(
    "directory_search",
    (
        # "<staff id>:<word>": one row per word of a person's names and email, in lower case.
        Column("entry_id", "text", False),
        Column("word", "text", False),
        Column("staff_id", "id", False),
    ),
    key=("entry_id",),
    # A search word is a prefix: a range scan of the first index; the second checks one
    # person's words (see ``list_staff``).
    indexes=(("word",), ("staff_id", "word")),
)
NAMES = Table(
    "directory_names",
    (
        # "<subject id>:<position>": one row per name (and school) a subject took on.
        Column("entry_id", "text", False),
        Column("subject_id", "id", False),
        Column("position", "int", False),
        Column("kind", "text", False),
        Column("name", "text", False),
        Column("school_id", "id"),
    ),
    key=("entry_id",),
    indexes=(("subject_id", "position"),),
)


def display_name(name: str, preferred_name: str | None) -> str:
    """How a person is shown: the name they go by with their surname, else their name."""
    if not preferred_name:
        return name
    surname = name.rsplit(" ", 1)[-1] if " " in name else ""
    if surname and surname.lower() not in preferred_name.lower():
        return f"{preferred_name} {surname}"
    return preferred_name


_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The words a search matches the start of: runs of letters and digits, lower case."""
    return _WORD.findall(text.lower())


def _person_words(row: Row) -> set[str]:
    return set(words(f"{row['name']} {row['preferred_name'] or ''} {row['email']}"))


def _person_keys(b: Batch, row: Row, old: Row | None) -> None:
    """Derived columns of a person's row, and their search words (old ones replaced)."""
    shown = display_name(row["name"], row["preferred_name"])
    row["display_name"] = shown
    row["sort_key"] = f"{shown.lower()}\x1f{row['staff_id']}"
    search = b.rows(SEARCH)
    before = _person_words(old) if old is not None else set()
    after = _person_words(row)
    for w in before - after:
        search.delete(f"{row['staff_id']}:{w}")
    for w in sorted(after - before):
        search.put({"entry_id": f"{row['staff_id']}:{w}", "word": w, "staff_id": row["staff_id"]})


class Directory(Projection):
    name = "directory"
    # 2: the search words are indexed per person too (a broad search walks the list's order).
    schema_version = 2
    tables = (PEOPLE, SCHOOLS, CYCLES, PRIORITIES, NAMES, SEARCH)

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return (
            Handlers()
            .on(st.StaffRegistered, self._registered)
            .on(st.StaffRenamed, self._renamed)
            .on(st.JobTitleChanged, self._job_title)
            .on(st.AssignedToSchool, self._assigned)
            .on(st.LineManagerChanged, self._line_manager)
            .on(st.StaffLeft, self._left)
            .on(tr.TrustRegistered, self._trust)
            .on(tr.SchoolAdded, lambda b, e: self._school(b, e, e.event.name, e.event.phase))
            .on(tr.SchoolRenamed, lambda b, e: self._school(b, e, e.event.new_name, None))
            .on(tr.PriorityAdded, self._priority)
            .on(tr.PriorityRetired, self._priority_retired)
            .on(cy.CycleScheduled, self._cycle)
            .on(cy.CycleOpened, self._cycle_state("open"))
            .on(cy.CycleClosed, self._cycle_state("closed"))
            .on(cy.CycleReopened, self._cycle_state("open"))
            .on(cy.PolicyChanged, self._policy)
        )

    def prefetch(self, batch: Batch, events: Sequence[Event]) -> None:
        batch.rows(PEOPLE).load(originators(events, _STAFF))

    # ---------------------------------------------------------------------- people

    def _name_entry(
        self, b: Batch, e: Event, subject: str, kind: str, name: str, school: Any
    ) -> None:
        b.rows(NAMES).put(
            {
                "entry_id": f"{subject}:{e.position}",
                "subject_id": subject,
                "position": e.position,
                "kind": kind,
                "name": name,
                "school_id": school,
            }
        )

    def _registered(self, b: Batch, e: Event[st.StaffRegistered]) -> None:
        d = e.event
        row: Row = {
            "staff_id": e.originator_id,
            "trust_id": id_text(d.trust_id),
            "name": d.name,
            "preferred_name": d.preferred_name,
            "email": d.email,
            "job_title": d.job_title,
            "category": d.category.value,
            "school_id": None,
            "started_on": None,
            "line_manager_id": None,
            "left_on": None,
            "version": e.originator_version,
        }
        _person_keys(b, row, None)
        b.rows(PEOPLE).put(row)
        self._name_entry(b, e, e.originator_id, "staff", row["display_name"], None)

    def _person(self, b: Batch, e: Event, **changes: Any) -> Row | None:
        rows = b.rows(PEOPLE)
        row = rows.get(e.originator_id)
        if row is None:
            return None
        row.update(changes, version=e.originator_version)
        rows.put(row)
        return row

    def _renamed(self, b: Batch, e: Event[st.StaffRenamed]) -> None:
        old = b.rows(PEOPLE).get(e.originator_id)
        old = dict(old) if old is not None else None
        row = self._person(b, e, name=e.event.new_name, preferred_name=e.event.preferred_name)
        if row is not None:
            _person_keys(b, row, old)
            self._name_entry(b, e, row["staff_id"], "staff", row["display_name"], row["school_id"])

    def _job_title(self, b: Batch, e: Event[st.JobTitleChanged]) -> None:
        self._person(b, e, job_title=e.event.new_job_title)

    def _assigned(self, b: Batch, e: Event[st.AssignedToSchool]) -> None:
        row = b.rows(PEOPLE).get(e.originator_id)
        if row is None:
            return
        d = e.event
        started = row["started_on"] or d.effective_date.isoformat()
        row = self._person(b, e, school_id=id_text(d.school_id), started_on=started)
        assert row is not None
        self._name_entry(b, e, row["staff_id"], "staff", row["display_name"], row["school_id"])

    def _line_manager(self, b: Batch, e: Event[st.LineManagerChanged]) -> None:
        self._person(b, e, line_manager_id=text(e.event.line_manager_id))

    def _left(self, b: Batch, e: Event[st.StaffLeft]) -> None:
        self._person(b, e, left_on=e.event.effective_date.isoformat())

    # ------------------------------------------------------- schools, priorities, cycles

    def _trust(self, b: Batch, e: Event[tr.TrustRegistered]) -> None:
        self._name_entry(b, e, e.originator_id, "trust", e.event.name, None)

    def _school(
        self, b: Batch, e: Event[tr.SchoolAdded | tr.SchoolRenamed], name: str, phase: str | None
    ) -> None:
        """A school added (with its phase) or renamed (keeping it)."""
        school_id = id_text(e.event.school_id)
        rows = b.rows(SCHOOLS)
        old = rows.get(school_id)
        if old is not None:
            phase = old["phase"]
        rows.put(
            {"school_id": school_id, "trust_id": e.originator_id, "name": name, "phase": phase}
        )
        self._name_entry(b, e, school_id, "school", name, None)

    def _priority(self, b: Batch, e: Event[tr.PriorityAdded]) -> None:
        d = e.event
        priority_id, school_id = id_text(d.priority_id), text(d.school_id)
        b.rows(PRIORITIES).put(
            {
                "priority_id": priority_id,
                "trust_id": e.originator_id,
                "school_id": school_id,
                "title": d.title,
                "description": d.description,
                "active": True,
            }
        )
        self._name_entry(b, e, priority_id, "priority", d.title, school_id)

    def _priority_retired(self, b: Batch, e: Event[tr.PriorityRetired]) -> None:
        rows = b.rows(PRIORITIES)
        row = rows.get(id_text(e.event.priority_id))
        if row is not None:
            rows.put({**row, "active": False})

    def _cycle(self, b: Batch, e: Event[cy.CycleScheduled]) -> None:
        d = e.event
        b.rows(CYCLES).put(
            {
                "cycle_id": e.originator_id,
                "trust_id": id_text(d.trust_id),
                "name": d.name,
                "start_date": d.start_date.isoformat(),
                "end_date": d.end_date.isoformat(),
                "objective_setting_deadline": d.objective_setting_deadline.isoformat(),
                "mid_year_window_start": d.mid_year_window_start.isoformat(),
                "mid_year_window_end": d.mid_year_window_end.isoformat(),
                "end_year_deadline": d.end_year_deadline.isoformat(),
                "max_objectives": d.policy.max_objectives,
                "appeal_window_days": d.policy.appeal_window_days,
                "state": "scheduled",
            }
        )
        self._name_entry(b, e, e.originator_id, "cycle", d.name, None)

    def _cycle_state(self, state: str) -> Handler:
        def handle(b: Batch, e: Event) -> None:
            rows = b.rows(CYCLES)
            row = rows.get(e.originator_id)
            if row is not None:
                rows.put({**row, "state": state})

        return handle

    def _policy(self, b: Batch, e: Event[cy.PolicyChanged]) -> None:
        rows = b.rows(CYCLES)
        row = rows.get(e.originator_id)
        if row is not None:
            p = e.event.new_policy
            rows.put(
                {
                    **row,
                    "max_objectives": p.max_objectives,
                    "appeal_window_days": p.appeal_window_days,
                }
            )


_STAFF = (
    "StaffRenamed",
    "JobTitleChanged",
    "AssignedToSchool",
    "LineManagerChanged",
    "StaffLeft",
)


# ---------------------------------------------------------------------------- views


@dataclass(frozen=True, slots=True)
class Person:
    staff_id: UUID
    trust_id: UUID
    name: str
    preferred_name: str | None
    display_name: str
    email: str
    job_title: str
    category: str
    school_id: UUID | None
    started_on: date | None
    line_manager_id: UUID | None
    left_on: date | None
    version: int


@dataclass(frozen=True, slots=True)
class School:
    school_id: UUID
    trust_id: UUID
    name: str
    phase: str | None


@dataclass(frozen=True, slots=True)
class Cycle:
    cycle_id: UUID
    trust_id: UUID
    name: str
    start_date: date
    end_date: date
    objective_setting_deadline: date
    mid_year_window_start: date
    mid_year_window_end: date
    end_year_deadline: date
    max_objectives: int
    appeal_window_days: int
    state: str


@dataclass(frozen=True, slots=True)
class Priority:
    priority_id: UUID
    trust_id: UUID
    school_id: UUID | None
    title: str
    description: str
    active: bool


_PERSON_COLUMNS = [c.name for c in PEOPLE.columns if c.name not in ("sort_key", "search")]


@dataclass(frozen=True, slots=True)
class StaffFilter:
    """Which people a list may hold (the read policy's scope) and which the caller asked for."""

    trust_id: UUID
    # None: every school of the trust; otherwise only people now at one of these schools.
    school_ids: frozenset[UUID] | None = None
    # None: anyone in scope; otherwise only these people or the people they line-manage.
    people: frozenset[UUID] | None = None
    search: str | None = None
    category: str | None = None
    active: bool | None = None


# Up to how many people a search word may match for them to be looked up by id.
_NARROW = 500


def list_staff(
    db: Database, f: StaffFilter, *, after: str | None, limit: int
) -> tuple[list[Person], str | None]:
    """A page of people in display-name order, after the sort key ``after``; the next key."""
    # Walking the list, its order is led by the pinned first column of the index meant to
    # serve it (the same order; why: ``common.pinned``): one school's people, else the
    # trust's. Looked up by id, the few candidates are sorted.
    lead: tuple[str, UUID] = ("trust_id", f.trust_id)
    if f.school_ids is not None and len(f.school_ids) == 1:
        lead = ("school_id", next(iter(f.school_ids)))
    one_school = lead[0] == "school_id"
    where = ["trust_id = ?"]
    params: list[tuple[ColumnType, Any]] = [("id", f.trust_id)]
    if f.school_ids is not None and not one_school:
        if not f.school_ids:
            return [], None
        where.append(f"school_id IN ({','.join('?' * len(f.school_ids))})")
        params += [("id", s) for s in sorted(f.school_ids, key=str)]
    if f.people is not None:
        if not f.people:
            return [], None
        marks = ",".join("?" * len(f.people))
        where.append(f"(staff_id IN ({marks}) OR line_manager_id IN ({marks}))")
        ids: list[tuple[ColumnType, Any]] = [("id", p) for p in sorted(f.people, key=str)]
        params += ids + ids
    typed = words(f.search)[:5] if f.search is not None else []
    if f.search is not None and not typed:
        return [], None
    if f.category:
        where.append("category = ?")
        params.append(("text", f.category))
    if f.active is True:
        where.append("left_on IS NULL")
    elif f.active is False:
        where.append("left_on IS NOT NULL")
    if after is not None:
        where.append("sort_key > ?")
        params.append(("text", after))
    cols = PEOPLE.column_names
    types = [c.type for c in PEOPLE.columns]
    walk = True
    with db.transaction(write=False) as tx:
        values = [tx.param(t, v) for t, v in params]
        if typed:
            # Each word typed must start a word of the name or the email: a range of the word
            # index (text order is code point order in SQLite and C / C.UTF-8 collations).
            # How many people each range holds, counted up to a cap, decides the plan (read
            # first, so it never depends on the tables' statistics): a narrow word gives the
            # candidates, looked up by id; when every word is broad, the list is walked in
            # its own order and each person's words checked, which finds a page after about
            # ``limit x (people / matches)`` checks.
            bounds = [(w, w[:-1] + chr(ord(w[-1]) + 1)) for w in typed]
            counts = tx.query(
                "SELECT "
                + ", ".join(
                    f"(SELECT count(*) FROM (SELECT 1 FROM {SEARCH.view} "
                    f"WHERE word >= ? AND word < ? LIMIT {_NARROW + 1}) AS m)"
                    for _ in typed
                ),
                [x for pair in bounds for x in pair],
            )[0]
            narrowest = min(range(len(typed)), key=lambda i: int(counts[i]))
            if int(counts[narrowest]) == 0:
                return [], None
            if int(counts[narrowest]) <= _NARROW:
                walk = False
                low, high = bounds.pop(narrowest)
                matched = [
                    r[0]
                    for r in tx.query(
                        f"SELECT staff_id FROM {SEARCH.view} WHERE word >= ? AND word < ?",
                        [low, high],
                    )
                ]
                clause, extra = tx.in_list("staff_id", "id", sorted(set(map(str, matched))))
                where.append(clause)
                values += extra
            for low, high in bounds:
                where.append(
                    f"EXISTS (SELECT 1 FROM {SEARCH.view} s WHERE s.staff_id = "
                    f"{PEOPLE.view}.staff_id AND s.word >= ? AND s.word < ?)"
                )
                values += [low, high]
        order = "sort_key"
        if walk or one_school:
            where.append(pinned(db, lead[0], "id") if walk else f"{lead[0]} = ?")
            values.append(tx.param("id", lead[1]))
            if walk:
                order = f"{lead[0]}, sort_key"
            if lead[0] == "trust_id":
                where.pop(0)
                values.pop(0)
        stored = tx.query(
            f"SELECT {', '.join(cols)} FROM {PEOPLE.view} WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT {limit + 1}",
            values,
        )
    rows = [{c: typed_value(t, v) for c, t, v in zip(cols, types, r, strict=True)} for r in stored]
    more = len(rows) > limit
    rows = rows[:limit]
    people = [Person(**{c: r[c] for c in _PERSON_COLUMNS}) for r in rows]
    return people, (rows[-1]["sort_key"] if more else None)


def get_person(db: Database, staff_id: UUID) -> Person | None:
    rows = select(db, PEOPLE, "staff_id = ?", [("id", staff_id)])
    return Person(**{c: rows[0][c] for c in _PERSON_COLUMNS}) if rows else None


def person_by_email(db: Database, trust_id: UUID, email: str) -> Person | None:
    rows = select(db, PEOPLE, "email = ? AND trust_id = ?", [("text", email), ("id", trust_id)])
    return Person(**{c: rows[0][c] for c in _PERSON_COLUMNS}) if rows else None


def people_of_trust(db: Database, trust_id: UUID) -> list[Person]:
    rows = select(db, PEOPLE, "trust_id = ?", [("id", trust_id)], "ORDER BY sort_key")
    return [Person(**{c: r[c] for c in _PERSON_COLUMNS}) for r in rows]


def schools(db: Database, trust_id: UUID) -> list[School]:
    return as_model(
        School, select(db, SCHOOLS, "trust_id = ?", [("id", trust_id)], "ORDER BY name")
    )


def cycles(db: Database, trust_id: UUID) -> list[Cycle]:
    rows = select(db, CYCLES, "trust_id = ?", [("id", trust_id)], "ORDER BY start_date DESC")
    return as_model(Cycle, rows)


def get_cycle(db: Database, cycle_id: UUID) -> Cycle | None:
    rows = as_model(Cycle, select(db, CYCLES, "cycle_id = ?", [("id", cycle_id)]))
    return rows[0] if rows else None


def priorities(db: Database, trust_id: UUID) -> list[Priority]:
    rows = select(db, PRIORITIES, "trust_id = ?", [("id", trust_id)], "ORDER BY title")
    return as_model(Priority, rows)


# ------------------------------------------------------------------------ names lookup


@dataclass(frozen=True, slots=True)
class NameThen:
    """A subject's name as it was at a log position, and (people) their school then."""

    name: str
    school_id: UUID | None


class Names:
    """Ids to display names: now, or as they were at a log position (history views).

    The one lookup everything that shows a person, school, cycle or priority calls; ids it
    does not know are left out (the caller shows the id).
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def _entries(self, ids: Iterable[UUID | str]) -> dict[str, list[tuple[int, str, Any]]]:
        wanted = sorted({str(i) for i in ids if i is not None})
        found: dict[str, list[tuple[int, str, Any]]] = {}
        for start in range(0, len(wanted), 400):
            chunk = wanted[start : start + 400]
            marks = ",".join("?" * len(chunk))
            rows = select(self.db, NAMES, f"subject_id IN ({marks})", [("id", i) for i in chunk])
            for r in rows:
                found.setdefault(str(r["subject_id"]), []).append(
                    (r["position"], r["name"], r["school_id"])
                )
        # The service's own actors (the operator, the retention pass) are in no directory.
        for i in wanted:
            if i in SERVICE_ACTORS and i not in found:
                found[i] = [(0, SERVICE_ACTORS[i], None)]
        for entries in found.values():
            entries.sort(key=lambda x: x[0])
        return found

    def now(self, ids: Iterable[UUID | str]) -> dict[str, str]:
        """Each known id's name today."""
        return {k: v[-1][1] for k, v in self._entries(ids).items()}

    def then(self, ids: Iterable[UUID | str], position: int) -> dict[str, NameThen]:
        """Each known id's name (and school) as it was once the log reached ``position``."""
        result: dict[str, NameThen] = {}
        for k, entries in self._entries(ids).items():
            before = [x for x in entries if x[0] <= position] or entries[:1]
            _, name, school = before[-1]
            result[k] = NameThen(name, school)
        return result

    def then_each(self, pairs: Iterable[tuple[UUID | str, int]]) -> dict[tuple[str, int], str]:
        """Names for (id, position) pairs: one query for a whole page of history."""
        wanted = [(str(i), p) for i, p in pairs if i is not None]
        entries = self._entries(i for i, _ in wanted)
        result: dict[tuple[str, int], str] = {}
        for i, p in wanted:
            known = entries.get(i)
            if known:
                before = [x for x in known if x[0] <= p] or known[:1]
                result[(i, p)] = before[-1][1]
        return result


UUID_TEXT = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


def named_text(text: str, names: Mapping[str, str]) -> str:
    """``text`` with every id it mentions that has a name replaced by the name."""
    return UUID_TEXT.sub(lambda m: names.get(m.group(0), m.group(0)), text)


def ids_in_text(text: str) -> list[str]:
    return UUID_TEXT.findall(text)


def label_then(
    db: Database, rows: Iterable[tuple[int, Iterable[str]]]
) -> dict[int, dict[str, str]]:
    """For each (log position, ids) pair: the names those ids had at that position."""
    listed = [(p, [str(i) for i in ids]) for p, ids in rows]
    found = Names(db).then_each((i, p) for p, ids in listed for i in ids)
    out: dict[int, dict[str, str]] = {}
    for p, ids in listed:
        mine = out.setdefault(p, {})
        for i in ids:
            name = found.get((i, p))
            if name is not None:
                mine[i] = name
    return out
