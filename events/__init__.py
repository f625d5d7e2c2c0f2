"""The event contract: every appraisal event, its stable topic, version and upcasters.

Importing this package registers every event class under its stable topic.
"""

from events import (
    access,
    cpd,
    cycle,
    evidence,
    framework,
    objective,
    observation,
    pay,
    reminders,
    review,
    staff,
    subject_access,
    trust,
)
from events.base import DomainEvent, Role, registered_topics, resolve, topic_of, upcast

__all__ = [
    "DomainEvent",
    "Role",
    "access",
    "cpd",
    "cycle",
    "evidence",
    "framework",
    "objective",
    "observation",
    "pay",
    "registered_topics",
    "reminders",
    "resolve",
    "review",
    "staff",
    "subject_access",
    "topic_of",
    "trust",
    "upcast",
]
