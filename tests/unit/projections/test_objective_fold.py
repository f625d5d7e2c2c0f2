"""The read models' one objective fold agrees with the Objective aggregate for every valid
history: status (as the consistency oracle names it), agreement, content, progress, outcome,
withdrawal and carry-forward."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from aggregates.objective import IN_FORCE, Objective, ObjectiveStatus, evolve
from events import objective as ob
from events.base import DomainEvent, Role
from events.values import FieldChange, ObjectiveOutcome, Signatory
from projections import objective_fold as fold
from replay.consistency import objective_status

E = TypeVar("E", bound=DomainEvent)
START = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
ACTOR = UUID(int=1)
TEXT = st.text(alphabet="abc xyz", min_size=1, max_size=12).map(str.strip).filter(bool)


def _event(cls: type[E], oid: UUID, version: int, **fields: Any) -> E:
    return cls(
        originator_id=oid,
        originator_version=version,
        timestamp=START + timedelta(minutes=version),
        actor_id=ACTOR,
        actor_role=Role.SCHOOL_LEADER,
        **fields,
    )


def _choices(o: Objective, reopened: bool) -> list[str]:
    """The kinds of change the aggregate's commands accept in this state."""
    s = o.status
    out: list[str] = []
    if s is ObjectiveStatus.WITHDRAWN:
        return ["reinstate"] if reopened else []
    if s is ObjectiveStatus.DRAFT:
        out += [f"agree:{by.value}" for by in Signatory if by not in o.agreed_by]
        out.append("set_without_agreement")
    if s is ObjectiveStatus.SET_WITHOUT_AGREEMENT and o.disagreement is None:
        out.append("disagree")
    if s in IN_FORCE:
        out += ["progress", "assess"]
    if s is ObjectiveStatus.ASSESSED and reopened:
        out.append("assess")
    if s is not ObjectiveStatus.ASSESSED or reopened:
        out += ["revise", "withdraw"]
    if o.carried_forward_to is None:
        out.append("carry_forward")
    return out


