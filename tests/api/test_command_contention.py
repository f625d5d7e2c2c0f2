"""The command contracts under contention and for commands that write several events."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from fastapi.testclient import TestClient

from appraisals.wiring import Container
from commands import messages as m
from testkit.scenario import Org
from tests.api.conftest import Auth


def _draft(n: int, org: Org) -> dict[str, Any]:
    return {
        "review_id": str(org.review_id),
        "title": f"Objective {n}",
        "success_criteria": ["Done well"],
        "due_date": "2026-07-10",
    }


def test_twelve_simultaneous_drafts_give_five_objectives_and_seven_422s_naming_the_limit(
    client: TestClient, auth: Auth, org: Org, api_container: Container
) -> None:
    api_container.commands.execute(
        m.ChangeCyclePolicy(
            cycle_id=org.cycle_id, max_objectives=5, appeal_window_days=10, reason="Policy"
        ),
        org.admin,
    )
    barrier = threading.Barrier(12)
    answers: list[Any] = []

    def draft(n: int) -> None:
        barrier.wait()
        r = client.post("/v1/objectives", json=_draft(n, org), headers=auth(org.appraiser))
        answers.append((r.status_code, r.json()))

    threads = [threading.Thread(target=draft, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    codes = Counter(code for code, _ in answers)
    assert codes == {201: 5, 422: 7}, answers
    refused = [body for code, body in answers if code == 422]
    assert all(body["rule"] == "max-objectives" for body in refused)
    assert all("at most 5" in body["detail"] for body in refused)


def test_a_command_answers_with_the_position_of_the_last_event_it_wrote(
    client: TestClient, auth: Auth, org: Org, api_container: Container
) -> None:
    r = client.post("/v1/objectives", json=_draft(1, org), headers=auth(org.appraiser))
    assert r.status_code == 201, r.text
    # Drafting writes ObjectiveDrafted and then the review's ObjectiveLinked.
    assert r.json()["position"] == api_container.store.recorder.max_notification_id()
    linked = api_container.store.store_recorder.position_of(org.review_id, 2)
    assert r.json()["position"] == linked
