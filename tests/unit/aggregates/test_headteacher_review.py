"""A headteacher's review: a governors' panel advised by an external adviser (issue 11, item 4).

Each rule accepted and refused: only a headteacher has a panel and only a panel appraises a
headteacher; the panel is 2-5 governors of the school's board or the trust board; the adviser
is named with their organisation; objectives wait for the adviser to be consulted.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from uuid import UUID

import pytest

from aggregates import review, trust
from aggregates.base import Context
from aggregates.review import Review, review_id_for
from aggregates.trust import Governor
from events.base import DomainEvent, Role
from events.review import (
    AdviserConsulted,
    ExternalAdviser,
    ObjectiveLinked,
    PanelAppointed,
    PanelMember,
    ReviewStarted,
)
from events.trust import GovernorAppointed, TrustRegistered
from events.values import StaffCategory
from tests.unit.aggregates.gwt import History, accepted, fold, rejected, stamp
from tests.unit.aggregates.review_support import (
    ANN_STAFF,
    BOB_STAFF,
    CLOSED_CYCLE,
    CYCLE,
    OPEN_CYCLE,
    SCHOOL,
    TRUST,
)

HANA = replace(ANN_STAFF, name="Hana Head", category=StaffCategory.HEADTEACHER)
OTHER_SCHOOL = UUID("50000000-0000-4000-8000-0000000000f2")
CHAIR = Governor(UUID("50000000-0000-4000-8000-0000000000e1"), "Grace Chair", SCHOOL)
TRUSTEE = Governor(UUID("50000000-0000-4000-8000-0000000000e2"), "Tom Trustee", None)
ELSEWHERE = Governor(UUID("50000000-0000-4000-8000-0000000000e3"), "Ella Else", OTHER_SCHOOL)
ADVISER = ExternalAdviser(name="Dr Morag Finch", organisation="Northern School Improvement")
HANA_REVIEW = review_id_for(CYCLE, HANA.id)
PANEL = (
    PanelMember(governor_id=CHAIR.id, name=CHAIR.name),
    PanelMember(governor_id=TRUSTEE.id, name=TRUSTEE.name),
)


@pytest.fixture
def panel_review(history: History) -> list[DomainEvent]:
    return [
        history(
            ReviewStarted,
            HANA_REVIEW,
            cycle_id=CYCLE,
            trust_id=TRUST,
            school_id=SCHOOL,
            appraisee_id=HANA.id,
            appraiser_id=CHAIR.id,
        ),
        history(PanelAppointed, HANA_REVIEW, panel=PANEL, adviser=ADVISER),
    ]


def test_a_headteachers_review_starts_with_its_panel_and_adviser(ctx: Context) -> None:
    events = review.start_headteacher_review(
        OPEN_CYCLE,
        HANA,
        panel=[CHAIR, TRUSTEE],
        adviser=ExternalAdviser(name=" Dr Morag Finch ", organisation=ADVISER.organisation),
        ctx=ctx,
    )
    assert events == [
        stamp(
            ReviewStarted,
            HANA_REVIEW,
            1,
            ctx,
            cycle_id=CYCLE,
            trust_id=TRUST,
            school_id=SCHOOL,
            appraisee_id=HANA.id,
            appraiser_id=CHAIR.id,
        ),
        stamp(PanelAppointed, HANA_REVIEW, 2, ctx, panel=PANEL, adviser=ADVISER),
    ]
    state = fold(review.evolve, events)
    assert isinstance(state, Review)
    assert state.panel_ids == {CHAIR.id, TRUSTEE.id} and state.adviser == ADVISER


def test_a_headteacher_cannot_be_given_a_member_of_staff_as_appraiser(ctx: Context) -> None:
    with pytest.raises(Exception) as caught:
        review.start_review(OPEN_CYCLE, HANA, BOB_STAFF, ctx)
    assert getattr(caught.value, "rule", None) == "headteacher-appraised-by-panel"
    assert "governors' panel" in str(caught.value)


def test_a_headteachers_appraiser_cannot_be_changed_to_a_member_of_staff(
    ctx: Context, panel_review: list[DomainEvent]
) -> None:
    rejected(
        review.evolve,
        given=panel_review,
        when=lambda r: review.change_appraiser(r, OPEN_CYCLE, HANA, BOB_STAFF, "cover", ctx),
        rule="headteacher-appraised-by-panel",
    )


def test_only_a_headteacher_has_a_panel(ctx: Context) -> None:
    with pytest.raises(Exception) as caught:
        review.start_headteacher_review(
            OPEN_CYCLE, ANN_STAFF, panel=[CHAIR, TRUSTEE], adviser=ADVISER, ctx=ctx
        )
    assert getattr(caught.value, "rule", None) == "panel-for-headteachers"


@pytest.mark.parametrize(
    "panel",
    [
        [CHAIR],
        [CHAIR, CHAIR],
        [CHAIR, TRUSTEE, *(replace(TRUSTEE, id=UUID(int=i)) for i in range(4))],
    ],
    ids=["one", "the same twice", "six"],
)
def test_a_panel_is_two_to_five_different_governors(ctx: Context, panel: list[Governor]) -> None:
    with pytest.raises(Exception) as caught:
        review.start_headteacher_review(OPEN_CYCLE, HANA, panel=panel, adviser=ADVISER, ctx=ctx)
    assert getattr(caught.value, "rule", None) == "panel-size"


def test_a_governor_of_another_schools_board_is_not_on_the_panel(ctx: Context) -> None:
    with pytest.raises(Exception) as caught:
        review.start_headteacher_review(
            OPEN_CYCLE, HANA, panel=[CHAIR, ELSEWHERE], adviser=ADVISER, ctx=ctx
        )
    assert getattr(caught.value, "rule", None) == "governor-on-board"
    assert "Ella Else" in str(caught.value)


@pytest.mark.parametrize(
    "adviser",
    [ExternalAdviser(name=" ", organisation="NSI"), ExternalAdviser(name="Dr F", organisation="")],
)
def test_the_external_adviser_is_named_with_their_organisation(
    ctx: Context, adviser: ExternalAdviser
) -> None:
    with pytest.raises(Exception) as caught:
        review.start_headteacher_review(
            OPEN_CYCLE, HANA, panel=[CHAIR, TRUSTEE], adviser=adviser, ctx=ctx
        )
    assert getattr(caught.value, "rule", None) == "adviser-named"


def test_objectives_wait_until_the_panel_has_consulted_the_adviser(
    ctx: Context, history: History, panel_review: list[DomainEvent]
) -> None:
    objective_id = UUID("50000000-0000-4000-8000-0000000000b9")
    rejected(
        review.evolve,
        given=panel_review,
        when=lambda r: review.link_objective(r, OPEN_CYCLE, objective_id, ctx),
        rule="adviser-consulted",
    )
    consulted = accepted(
        review.evolve,
        given=panel_review,
        when=lambda r: review.consult_adviser(
            r, OPEN_CYCLE, date(2025, 9, 20), " Reviewed the data ", ctx
        ),
        then=[
            history.next(
                AdviserConsulted,
                HANA_REVIEW,
                held_on=date(2025, 9, 20),
                summary="Reviewed the data",
            )
        ],
    )
    assert consulted.adviser_consulted_on == date(2025, 9, 20)
    linked = review.link_objective(consulted, OPEN_CYCLE, objective_id, ctx)
    assert isinstance(linked[0], ObjectiveLinked)


def test_only_a_headteachers_review_has_an_adviser_to_consult(
    ctx: Context, history: History
) -> None:
    started = [
        history(
            ReviewStarted,
            review_id_for(CYCLE, ANN_STAFF.id),
            cycle_id=CYCLE,
            trust_id=TRUST,
            school_id=SCHOOL,
            appraisee_id=ANN_STAFF.id,
            appraiser_id=BOB_STAFF.id,
        )
    ]
    rejected(
        review.evolve,
        given=started,
        when=lambda r: review.consult_adviser(r, OPEN_CYCLE, date(2025, 9, 20), "x", ctx),
        rule="panel-review",
    )


def test_a_consultation_has_a_summary_and_happens_while_the_cycle_is_open(
    ctx: Context, panel_review: list[DomainEvent]
) -> None:
    rejected(
        review.evolve,
        given=panel_review,
        when=lambda r: review.consult_adviser(r, OPEN_CYCLE, date(2025, 9, 20), "  ", ctx),
        rule="consultation-summary-required",
    )
    rejected(
        review.evolve,
        given=panel_review,
        when=lambda r: review.consult_adviser(r, CLOSED_CYCLE, date(2025, 9, 20), "x", ctx),
        rule="cycle-open",
    )


# Governors on the trust ---------------------------------------------------------------------


@pytest.fixture
def a_trust(history: History) -> list[DomainEvent]:
    return [history(TrustRegistered, TRUST, name="Oak Learning Trust")]


def test_a_governor_is_appointed_to_the_trust_board(
    ctx: Context, history: History, a_trust: list[DomainEvent]
) -> None:
    state = accepted(
        trust.evolve,
        given=a_trust,
        when=lambda t: trust.appoint_governor(
            t, governor_id=TRUSTEE.id, name=" Tom Trustee ", school_id=None, ctx=ctx
        ),
        then=[
            history.next(
                GovernorAppointed, TRUST, governor_id=TRUSTEE.id, name="Tom Trustee", school_id=None
            )
        ],
    )
    assert state.governors[TRUSTEE.id] == TRUSTEE


def test_a_governor_needs_a_name_a_school_of_the_trust_and_is_appointed_once(
    ctx: Context, history: History, a_trust: list[DomainEvent]
) -> None:
    rejected(
        trust.evolve,
        given=a_trust,
        when=lambda t: trust.appoint_governor(
            t, governor_id=CHAIR.id, name=" ", school_id=None, ctx=ctx
        ),
        rule="governor-name-required",
    )
    rejected(
        trust.evolve,
        given=a_trust,
        when=lambda t: trust.appoint_governor(
            t, governor_id=CHAIR.id, name="Grace", school_id=OTHER_SCHOOL, ctx=ctx
        ),
        rule="school-in-trust",
    )
    appointed = history(GovernorAppointed, TRUST, governor_id=CHAIR.id, name="Grace")
    rejected(
        trust.evolve,
        given=[*a_trust, appointed],
        when=lambda t: trust.appoint_governor(
            t, governor_id=CHAIR.id, name="Grace", school_id=None, ctx=ctx
        ),
        rule="governor-exists",
    )


def test_the_governor_role_exists_for_tokens_and_policy() -> None:
    assert Role("governor") is Role.GOVERNOR
