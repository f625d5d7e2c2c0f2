"""Every query endpoint against every role and scope: allowed, or a 404 that does not leak
whether the record exists; read-your-writes with ?min_position=; paging."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from fastapi.testclient import TestClient

from appraisals.wiring import Container
from commands import messages as m
from commands.principal import Principal
from events.base import Role
from testkit.scenario import Org, build_org
from tests.api.conftest import Auth

pytestmark = pytest.mark.integration


@pytest.fixture
def world(api_container: Container) -> tuple[Org, Org, uuid.UUID, int]:
    org = build_org(api_container.commands)
    other = build_org(api_container.commands, name="Rowan Trust")
    result = api_container.commands.execute(
        m.DraftObjective(
            review_id=org.review_id,
            title="Develop outdoor learning",
            success_criteria=["Weekly outdoor sessions for Reception"],
            due_date=date(2026, 6, 1),
        ),
        org.appraiser,
    )
    assert result.position is not None
    return org, other, result.aggregate_id, result.position


def _paths(org: Org, objective_id: uuid.UUID) -> dict[str, str]:
    return {
        "objective": f"/v1/objectives/{objective_id}",
        "history": f"/v1/objectives/{objective_id}/history",
        "review": f"/v1/reviews/{org.review_id}",
        "appraisal": f"/v1/staff/{org.appraisee_id}/cycles/{org.cycle_id}/appraisal",
        "school summary": f"/v1/schools/{org.school_id}/cycles/{org.cycle_id}/summary",
        "trust summary": f"/v1/trusts/{org.trust_id}/cycles/{org.cycle_id}/summary",
        "aggregate": f"/v1/audit/aggregates/{objective_id}",
    }


# Who may read each view; everyone else gets a 404 (or 403 for the audit log).
RECORD = {"appraisee", "appraiser", "school leader", "trust leader", "auditor", "admin"}
SUMMARY_SCHOOL = {"school leader", "trust leader", "auditor", "admin", "analyst"}
SUMMARY_TRUST = {"trust leader", "auditor", "admin", "analyst"}
ALLOWED = {
    "objective": RECORD,
    "history": RECORD,
    "review": RECORD,
    "appraisal": RECORD,
    "school summary": SUMMARY_SCHOOL,
    "trust summary": SUMMARY_TRUST,
    "aggregate": RECORD,
}


def _principals(org: Org, other: Org) -> dict[str, Principal]:
    return {
        "appraisee": org.appraisee,
        "appraiser": org.appraiser,
        "unrelated staff": Principal(uuid.uuid4(), Role.STAFF, trust_id=org.trust_id),
        "school leader": org.school_leader,
        "leader of another school": org.other_school_leader,
        "trust leader": org.trust_leader,
        "auditor": org.auditor,
        "analyst": org.analyst,
        "admin": org.admin,
        "trust leader of another trust": other.trust_leader,
        "auditor of another trust": other.auditor,
        "admin of another trust": other.admin,
    }


def test_every_query_answers_its_readers_and_hides_from_everyone_else(
    client: TestClient, auth: Auth, world: tuple[Org, Org, uuid.UUID, int]
) -> None:
    org, other, objective_id, position = world
    principals = _principals(org, other)
    for view, path in _paths(org, objective_id).items():
        # The aggregate endpoint reads the event store itself: it takes no min_position (and
        # an unknown parameter is a 422).
        fresh = path if view == "aggregate" else f"{path}?min_position={position}"
        assert client.get(fresh).status_code == 401, view
        missing_path = path.replace(str(objective_id), str(uuid.uuid4())).replace(
            str(org.cycle_id), str(uuid.uuid4())
        )
        for who, principal in principals.items():
            response = client.get(fresh, headers=auth(principal))
            if who in ALLOWED[view]:
                assert response.status_code == 200, (view, who, response.json())
            else:
                assert response.status_code == 404, (view, who, response.status_code)
                # The same answer as for a record that does not exist at all.
                absent = client.get(missing_path, headers=auth(principal))
                assert absent.status_code == 404
                assert absent.json()["title"] == response.json()["title"]


def test_the_audit_log_is_for_auditors_leaders_and_admins_of_the_trust(
    client: TestClient, auth: Auth, world: tuple[Org, Org, uuid.UUID, int]
) -> None:
    org, _other, _objective_id, position = world
    for principal in (org.auditor, org.trust_leader, org.admin):
        r = client.get(
            f"/v1/audit/events?min_position={position}&limit=500", headers=auth(principal)
        )
        assert r.status_code == 200
        trusts = {e["trust_id"] for e in r.json()["items"]}
        assert trusts == {str(org.trust_id)}  # never another trust's events
    for principal in (org.appraisee, org.school_leader, org.analyst):
        assert client.get("/v1/audit/events", headers=auth(principal)).status_code == 403


def test_audit_log_filters_and_cursor_pages(
    client: TestClient, auth: Auth, world: tuple[Org, Org, uuid.UUID, int]
) -> None:
    org, _other, objective_id, position = world
    h = auth(org.auditor)
    base = f"/v1/audit/events?min_position={position}"
    by_aggregate = client.get(f"{base}&aggregate_id={objective_id}", headers=h).json()
    assert [e["event_type"] for e in by_aggregate["items"]] == ["ObjectiveDrafted"]
    by_actor = client.get(f"{base}&actor_id={org.appraiser_id}", headers=h).json()["items"]
    assert by_actor and all(e["actor_id"] == str(org.appraiser_id) for e in by_actor)
    by_type = client.get(f"{base}&type=SchoolAdded", headers=h).json()["items"]
    assert len(by_type) == 2
    seen: list[int] = []
    cursor = None
    while True:
        url = f"{base}&limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=h).json()
        seen += [e["position"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = client.get(f"{base}&limit=500", headers=h).json()["items"]
    assert seen == [e["position"] for e in everything] and seen == sorted(seen)
    bad = client.get(f"{base}&cursor=!!notours", headers=h)
    assert bad.status_code == 400


def test_a_query_waits_for_its_own_write_and_says_so_when_it_cannot(
    client: TestClient, api_container: Container, auth: Auth, world: tuple[Org, Org, uuid.UUID, int]
) -> None:
    org, _other, objective_id, _position = world
    revised = client.post(
        f"/v1/objectives/{objective_id}/revisions",
        json={"title": "Develop outdoor learning across EYFS"},
        headers=auth(org.appraiser),
    ).json()
    now = client.get(
        f"/v1/objectives/{objective_id}?min_position={revised['position']}",
        headers=auth(org.appraisee),
    ).json()
    assert now["title"] == "Develop outdoor learning across EYFS"
    beyond = client.get(
        f"/v1/objectives/{objective_id}?min_position={revised['position'] + 10_000}",
        headers=auth(org.appraisee),
    )
    assert beyond.status_code == 422 and beyond.json()["rule"] == "min-position-exists"
    # A position that exists but that the read model has not reached: a clear 503, not stale
    # data. The runner is held back by taking the projection's lock.
    settings = api_container.settings
    old_timeout = settings.read_your_writes_timeout
    object.__setattr__(settings, "read_your_writes_timeout", 0.2)
    runner = api_container.notifier
    try:
        runner.stop()  # type: ignore[union-attr]
        later = client.post(
            f"/v1/objectives/{objective_id}/revisions",
            json={"title": "Outdoor learning in EYFS and KS1"},
            headers=auth(org.appraiser),
        ).json()
        behind = client.get(
            f"/v1/objectives/{objective_id}?min_position={later['position']}",
            headers=auth(org.appraisee),
        )
    finally:
        object.__setattr__(settings, "read_your_writes_timeout", old_timeout)
        api_container.projections.catch_up()
        runner.start()  # type: ignore[union-attr]
    assert behind.status_code == 503
    assert behind.json()["type"].endswith("/read-model-behind")
    assert behind.headers["retry-after"] == "1"


def test_objective_changes_over_a_cycle_by_school_and_date_for_leaders_only(
    client: TestClient, api_container: Container, auth: Auth, world: tuple[Org, Org, uuid.UUID, int]
) -> None:
    org, other, objective_id, _position = world
    run = api_container.commands.execute
    for title in ("Outdoor learning, phase 1", "Outdoor learning, phases 1 and 2"):
        last = run(m.ReviseObjective(objective_id=objective_id, title=title), org.appraiser)
    base = f"/v1/cycles/{org.cycle_id}/objective-changes?min_position={last.position}"
    everything = client.get(f"{base}&limit=500", headers=auth(org.trust_leader)).json()["items"]
    titles = [c["new_value"] for c in everything if c["field"] == "title"]
    assert titles == [
        "Develop outdoor learning",
        "Outdoor learning, phase 1",
        "Outdoor learning, phases 1 and 2",
    ]
    assert {c["school_id"] for c in everything} == {str(org.school_id)}
    # Paging with the cursor gives the same rows in the same order.
    paged: list[tuple[int, int]] = []
    cursor = None
    while True:
        page = client.get(
            f"{base}&limit=2" + (f"&cursor={cursor}" if cursor else ""),
            headers=auth(org.auditor),
        ).json()
        paged += [(c["position"], c["seq"]) for c in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert paged == [(c["position"], c["seq"]) for c in everything]
    # The school's leader sees their school; a date range before the changes is empty.
    mine = client.get(f"{base}&school_id={org.school_id}", headers=auth(org.school_leader))
    assert mine.status_code == 200 and len(mine.json()["items"]) == len(everything)
    early = client.get(f"{base}&until=2000-01-01T00:00:00Z", headers=auth(org.trust_leader))
    assert early.json()["items"] == []
    for principal, query in (
        (org.school_leader, ""),  # must name a school they lead
        (org.other_school_leader, f"&school_id={org.school_id}"),
        (org.appraisee, ""),
        (org.analyst, ""),
        (other.trust_leader, ""),
    ):
        assert client.get(base + query, headers=auth(principal)).status_code == 404
