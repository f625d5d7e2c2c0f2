"""The domain's error hierarchy: a rule broken, a thing not found, a conflict, a denial.

Each error says in plain words what went wrong; the API maps each kind to one problem type.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain and command layer raise on purpose."""

    kind = "domain-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuleBroken(DomainError):
    """A command would break one of the appraisal policy's rules (``rule`` names which)."""

    kind = "rule-broken"

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


class NotFound(DomainError):
    kind = "not-found"


class Hidden(NotFound):
    """A denial answered exactly as "not found" (it must not reveal that the thing exists);
    the type tells the service to record the denial, with ``reason`` for the log only."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


# The one message for a record that is missing or not the caller's: denied and missing give
# byte-identical answers.
NOT_VISIBLE = "there is no such record visible to you"


class Conflict(DomainError):
    """The thing already exists, or someone else changed it first."""

    kind = "conflict"


class AlreadyExists(Conflict):
    """The thing to be created exists already (``existing_id`` names it)."""

    kind = "already-exists"

    def __init__(self, message: str, *, existing_id: object) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class StaleVersion(Conflict):
    """The caller's expected version is not the current one."""

    kind = "stale-version"

    def __init__(self, message: str, *, expected: int, actual: int) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class Forbidden(DomainError):
    """The actor may not do this (``reason`` says why)."""

    kind = "forbidden"
