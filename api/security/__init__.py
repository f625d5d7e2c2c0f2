"""Security plumbing kept out of the domain: the security log, token revocation, rate limits,
client addresses behind trusted proxies, and the HTTP hardening middleware.

``Security`` is what the rest of the service uses; it is built once per process by
``appraisals.wiring.build`` and lives on the container.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.security.log import SecurityLog
from api.security.ratelimit import RateLimits
from api.security.revocation import Revocations


@dataclass
class Security:
    log: SecurityLog
    revocations: Revocations
    limits: RateLimits

    def ensure(self) -> None:
        """Create the security tables (kept apart from the event store and read models)."""
        self.log.ensure()
        self.revocations.ensure()


__all__ = ["RateLimits", "Revocations", "Security", "SecurityLog"]
