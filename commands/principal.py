"""Who is asking: the authenticated principal a command or query is made by."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from events.base import Role


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated actor: their id (a staff id for staff and leaders), role and scope.

    ``trust_id`` None is a platform administrator (may register trusts); ``school_ids`` are the
    schools a school leader leads.
    """

    id: UUID
    role: Role
    trust_id: UUID | None = None
    school_ids: frozenset[UUID] = field(default_factory=frozenset)
    # A read-only personal API token: every command is refused.
    read_only: bool = False

    @property
    def is_platform_admin(self) -> bool:
        return self.role is Role.ADMIN and self.trust_id is None

    def in_trust(self, trust_id: UUID) -> bool:
        return self.is_platform_admin or self.trust_id == trust_id
