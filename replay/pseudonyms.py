"""Pseudonymised events for analysts: stable keyed hashes for people, no names, no free text.

People and their records — staff, reviews (whose ids derive from a person's) and objectives,
and every actor — are replaced by ``p-`` plus 16 hex digits of HMAC-SHA256 under
``Settings.pseudonym_key``: the same person is the same pseudonym in every event and every
run with that key, so analysts can count and join, but cannot tell who it is without the key.
The organisation stays readable: trusts, schools, cycles and priorities keep their ids, and
schools and trusts their names. Staff names and emails, and every free-text field (notes,
comments, reasons, titles, criteria...), are withheld (``None``).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

# Ids of the organisation, kept as they are.
ORGANISATION_IDS = frozenset(
    {"trust_id", "school_id", "previous_school_id", "cycle_id", "to_cycle_id", "priority_id"}
)
ORGANISATION_AGGREGATES = frozenset({"trust", "appraisal_cycle"})
# Fields that may name or describe a person: withheld.
FREE_TEXT = frozenset(
    {
        "email",
        "notes",
        "note",
        "comment",
        "statement",
        "grounds",
        "text",
        "summary",
        "support",
        "evidence",
        "development_needs",
        "reason",
        "description",
        "title",
        "success_criteria",
    }
)
# A member of staff's names: withheld from staff events.
PERSON_NAMES = frozenset({"name", "preferred_name", "old_name", "new_name"})
# Revised fields whose old and new values are not free text.
PLAIN_FIELDS = frozenset({"due_date", "standards", "priority_id"})


class Pseudonymiser:
    """Keyed, stable pseudonyms for people; redaction of names and free text."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._seen: dict[str, str] = {}

    def __call__(self, value: str) -> str:
        known = self._seen.get(value)
        if known is None:
            digest = hmac.new(self._key, value.lower().encode(), hashlib.sha256).hexdigest()
            known = self._seen[value] = "p-" + digest[:16]
        return known

    def aggregate(self, aggregate_type: str, aggregate_id: str) -> str:
        return aggregate_id if aggregate_type in ORGANISATION_AGGREGATES else self(aggregate_id)

    def data(self, aggregate_type: str, data: dict[str, Any]) -> dict[str, Any]:
        """An event's own fields with people pseudonymised and personal text withheld."""
        out = self._mapping(data)
        if aggregate_type == "staff_member":
            # A person's names, now and before (a school's old and new names stay).
            for key in PERSON_NAMES & out.keys():
                out[key] = None
        if "changes" in out and isinstance(out["changes"], list):
            out["changes"] = [self._change(c) for c in data["changes"]]
        return out

    def _change(self, change: dict[str, Any]) -> dict[str, Any]:
        if change.get("field") in PLAIN_FIELDS:
            return dict(change)
        return {**change, "old": None, "new": None}

    def _mapping(self, data: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in FREE_TEXT:
                out[key] = None
            elif key in ORGANISATION_IDS:
                out[key] = value
            elif key.endswith("_id") and isinstance(value, str):
                out[key] = self(value)
            elif isinstance(value, dict):
                out[key] = self._mapping(value)
            elif isinstance(value, list):
                out[key] = [self._mapping(v) if isinstance(v, dict) else v for v in value]
            else:
                out[key] = value
        return out
