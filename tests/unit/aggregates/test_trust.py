"""The Trust aggregate: its schools and development priorities, given/when/then over events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from aggregates import trust
from aggregates.base import Context
from aggregates.trust import Priority, Trust
from events.base import DomainEvent
from events.trust import (
    CycleAdded,
    PriorityAdded,
    PriorityRetired,
    RetentionPolicySet,
    SchoolAdded,
    SchoolRenamed,
    TrustRegistered,
)
from tests.unit.aggregates.gwt import History, accepted, fold, rejected, stamp

TRUST = UUID("10000000-0000-4000-8000-000000000001")
OAK = UUID("10000000-0000-4000-8000-0000000000a1")
ASH = UUID("10000000-0000-4000-8000-0000000000a2")
ELM = UUID("10000000-0000-4000-8000-0000000000a3")
PRIORITY = UUID("10000000-0000-4000-8000-0000000000b1")


@pytest.fixture
def oak_trust(history: History) -> list[DomainEvent]:
    """A registered trust with two schools, Oak Primary and Ash Academy."""
    return [
        history(TrustRegistered, TRUST, name="Oak Learning Trust"),
        history(SchoolAdded, TRUST, school_id=OAK, name="Oak Primary", phase="primary"),
        history(SchoolAdded, TRUST, school_id=ASH, name="Ash Academy", phase="secondary"),
    ]


# Registering ---------------------------------------------------------------------------------


def test_registering_a_trust_records_its_trimmed_name(ctx: Context) -> None:
    state = accepted(
        trust.evolve,
        given=[],
        when=lambda _: trust.register_trust(TRUST, "  Oak Learning Trust ", ctx),
        then=[stamp(TrustRegistered, TRUST, 1, ctx, name="Oak Learning Trust")],
    )
    assert state == Trust(TRUST, 1, "Oak Learning Trust", registered_at=ctx.now)


def test_a_trust_needs_a_name(ctx: Context) -> None:
    rejected(
        trust.evolve,
        given=[],
        when=lambda _: trust.register_trust(TRUST, "   ", ctx),
        rule="trust-name-required",
    )


# Schools -------------------------------------------------------------------------------------


def test_adding_a_school_puts_it_in_the_trust(
    ctx: Context, history: History, oak_trust: list[DomainEvent]
) -> None:
    state = accepted(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.add_school(t, ELM, " Elm Infants ", None, ctx),
        then=[history.next(SchoolAdded, TRUST, school_id=ELM, name="Elm Infants", phase=None)],
    )
    assert state.schools == {OAK: "Oak Primary", ASH: "Ash Academy", ELM: "Elm Infants"}
    assert state.has_school(ELM)


def test_a_school_needs_a_name(ctx: Context, oak_trust: list[DomainEvent]) -> None:
    rejected(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.add_school(t, ELM, " ", None, ctx),
        rule="school-name-required",
    )


def test_the_same_school_cannot_be_added_twice(ctx: Context, oak_trust: list[DomainEvent]) -> None:
    rejected(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.add_school(t, OAK, "Oak Primary Annexe", None, ctx),
        rule="school-exists",
    )


def test_two_schools_of_a_trust_cannot_share_a_name_whatever_the_case(
    ctx: Context, oak_trust: list[DomainEvent]
) -> None:
    rejected(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.add_school(t, ELM, " oak primary", None, ctx),
        rule="school-name-unique",
    )


def test_renaming_a_school_records_old_and_new_name_and_the_reason(
    ctx: Context, history: History, oak_trust: list[DomainEvent]
) -> None:
    state = accepted(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.rename_school(t, ASH, "Ash Free School ", " converted ", ctx),
        then=[
            history.next(
                SchoolRenamed,
                TRUST,
                school_id=ASH,
                old_name="Ash Academy",
                new_name="Ash Free School",
                reason="converted",
            )
        ],
    )
    assert state.schools[ASH] == "Ash Free School"


def test_a_school_can_be_renamed_to_a_different_capitalisation_of_its_own_name(
    ctx: Context, history: History, oak_trust: list[DomainEvent]
) -> None:
    state = accepted(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.rename_school(t, ASH, "ASH Academy", "house style", ctx),
        then=[
            history.next(
                SchoolRenamed,
                TRUST,
                school_id=ASH,
                old_name="Ash Academy",
                new_name="ASH Academy",
                reason="house style",
            )
        ],
    )
    assert state.schools[ASH] == "ASH Academy"


def test_only_a_school_of_the_trust_can_be_renamed(
    ctx: Context, oak_trust: list[DomainEvent]
) -> None:
    rejected(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.rename_school(t, ELM, "Elm", "new name", ctx),
        rule="school-in-trust",
    )


def test_a_renamed_school_needs_a_name(ctx: Context, oak_trust: list[DomainEvent]) -> None:
    rejected(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.rename_school(t, ASH, "  ", "new name", ctx),
        rule="school-name-required",
    )


def test_renaming_a_school_needs_a_reason(ctx: Context, oak_trust: list[DomainEvent]) -> None:
    rejected(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.rename_school(t, ASH, "Ash Free School", " ", ctx),
        rule="reason-required",
    )


def test_renaming_a_school_to_its_own_name_is_refused(
    ctx: Context, oak_trust: list[DomainEvent]
) -> None:
    rejected(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.rename_school(t, ASH, " Ash Academy ", "no change", ctx),
        rule="name-unchanged",
    )


def test_renaming_a_school_to_another_schools_name_is_refused(
    ctx: Context, oak_trust: list[DomainEvent]
) -> None:
    rejected(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.rename_school(t, ASH, "OAK PRIMARY", "merger", ctx),
        rule="school-name-unique",
    )


# Priorities ----------------------------------------------------------------------------------


def test_adding_a_trust_wide_priority(
    ctx: Context, history: History, oak_trust: list[DomainEvent]
) -> None:
    state = accepted(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.add_priority(t, PRIORITY, " Reading ", " phonics first ", None, ctx),
        then=[
            history.next(
                PriorityAdded,
                TRUST,
                priority_id=PRIORITY,
                title="Reading",
                description="phonics first",
                school_id=None,
            )
        ],
    )
    assert state.priorities == {PRIORITY: Priority(PRIORITY, "Reading", None)}
    assert state.priority_applies(PRIORITY, OAK)
    assert state.priority_applies(PRIORITY, ASH)


def test_a_school_priority_applies_only_to_its_school(
    ctx: Context, history: History, oak_trust: list[DomainEvent]
) -> None:
    state = accepted(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.add_priority(t, PRIORITY, "Attendance", "", OAK, ctx),
        then=[
            history.next(
                PriorityAdded,
                TRUST,
                priority_id=PRIORITY,
                title="Attendance",
                description="",
                school_id=OAK,
            )
        ],
    )
    assert state.priority_applies(PRIORITY, OAK)
    assert not state.priority_applies(PRIORITY, ASH)
    assert not state.priority_applies(UUID(int=7), OAK)


def test_a_priority_needs_a_title(ctx: Context, oak_trust: list[DomainEvent]) -> None:
    rejected(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.add_priority(t, PRIORITY, "", "", None, ctx),
        rule="priority-title-required",
    )


def test_the_same_priority_cannot_be_added_twice(
    ctx: Context, history: History, oak_trust: list[DomainEvent]
) -> None:
    given = [*oak_trust, history(PriorityAdded, TRUST, priority_id=PRIORITY, title="Reading")]
    rejected(
        trust.evolve,
        given=given,
        when=lambda t: trust.add_priority(t, PRIORITY, "Writing", "", None, ctx),
        rule="priority-exists",
    )


def test_a_school_priority_must_be_for_a_school_of_the_trust(
    ctx: Context, oak_trust: list[DomainEvent]
) -> None:
    rejected(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.add_priority(t, PRIORITY, "Reading", "", ELM, ctx),
        rule="school-in-trust",
    )


def test_retiring_a_priority_stops_it_applying(
    ctx: Context, history: History, oak_trust: list[DomainEvent]
) -> None:
    given = [*oak_trust, history(PriorityAdded, TRUST, priority_id=PRIORITY, title="Reading")]
    state = accepted(
        trust.evolve,
        given=given,
        when=lambda t: trust.retire_priority(t, PRIORITY, " achieved ", ctx),
        then=[history.next(PriorityRetired, TRUST, priority_id=PRIORITY, reason="achieved")],
    )
    assert state.priorities[PRIORITY] == Priority(PRIORITY, "Reading", None, active=False)
    assert not state.priority_applies(PRIORITY, OAK)


def test_only_an_existing_priority_can_be_retired(
    ctx: Context, oak_trust: list[DomainEvent]
) -> None:
    rejected(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.retire_priority(t, PRIORITY, "achieved", ctx),
        rule="priority-exists",
    )


def test_a_retired_priority_cannot_be_retired_again(
    ctx: Context, history: History, oak_trust: list[DomainEvent]
) -> None:
    given = [
        *oak_trust,
        history(PriorityAdded, TRUST, priority_id=PRIORITY, title="Reading"),
        history(PriorityRetired, TRUST, priority_id=PRIORITY, reason="achieved"),
    ]
    rejected(
        trust.evolve,
        given=given,
        when=lambda t: trust.retire_priority(t, PRIORITY, "again", ctx),
        rule="priority-active",
    )


def test_retiring_a_priority_needs_a_reason(
    ctx: Context, history: History, oak_trust: list[DomainEvent]
) -> None:
    given = [*oak_trust, history(PriorityAdded, TRUST, priority_id=PRIORITY, title="Reading")]
    rejected(
        trust.evolve,
        given=given,
        when=lambda t: trust.retire_priority(t, PRIORITY, "  ", ctx),
        rule="reason-required",
    )


# Replay ----------------------------------------------------------------------------------------


def test_replaying_the_decided_events_rebuilds_the_trust(ctx: Context) -> None:
    decided: list[DomainEvent] = []
    state: Trust | None = None
    decisions: list[Callable[[Any], list[DomainEvent]]] = [
        lambda _: trust.register_trust(TRUST, "Oak Learning Trust", ctx),
        lambda t: trust.add_school(t, OAK, "Oak Primary", "primary", ctx),
        lambda t: trust.add_school(t, ASH, "Ash Academy", None, ctx),
        lambda t: trust.rename_school(t, ASH, "Ash Free School", "converted", ctx),
        lambda t: trust.add_priority(t, PRIORITY, "Reading", "", ASH, ctx),
        lambda t: trust.retire_priority(t, PRIORITY, "achieved", ctx),
    ]
    for decide in decisions:
        events = decide(state)
        for event in events:
            state = trust.evolve(state, event)
        decided.extend(events)

    assert [e.originator_version for e in decided] == [1, 2, 3, 4, 5, 6]
    assert (
        fold(trust.evolve, decided)
        == state
        == Trust(
            TRUST,
            6,
            "Oak Learning Trust",
            registered_at=ctx.now,
            schools={OAK: "Oak Primary", ASH: "Ash Free School"},
            priorities={PRIORITY: Priority(PRIORITY, "Reading", ASH, active=False)},
        )
    )


def test_a_history_that_does_not_start_with_registration_is_refused(
    history: History,
) -> None:
    with pytest.raises(ValueError, match="before TrustRegistered"):
        fold(trust.evolve, [history(SchoolAdded, TRUST, school_id=OAK, name="Oak")])


# Cycles ----------------------------------------------------------------------------------------

CYCLE_A = UUID("10000000-0000-4000-8000-0000000000c1")
CYCLE_B = UUID("10000000-0000-4000-8000-0000000000c2")


@pytest.fixture
def with_a_cycle(history: History, oak_trust: list[DomainEvent]) -> list[DomainEvent]:
    """The trust with its 2025-26 cycle, 1 September 2025 to 31 August 2026."""
    return [
        *oak_trust,
        history(
            CycleAdded,
            TRUST,
            cycle_id=CYCLE_A,
            name="2025-26",
            start_date=date(2025, 9, 1),
            end_date=date(2026, 8, 31),
        ),
    ]


def test_a_cycle_after_the_last_one_is_added_with_its_dates(
    ctx: Context, history: History, with_a_cycle: list[DomainEvent]
) -> None:
    state = accepted(
        trust.evolve,
        given=with_a_cycle,
        when=lambda t: trust.add_cycle(
            t,
            cycle_id=CYCLE_B,
            name=" 2026-27 ",
            start_date=date(2026, 9, 1),
            end_date=date(2027, 8, 31),
            ctx=ctx,
        ),
        then=[
            history.next(
                CycleAdded,
                TRUST,
                cycle_id=CYCLE_B,
                name="2026-27",
                start_date=date(2026, 9, 1),
                end_date=date(2027, 8, 31),
            )
        ],
    )
    assert set(state.cycles) == {CYCLE_A, CYCLE_B}


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 8, 31), date(2027, 8, 30)),  # shares the last day
        (date(2025, 1, 1), date(2025, 9, 1)),  # shares the first day
        (date(2025, 10, 1), date(2026, 3, 1)),  # inside
        (date(2025, 1, 1), date(2026, 12, 31)),  # around
    ],
)
def test_a_cycle_overlapping_another_is_refused_naming_it(
    ctx: Context, with_a_cycle: list[DomainEvent], start: date, end: date
) -> None:
    err = rejected(
        trust.evolve,
        given=with_a_cycle,
        when=lambda t: trust.add_cycle(
            t, cycle_id=CYCLE_B, name="Overlap", start_date=start, end_date=end, ctx=ctx
        ),
        rule="cycles-do-not-overlap",
    )
    assert "2025-26" in str(err) and "Overlap" in str(err)


# Retention -------------------------------------------------------------------------------------


def test_setting_the_retention_policy_records_the_years_and_why(
    ctx: Context, history: History, oak_trust: list[DomainEvent]
) -> None:
    state = accepted(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.set_retention_policy(
            t, erase_after_years=6, reason=" policy ", ctx=ctx
        ),
        then=[history.next(RetentionPolicySet, TRUST, erase_after_years=6, reason="policy")],
    )
    assert state.retention_years == 6


def test_retention_is_between_one_and_a_hundred_years(
    ctx: Context, oak_trust: list[DomainEvent]
) -> None:
    rejected(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.set_retention_policy(t, erase_after_years=0, reason="x", ctx=ctx),
        rule="retention-years-range",
    )


def test_setting_the_same_retention_again_is_refused(
    ctx: Context, oak_trust: list[DomainEvent]
) -> None:
    rejected(
        trust.evolve,
        given=oak_trust,
        when=lambda t: trust.set_retention_policy(t, erase_after_years=None, reason="x", ctx=ctx),
        rule="retention-changed",
    )
