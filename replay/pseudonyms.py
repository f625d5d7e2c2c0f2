"""Pseudonymised events for analysts: stable keyed hashes for people, no names, no free text.

People and their records — staff, reviews (whose ids derive from a person's) and objectives,
and every actor — are replaced by ``p-`` plus 16 hex digits of HMAC-SHA256 under
``Settings.pseudonym_key``: the same person is the same pseudonym in every event and every
run with that key, so analysts can count and join, but cannot tell who it is without the key.
The organisation stays readable: trusts, schools, cycles and priorities keep their ids, and
schools and trusts their names. What each event declares as personal data (names, emails)
or free text (notes, comments, reasons, titles, criteria...) is withheld (``None``), in the
event's own fields and in the value models nested in them (``events.facts``).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from events.base import DomainEvent
from events.facts import NOTHING, ModelFacts, facts_of

# Ids of the organisation, kept as they are.
ORGANISATION_IDS = frozenset(
    {"trust_id", "school_id", "previous_school_id", "cycle_id", "to_cycle_id", "priority_id"}
)
ORGANISATION_AGGREGATES = frozenset({"trust", "appraisal_cycle"})
# Revised fields whose old and new values are not free text.
PLAIN_FIELDS = frozenset({"due_date", "standards", "priority_id"})


class Pseudonymiser:
    """Keyed, stable pseudonyms for people; redaction of personal data and free text."""

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

    def data(self, event: type[DomainEvent], data: dict[str, Any]) -> dict[str, Any]:
        """An event's own fields with people pseudonymised and what it declares personal or
        free text withheld."""
        out = self._mapping(facts_of(event), data)
        if "changes" in out and isinstance(out["changes"], list):
            out["changes"] = [self._change(c) for c in data["changes"]]
        return out

    def _change(self, change: dict[str, Any]) -> dict[str, Any]:
        if change.get("field") in PLAIN_FIELDS:
            return dict(change)
        return {**change, "old": None, "new": None}

    def _mapping(self, facts: ModelFacts, data: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        withheld = facts.withheld
        for key, value in data.items():
            if key in withheld:
                out[key] = None
            elif key in ORGANISATION_IDS:
                out[key] = value
            elif key.endswith("_id") and isinstance(value, str):
                out[key] = self(value)
            elif key.endswith("_ids") and isinstance(value, list):
                out[key] = [self(v) if isinstance(v, str) else v for v in value]
            elif isinstance(value, dict):
                out[key] = self._mapping(facts.nested.get(key, NOTHING), value)
            elif isinstance(value, list):
                inner = facts.nested.get(key, NOTHING)
                out[key] = [self._mapping(inner, v) if isinstance(v, dict) else v for v in value]
            else:
                out[key] = value
        return out
