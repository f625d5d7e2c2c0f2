"""Analysts' input: a person's names never reach them, in any staff event."""

from __future__ import annotations

from replay.pseudonyms import Pseudonymiser


def test_a_change_of_name_reaches_analysts_without_either_name() -> None:
    p = Pseudonymiser(b"key")
    out = p.data(
        "staff_member",
        {
            "old_name": "Ann Lee",
            "new_name": "Ann Shah",
            "preferred_name": "Annie",
            "reason": "Married",
        },
    )
    assert out == {"old_name": None, "new_name": None, "preferred_name": None, "reason": None}


def test_a_school_keeps_its_old_and_new_names() -> None:
    p = Pseudonymiser(b"key")
    out = p.data("trust", {"school_id": "s", "old_name": "Oak", "new_name": "Oak Academy"})
    assert out["old_name"] == "Oak" and out["new_name"] == "Oak Academy"


def test_a_registration_reaches_analysts_without_name_preferred_name_or_email() -> None:
    p = Pseudonymiser(b"key")
    out = p.data(
        "staff_member",
        {"name": "Ann Lee", "preferred_name": "Annie", "email": "a@x.org", "job_title": "Teacher"},
    )
    assert out["name"] is None and out["preferred_name"] is None and out["email"] is None
    assert out["job_title"] == "Teacher"
