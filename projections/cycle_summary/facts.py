"""Facts about a cycle, attributed to the school where each thing happened.

The two summary read models share this base. Each review and objective keeps a small state
(JSON), from which a pure function derives its facts: ``(metric, school)`` pairs such as
("objective_agreed", the school the appraisee was in on the day it was agreed). Facts are
rewritten for the subjects a batch changed, and the summaries of the (school, cycle) groups
those facts touched are recomputed from the facts at the end of the batch. Summaries are
therefore a pure function of the facts: any batch size gives the same rows.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from events import trust
from events.base import DomainEvent
from projections.cycle_summary.subjects import SubjectHandlers
from projections.engine.common import of_type
from projections.engine.core import Event, Handler, Projection, id_text
from projections.engine.db import Column, Table, Tx, working
from projections.engine.workset import Batch, Row

_PAGE = 5000
Group = tuple[str, str, str]  # (trust_id, cycle_id, school_id)

# Summary columns: the metric each counts (facts are counted per group).
METRICS = {
    "staff_in_cycle": "staff",
    "planning_done": "planning_done",
    "mid_year_done": "mid_year_done",
    "end_year_done": "end_year_done",
    "reports_issued": "reported",
    "reviews_complete": "complete",
    "appeals": "appeal",
    "pending_planning": "pending_planning",
    "pending_mid_year": "pending_mid_year",
    "pending_report": "pending_report",
    "objectives_set": "objective_set",
    "objectives_agreed": "objective_agreed",
    "objectives_without_agreement": "objective_without_agreement",
    "objectives_withdrawn": "objective_withdrawn",
    "judgement_exceeds": "judgement:exceeds",
    "judgement_meets": "judgement:meets",
    "judgement_partially_meets": "judgement:partially_meets",
    "judgement_does_not_meet": "judgement:does_not_meet",
    "outcome_met": "outcome:met",
    "outcome_partially_met": "outcome:partially_met",
    "outcome_not_met": "outcome:not_met",
}
METRIC_COLUMNS = tuple(
    [Column(name, "int", False) for name in METRICS]
    + [Column("priorities_applicable", "int", False), Column("priorities_covered", "int", False)]
)
CYCLE_COLUMNS = (
    Column("cycle_name", "text"),
    Column("objective_setting_deadline", "date"),
    Column("mid_year_deadline", "date"),
    Column("end_year_deadline", "date"),
)


def fact_tables(prefix: str) -> tuple[Table, Table, Table]:
    subjects = Table(
        f"{prefix}_subjects",
        (Column("subject_id", "id", False), Column("state", "json", False)),
        key=("subject_id",),
        public=False,
    )
    facts = Table(
        f"{prefix}_facts",
        (
            Column("subject_id", "id", False),
            Column("metric", "text", False),
            Column("school_id", "id", False),
            Column("cycle_id", "id", False),
            Column("trust_id", "id", False),
        ),
        key=("subject_id", "metric", "school_id"),
        indexes=(("school_id", "cycle_id"), ("trust_id", "cycle_id")),
        public=False,
    )
    priorities = Table(
        f"{prefix}_priorities",
        (
            Column("priority_id", "id", False),
            Column("trust_id", "id", False),
            Column("school_id", "id"),
            Column("active", "bool", False),
        ),
        key=("priority_id",),
        indexes=(("trust_id",),),
        public=False,
    )
    return subjects, facts, priorities


def facts_of(state: Row) -> set[tuple[str, str]]:
    """The (metric, school) facts of a review's or an objective's state."""
    out: set[tuple[str, str]] = set()
    if state["kind"] == "review":
        out.update(("staff", s) for s in state["schools"])
        for metric in ("planning_done", "mid_year_done", "end_year_done", "reported"):
            if state[metric]:
                out.add((metric, state[metric]))
        if state["complete"]:
            out.add(("complete", state["complete"]))
        if state["appeal"]:
            out.add(("appeal", state["appeal"]))
        if state["overall"]:
            out.add((f"judgement:{state['overall'][0]}", state["overall"][1]))
        current = state["schools"][-1]
        for pending, done in (
            ("pending_planning", "planning_done"),
            ("pending_mid_year", "mid_year_done"),
            ("pending_report", "reported"),
        ):
            if not state[done]:
                out.add((pending, current))
    elif state["kind"] == "objective":
        school = state["school"]
        if state["withdrawn"]:
            return {("objective_withdrawn", school)}
        out.add(("objective_set", school))
        if state["agreed_school"]:
            out.add(("objective_agreed", state["agreed_school"]))
        if state["without_agreement_school"]:
            out.add(("objective_without_agreement", state["without_agreement_school"]))
        if state["outcome_school"]:
            out.add((f"outcome:{state['outcome']}", state["outcome_school"]))
        if state["priority_id"]:
            out.add((f"priority:{state['priority_id']}", school))
    return out


def _pointers(cls: type[DomainEvent]) -> tuple[str, ...]:
    """The fields of an event class naming other subjects a handler reads (to prefetch)."""
    found = _POINTERS.get(cls)
    if found is None:
        found = _POINTERS[cls] = tuple(f for f in _POINTER_FIELDS if f in cls.model_fields)
    return found


_POINTER_FIELDS = ("review_id", "appraisee_id", "cycle_id", "school_id")
_POINTERS: dict[type[DomainEvent], tuple[str, ...]] = {}


class CycleFacts(SubjectHandlers, Projection):
    """Keeps subjects and their facts; subclasses turn dirty groups into summary rows."""

    facts: Table
    # Both summaries keep the same subjects and facts: a rebuild of both builds them once.
    bulk_twin = "cycle_facts"

    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        return self.subject_handlers()

    # --------------------------------------------------------------- batch plumbing

    def apply(self, batch: Batch, events: Sequence[Event]) -> None:
        self._dirty = set()
        self._dirty_trusts = set()
        self._dirty_schools = set()
        super().apply(batch, events)

    def prefetch(self, batch: Batch, events: Sequence[Event]) -> None:
        subjects = batch.rows(self.subjects)
        keys: set[Any] = set()
        for e in events:
            keys.add(e.originator_id)
            d = e.event
            for field in _pointers(type(d)):
                value = getattr(d, field)
                if value is not None:
                    keys.add(id_text(value))
        subjects.load(keys)
        # Then what those subjects point to: the appraisee's assignment history, and the
        # open reviews of people who move.
        more: set[str] = set()
        for key in keys:
            row = subjects.get(key)
            state = None if row is None else row["state"]
            if state is None:
                continue
            if "appraisee" in state:
                more.add(state["appraisee"])
            more.update(state.get("reviews", ()))
        subjects.load(more)
        batch.rows(self.priorities, index_on=("trust_id",)).load(
            id_text(r.priority_id) for r in of_type(events, trust.PriorityRetired)
        )

    def finish(self, batch: Batch) -> None:
        if batch.bulk:  # facts and summaries are derived once, in complete_bulk
            return
        tx = batch.tx
        facts_name = batch.name(self.facts)
        groups: set[Group] = set()
        dirty = sorted(self._dirty)
        if dirty:
            for old in tx.select_in(self.facts, facts_name, "subject_id", dirty):
                groups.add((str(old[4]), str(old[3]), str(old[2])))
            tx.delete_in(self.facts, facts_name, "subject_id", dirty)
            new: list[tuple[str, str, str, str, str]] = []
            for subject_id in dirty:
                row = self._subject(batch, subject_id)
                state = None if row is None else row["state"]
                if state is None or state["kind"] not in ("review", "objective"):
                    continue
                for metric, school in sorted(facts_of(state)):
                    new.append((subject_id, metric, school, state["cycle"], state["trust"]))
                    groups.add((state["trust"], state["cycle"], school))
            tx.insert(self.facts, facts_name, new)
        for trust_id in sorted(self._dirty_trusts):
            groups.update(self._groups(tx, facts_name, "trust_id", trust_id))
        for school_id in sorted(self._dirty_schools):
            groups.update(self._groups(tx, facts_name, "school_id", school_id))
        if groups:
            self._summarise(batch, sorted(groups))

    def derive_bulk(self, tx: Tx, generation: int) -> None:
        """Derive every fact from the subjects (before the facts' indexes are built)."""
        facts_name = self.facts.physical(generation)
        subjects_name = self.subjects.physical(generation)
        tx.execute(f"DELETE FROM {facts_name}")
        last = None
        while True:  # keyset pages keep memory flat however many subjects there are
            where, params = ("subject_id > ?", [last]) if last else ("1 = 1", list[Any]())
            page = tx.query(
                f"SELECT subject_id, state FROM {subjects_name} WHERE {where} "
                f"ORDER BY subject_id LIMIT {_PAGE}",
                params,
            )
            if not page:
                break
            last = page[-1][0]
            new: list[tuple[str, str, str, str, str]] = []
            for subject_id, stored in page:
                state = working("json", stored)
                if state["kind"] in ("review", "objective"):
                    sid = str(subject_id)
                    new += [
                        (sid, m, s, state["cycle"], state["trust"])
                        for m, s in sorted(facts_of(state))
                    ]
            tx.insert(self.facts, facts_name, new)

    def complete_bulk(self, tx: Tx, generation: int) -> None:
        """Every summary row from the facts."""
        facts_name = self.facts.physical(generation)
        rows = tx.query(f"SELECT DISTINCT trust_id, cycle_id, school_id FROM {facts_name}")
        groups = sorted((str(t), str(c), str(s)) for t, c, s in rows)
        for i in range(0, len(groups), _PAGE // 10):
            self._summarise(Batch(tx, generation), groups[i : i + _PAGE // 10])

    def copy_bulk(self, tx: Tx, generation: int, twin: Projection, twin_generation: int) -> None:
        """Take a twin's subjects, facts and priorities (the same handlers built them)."""
        if not isinstance(twin, CycleFacts):
            raise TypeError(f"{twin.name} is not a twin of {self.name}")
        for table in self.tables:
            tx.execute(f"DELETE FROM {table.physical(generation)}")
        for mine, theirs in (
            (self.subjects, twin.subjects),
            (self.facts, twin.facts),
            (self.priorities, twin.priorities),
        ):
            columns = ", ".join(mine.column_names)
            tx.execute(
                f"INSERT INTO {mine.physical(generation)} ({columns}) "
                f"SELECT {columns} FROM {theirs.physical(twin_generation)}"
            )

    def _summarise(self, batch: Batch, groups: Sequence[Group]) -> None:
        # What summary rows name (schools, cycles, priorities), loaded in one query each.
        batch.rows(self.subjects).load({g[1] for g in groups} | {g[2] for g in groups})
        batch.rows(self.priorities, index_on=("trust_id",)).load_where(
            "trust_id", {g[0] for g in groups}
        )
        self.summarise(batch, groups)

    def _groups(self, tx: Tx, facts_name: str, column: str, value: str) -> set[Group]:
        sql, params = tx.in_list(column, "id", [value])
        rows = tx.query(
            f"SELECT DISTINCT trust_id, cycle_id, school_id FROM {facts_name} WHERE {sql}", params
        )
        return {(str(t), str(c), str(s)) for t, c, s in rows}

    def counts(
        self, batch: Batch, groups: Sequence[Group], *, by_trust: bool
    ) -> dict[tuple[str, ...], dict[str, int]]:
        """Fact counts per metric for each group: per school, or per trust (distinct subjects)."""
        tx = batch.tx
        cycles = sorted({g[1] for g in groups})
        if by_trust:
            keys, owners = "trust_id, cycle_id", sorted({g[0] for g in groups})
            owner_sql, owner_params = tx.in_list("trust_id", "id", owners)
            count = "COUNT(DISTINCT subject_id)"
        else:
            keys, owners = "school_id, cycle_id", sorted({g[2] for g in groups})
            owner_sql, owner_params = tx.in_list("school_id", "id", owners)
            count = "COUNT(*)"
        cycle_sql, cycle_params = tx.in_list("cycle_id", "id", cycles)
        rows = tx.query(
            f"SELECT {keys}, metric, {count} FROM {batch.name(self.facts)} "
            f"WHERE {owner_sql} AND {cycle_sql} GROUP BY {keys}, metric",
            owner_params + cycle_params,
        )
        out: dict[tuple[str, ...], dict[str, int]] = {}
        for owner, cycle_id, metric, n in rows:
            out.setdefault((str(owner), str(cycle_id)), {})[metric] = int(n)
        return out

    def metric_values(
        self, batch: Batch, trust_id: str, school_id: str | None, counts: dict[str, int]
    ) -> dict[str, Any]:
        """The metric columns of a summary row (a school's, or the trust's when None)."""
        values: dict[str, Any] = {col: counts.get(metric, 0) for col, metric in METRICS.items()}
        priorities = batch.rows(self.priorities, index_on=("trust_id",)).find("trust_id", trust_id)
        applicable = {
            p["priority_id"]
            for p in priorities
            if p["active"] and (school_id is None or p["school_id"] in (None, school_id))
        }
        covered = {m.removeprefix("priority:") for m in counts if m.startswith("priority:")}
        values["priorities_applicable"] = len(applicable)
        values["priorities_covered"] = len(applicable & covered)
        return values

    def cycle_values(self, batch: Batch, cycle_id: str) -> dict[str, Any]:
        row = self._subject(batch, cycle_id)
        c = {} if row is None else row["state"]
        return {
            "cycle_name": c.get("name"),
            "objective_setting_deadline": c.get("objective_setting_deadline"),
            "mid_year_deadline": c.get("mid_year_deadline"),
            "end_year_deadline": c.get("end_year_deadline"),
        }

    def school_name(self, batch: Batch, school_id: str) -> str | None:
        row = self._subject(batch, school_id)
        return None if row is None else row["state"].get("name")

    @abstractmethod
    def summarise(self, batch: Batch, groups: Sequence[Group]) -> None:
        """Rewrite the summary rows of these (trust, cycle, school) groups from the facts."""