def _change(draw: Any, kind: str, o: Objective, version: int) -> DomainEvent:
    oid = o.id
    if kind.startswith("agree:"):
        return _event(ob.ObjectiveAgreed, oid, version, by=Signatory(kind[6:]))
    match kind:
        case "set_without_agreement":
            return _event(ob.ObjectiveSetWithoutAgreement, oid, version, reason=draw(TEXT))
        case "disagree":
            return _event(ob.DisagreementRecorded, oid, version, statement=draw(TEXT))
        case "progress":
            percent = draw(st.integers(0, 100))
            return _event(ob.ProgressRecorded, oid, version, percent=percent, note=draw(TEXT))
        case "assess":
            outcome = draw(st.sampled_from(ObjectiveOutcome))
            return _event(ob.ObjectiveAssessed, oid, version, outcome=outcome, comment="ok")
        case "withdraw":
            return _event(ob.ObjectiveWithdrawn, oid, version, reason=draw(TEXT))
        case "reinstate":
            return _event(ob.ObjectiveReinstated, oid, version, reason=draw(TEXT))
        case "carry_forward":
            return _event(
                ob.ObjectiveCarriedForward,
                oid,
                version,
                to_objective_id=uuid4(),
                to_cycle_id=uuid4(),
            )
    # A revision of one to three fields, each to a new value (as revise_objective records).
    fields = draw(
        st.lists(
            st.sampled_from(["title", "description", "success_criteria", "standards", "due_date"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    changes = []
    for f in fields:
        old = getattr(o.content, f)
        if f in ("success_criteria", "standards"):
            new: Any = [*old, draw(TEXT)]
            changes.append(FieldChange(field=f, old=list(old), new=new))
        elif f == "due_date":
            due = old + timedelta(days=draw(st.integers(1, 30)))
            changes.append(FieldChange(field=f, old=old.isoformat(), new=due.isoformat()))
        else:
            changes.append(FieldChange(field=f, old=old, new=f"{old} {draw(TEXT)}"))
    return _event(ob.ObjectiveRevised, oid, version, changes=tuple(changes), reason="because")


@st.composite
def histories(draw: Any) -> list[DomainEvent]:
    oid = uuid4()
    events: list[DomainEvent] = [
        _event(
            ob.ObjectiveDrafted,
            oid,
            1,
            review_id=uuid4(),
            cycle_id=uuid4(),
            appraisee_id=uuid4(),
            title=draw(TEXT),
            description=draw(TEXT),
            success_criteria=(draw(TEXT),),
            standards=tuple(draw(st.lists(TEXT, max_size=2))),
            priority_id=draw(st.none() | st.just(uuid4())),
            due_date=date(2026, 3, 1),
        )
    ]
    state = evolve(None, events[0])
    # Whether the review has been reopened (assessed and withdrawn objectives change then).
    reopened = draw(st.booleans())
    for version in range(2, draw(st.integers(1, 14)) + 2):
        kinds = _choices(state, reopened)
        if not kinds:
            break
        event = _change(draw, draw(st.sampled_from(kinds)), state, version)
        events.append(event)
        state = evolve(state, event)
    return events


@settings(max_examples=300, deadline=None)
@given(histories())
def test_the_fold_agrees_with_the_aggregate_after_every_event(events: list[DomainEvent]) -> None:
    aggregate: Objective | None = None
    state: fold.ObjectiveState | None = None
    for event in events:
        aggregate = evolve(aggregate, event)
        if isinstance(event, ob.ObjectiveDrafted):
            state = fold.drafted(event)
        else:
            assert state is not None
            assert isinstance(event, fold.CHANGES)
            state = fold.evolve(state, event)
        assert state is not None
        a = aggregate
        assert state["status"] == objective_status(a) == fold.status(state)
        assert state["agreed_by_appraisee"] == (Signatory.APPRAISEE in a.agreed_by)
        assert state["agreed_by_appraiser"] == (Signatory.APPRAISER in a.agreed_by)
        assert state["set_without_agreement"] == a.set_without_agreement
        assert state["disagreement"] == a.disagreement
        assert (state["progress_percent"] or 0) == a.progress
        assert state["outcome"] == (a.outcome.value if a.outcome else None)
        assert state["withdrawn"] == (a.status is ObjectiveStatus.WITHDRAWN)
        assert state["carried_forward_to"] == (
            str(a.carried_forward_to) if a.carried_forward_to else None
        )
        c = a.content
        assert (state["title"], state["description"]) == (c.title, c.description)
        assert state["success_criteria"] == list(c.success_criteria)
        assert state["standards"] == list(c.standards)
        assert state["priority_id"] == (str(c.priority_id) if c.priority_id else None)
        assert state["due_date"] == c.due_date.isoformat()
    assert fold.fold(events) == state  # type: ignore[arg-type]


def test_changes_name_the_status_only_when_it_moves() -> None:
    oid = uuid4()
    drafted = _event(
        ob.ObjectiveDrafted,
        oid,
        1,
        review_id=uuid4(),
        cycle_id=uuid4(),
        appraisee_id=uuid4(),
        title="Reading",
        description="Whole-class reading",
        success_criteria=("Scores rise",),
        due_date=date(2026, 3, 1),
    )
    state = fold.drafted(drafted)
    one = fold.changes(state, _event(ob.ObjectiveAgreed, oid, 2, by=Signatory.APPRAISEE))
    assert one == {"agreed_by_appraisee": True, "status": "awaiting_agreement"}
    state = fold.evolve(state, _event(ob.ObjectiveAgreed, oid, 2, by=Signatory.APPRAISEE))
    note = fold.changes(state, _event(ob.DisagreementRecorded, oid, 3, statement="I do not agree"))
    assert note == {"disagreement": "I do not agree"}
