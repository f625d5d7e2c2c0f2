"""The AppraisalCycle aggregate: scheduling, opening, closing, reopening and its policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from aggregates import cycle
from aggregates.base import Context
from aggregates.cycle import AppraisalCycle, Closing, CycleDates, CycleStatus, cycle_id_for
from aggregates.errors import RuleBroken
from events.base import DomainEvent
from events.cycle import (
    CycleClosed,
    CycleOpened,
    CycleReopened,
    CycleScheduled,
    PolicyChanged,
    UnfinishedReview,
)
from events.values import CyclePolicy
from tests.unit.aggregates.gwt import History, accepted, fold, rejected, stamp

TRUST = UUID("30000000-0000-4000-8000-000000000001")
CYCLE = cycle_id_for(TRUST, "2025-26")
DATES = CycleDates(
    start_date=date(2025, 9, 1),
    end_date=date(2026, 8, 31),
    objective_setting_deadline=date(2025, 10, 31),
    mid_year_window_start=date(2026, 2, 1),
    mid_year_window_end=date(2026, 3, 31),
    end_year_deadline=date(2026, 7, 15),
)
POLICY = CyclePolicy(max_objectives=3, appeal_window_days=10)


def scheduled_event(history: History) -> DomainEvent:
    return history(
        CycleScheduled,
        CYCLE,
        trust_id=TRUST,
        name="2025-26",
        start_date=DATES.start_date,
        end_date=DATES.end_date,
        objective_setting_deadline=DATES.objective_setting_deadline,
        mid_year_window_start=DATES.mid_year_window_start,
        mid_year_window_end=DATES.mid_year_window_end,
        end_year_deadline=DATES.end_year_deadline,
        policy=POLICY,
    )


@pytest.fixture
def scheduled(history: History) -> list[DomainEvent]:
    return [scheduled_event(history)]


@pytest.fixture
def opened(history: History, scheduled: list[DomainEvent]) -> list[DomainEvent]:
    return [*scheduled, history(CycleOpened, CYCLE)]


@pytest.fixture
def closed(history: History, opened: list[DomainEvent]) -> list[DomainEvent]:
    return [*opened, history(CycleClosed, CYCLE)]


# Scheduling ------------------------------------------------------------------------------------


def test_scheduling_a_cycle_records_its_dates_and_policy_under_an_id_from_trust_and_name(
    ctx: Context,
) -> None:
    state = accepted(
        cycle.evolve,
        given=[],
        when=lambda _: cycle.schedule_cycle(TRUST, " 2025-26 ", DATES, POLICY, ctx),
        then=[
            stamp(
                CycleScheduled,
                CYCLE,
                1,
                ctx,
                trust_id=TRUST,
                name="2025-26",
                start_date=DATES.start_date,
                end_date=DATES.end_date,
                objective_setting_deadline=DATES.objective_setting_deadline,
                mid_year_window_start=DATES.mid_year_window_start,
                mid_year_window_end=DATES.mid_year_window_end,
                end_year_deadline=DATES.end_year_deadline,
                policy=POLICY,
            )
        ],
    )
    assert state == AppraisalCycle(CYCLE, 1, TRUST, "2025-26", DATES, POLICY)
    assert state.status is CycleStatus.SCHEDULED
    assert not state.is_open


def test_a_cycle_id_is_the_same_for_the_same_trust_and_name_whatever_the_spacing_or_case() -> None:
    assert cycle_id_for(TRUST, " 2025-26 ") == cycle_id_for(TRUST, "2025-26") == CYCLE
    assert cycle_id_for(TRUST, "Year A") == cycle_id_for(TRUST, "year a")
    assert cycle_id_for(UUID(int=1), "2025-26") != CYCLE


def test_a_cycle_needs_a_name(ctx: Context) -> None:
    rejected(
        cycle.evolve,
        given=[],
        when=lambda _: cycle.schedule_cycle(TRUST, "  ", DATES, POLICY, ctx),
        rule="cycle-name-required",
    )


def test_a_cycle_must_end_after_it_starts(ctx: Context) -> None:
    dates = replace(DATES, end_date=DATES.start_date)
    rejected(
        cycle.evolve,
        given=[],
        when=lambda _: cycle.schedule_cycle(TRUST, "2025-26", dates, POLICY, ctx),
        rule="cycle-dates",
    )


def test_a_cycle_lasts_at_most_400_days(ctx: Context) -> None:
    longest = replace(DATES, end_date=DATES.start_date + timedelta(days=cycle.MAX_CYCLE_DAYS))
    cycle.schedule_cycle(TRUST, "2025-26", longest, POLICY, ctx)  # the limit itself is fine
    too_long = replace(longest, end_date=longest.end_date + timedelta(days=1))
    rejected(
        cycle.evolve,
        given=[],
        when=lambda _: cycle.schedule_cycle(TRUST, "2025-26", too_long, POLICY, ctx),
        rule="cycle-length",
    )


@pytest.mark.parametrize(
    "dates",
    [
        replace(DATES, objective_setting_deadline=DATES.start_date),
        replace(DATES, mid_year_window_start=date(2025, 10, 30)),
        replace(DATES, mid_year_window_end=date(2026, 1, 31)),
        replace(DATES, end_year_deadline=DATES.mid_year_window_end),
        replace(DATES, end_year_deadline=date(2026, 9, 1), end_date=date(2026, 8, 31)),
    ],
    ids=[
        "deadline on the first day",
        "mid-year before the deadline",
        "mid-year window ends before it starts",
        "end-of-year deadline in the mid-year window",
        "end-of-year deadline after the end",
    ],
)
def test_a_cycles_milestones_must_run_in_order(ctx: Context, dates: CycleDates) -> None:
    rejected(
        cycle.evolve,
        given=[],
        when=lambda _: cycle.schedule_cycle(TRUST, "2025-26", dates, POLICY, ctx),
        rule="cycle-milestones",
    )


@pytest.mark.parametrize(
    "policy",
    [
        {"max_objectives": 0},
        {"max_objectives": 11},
        {"appeal_window_days": 0},
        {"appeal_window_days": 91},
    ],
)
def test_a_cycle_policy_keeps_its_limits_in_range(policy: dict[str, int]) -> None:
    with pytest.raises(ValidationError, match=next(iter(policy))):
        CyclePolicy(**policy)


# Opening, closing, reopening -------------------------------------------------------------------


def test_opening_a_scheduled_cycle(
    ctx: Context, history: History, scheduled: list[DomainEvent]
) -> None:
    state = accepted(
        cycle.evolve,
        given=scheduled,
        when=lambda c: cycle.open_cycle(c, ctx),
        then=[history.next(CycleOpened, CYCLE)],
    )
    assert state.status is CycleStatus.OPEN
    assert state.is_open
    cycle.require_open(state)


def test_only_a_scheduled_cycle_can_be_opened(ctx: Context, opened: list[DomainEvent]) -> None:
    rejected(
        cycle.evolve,
        given=opened,
        when=lambda c: cycle.open_cycle(c, ctx),
        rule="cycle-scheduled",
    )


def test_a_closed_cycle_is_reopened_not_opened(ctx: Context, closed: list[DomainEvent]) -> None:
    rejected(
        cycle.evolve,
        given=closed,
        when=lambda c: cycle.open_cycle(c, ctx),
        rule="cycle-scheduled",
    )


def test_closing_an_open_cycle(ctx: Context, history: History, opened: list[DomainEvent]) -> None:
    state = accepted(
        cycle.evolve,
        given=opened,
        when=lambda c: cycle.close_cycle(c, unfinished=(), reason=None, ctx=ctx),
        then=[history.next(CycleClosed, CYCLE)],
    )
    assert state.status is CycleStatus.CLOSED


UNFINISHED = (
    UnfinishedReview(
        review_id=UUID("30000000-0000-4000-8000-0000000000e1"),
        school_id=UUID("30000000-0000-4000-8000-0000000000a1"),
        appraisee_id=UUID("30000000-0000-4000-8000-0000000000b1"),
        appraisee_name="Ada Lovelace",
        left_at="report not issued",
    ),
)


def test_closing_with_every_review_finished_needs_no_reason(
    ctx: Context, history: History, opened: list[DomainEvent]
) -> None:
    state = accepted(
        cycle.evolve,
        given=opened,
        when=lambda c: cycle.close_cycle(c, unfinished=(), reason=None, ctx=ctx),
        then=[history.next(CycleClosed, CYCLE, reason=None, unfinished=())],
    )
    assert state.last_closing is not None and state.last_closing.unfinished == ()


def test_closing_with_reviews_unfinished_and_no_reason_is_refused_naming_them(
    ctx: Context, opened: list[DomainEvent]
) -> None:
    for blank in (None, "   "):

        def close(c: AppraisalCycle, r: str | None = blank) -> list[DomainEvent]:
            return cycle.close_cycle(c, unfinished=UNFINISHED, reason=r, ctx=ctx)

        err = rejected(
            cycle.evolve, given=opened, when=close, rule="unfinished-reviews-need-reason"
        )
        assert "Ada Lovelace" in str(err)


def test_closing_with_reviews_unfinished_records_them_and_the_reason(
    ctx: Context, history: History, opened: list[DomainEvent]
) -> None:
    state = accepted(
        cycle.evolve,
        given=opened,
        when=lambda c: cycle.close_cycle(
            c, unfinished=UNFINISHED, reason=" long-term absence ", ctx=ctx
        ),
        then=[history.next(CycleClosed, CYCLE, reason="long-term absence", unfinished=UNFINISHED)],
    )
    assert state.status is CycleStatus.CLOSED
    assert state.last_closing is not None
    assert state.last_closing.reason == "long-term absence"
    assert state.last_closing.unfinished == UNFINISHED


def test_a_closed_event_stored_before_version_2_reads_as_closed_with_nothing_left() -> None:
    old = {"reason_missing": True}
    assert CycleClosed.upcasters[1](old) == {**old, "reason": None, "unfinished": []}


def test_only_an_open_cycle_can_be_closed(ctx: Context, scheduled: list[DomainEvent]) -> None:
    rejected(
        cycle.evolve,
        given=scheduled,
        when=lambda c: cycle.close_cycle(c, unfinished=(), reason=None, ctx=ctx),
        rule="cycle-open",
    )


def test_reopening_a_closed_cycle_records_why_and_opens_it(
    ctx: Context, history: History, closed: list[DomainEvent]
) -> None:
    state = accepted(
        cycle.evolve,
        given=closed,
        when=lambda c: cycle.reopen_cycle(c, " late appeal ", ctx),
        then=[history.next(CycleReopened, CYCLE, reason="late appeal")],
    )
    assert state.is_open


def test_only_a_closed_cycle_can_be_reopened(ctx: Context, opened: list[DomainEvent]) -> None:
    rejected(
        cycle.evolve,
        given=opened,
        when=lambda c: cycle.reopen_cycle(c, "why not", ctx),
        rule="cycle-closed",
    )


def test_reopening_a_cycle_needs_a_reason(ctx: Context, closed: list[DomainEvent]) -> None:
    rejected(
        cycle.evolve,
        given=closed,
        when=lambda c: cycle.reopen_cycle(c, "", ctx),
        rule="reason-required",
    )


@pytest.mark.parametrize("status", ["scheduled", "closed"])
def test_work_in_a_cycle_needs_it_open(
    history: History,
    scheduled: list[DomainEvent],
    status: str,
) -> None:
    given = scheduled
    if status == "closed":
        given = [*scheduled, history(CycleOpened, CYCLE), history(CycleClosed, CYCLE)]
    state = fold(cycle.evolve, given)
    assert state is not None
    with pytest.raises(RuleBroken) as caught:
        cycle.require_open(state)
    assert caught.value.rule == "cycle-open"
    assert status in caught.value.message


# Policy ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["scheduled", "opened"])
def test_changing_the_policy_of_a_cycle_not_yet_closed_records_old_and_new(
    ctx: Context, history: History, request: pytest.FixtureRequest, fixture: str
) -> None:
    given: list[DomainEvent] = request.getfixturevalue(fixture)
    new = CyclePolicy(max_objectives=5, appeal_window_days=20)
    state = accepted(
        cycle.evolve,
        given=given,
        when=lambda c: cycle.change_policy(c, new, " trust board decision ", ctx),
        then=[
            history.next(
                PolicyChanged,
                CYCLE,
                old_policy=POLICY,
                new_policy=new,
                reason="trust board decision",
            )
        ],
    )
    assert state.policy == new


def test_the_policy_of_a_closed_cycle_cannot_change(
    ctx: Context, closed: list[DomainEvent]
) -> None:
    rejected(
        cycle.evolve,
        given=closed,
        when=lambda c: cycle.change_policy(c, CyclePolicy(max_objectives=5), "late", ctx),
        rule="cycle-not-closed",
    )


def test_changing_the_policy_to_the_same_policy_is_refused(
    ctx: Context, opened: list[DomainEvent]
) -> None:
    same = CyclePolicy(max_objectives=3, appeal_window_days=10)
    rejected(
        cycle.evolve,
        given=opened,
        when=lambda c: cycle.change_policy(c, same, "no change", ctx),
        rule="policy-changed",
    )


def test_changing_the_policy_needs_a_reason(ctx: Context, opened: list[DomainEvent]) -> None:
    rejected(
        cycle.evolve,
        given=opened,
        when=lambda c: cycle.change_policy(c, CyclePolicy(max_objectives=4), " ", ctx),
        rule="reason-required",
    )


# Replay ----------------------------------------------------------------------------------------


def test_replaying_the_decided_events_rebuilds_the_cycle(ctx: Context) -> None:
    wider = CyclePolicy(max_objectives=4, appeal_window_days=15)
    decisions: list[Callable[[Any], list[DomainEvent]]] = [
        lambda _: cycle.schedule_cycle(TRUST, "2025-26", DATES, POLICY, ctx),
        lambda c: cycle.change_policy(c, wider, "consultation", ctx),
        lambda c: cycle.open_cycle(c, ctx),
        lambda c: cycle.close_cycle(c, unfinished=(), reason=None, ctx=ctx),
        lambda c: cycle.reopen_cycle(c, "late appeal", ctx),
    ]
    state: AppraisalCycle | None = None
    decided: list[DomainEvent] = []
    for decide in decisions:
        events = decide(state)
        for event in events:
            state = cycle.evolve(state, event)
        decided.extend(events)

    assert (
        fold(cycle.evolve, decided)
        == state
        == AppraisalCycle(
            CYCLE,
            5,
            TRUST,
            "2025-26",
            DATES,
            wider,
            CycleStatus.OPEN,
            last_closing=Closing(ctx.now, None, ()),
        )
    )


def test_a_history_that_does_not_start_with_scheduling_is_refused(history: History) -> None:
    with pytest.raises(ValueError, match="before CycleScheduled"):
        fold(cycle.evolve, [history(CycleOpened, CYCLE)])
