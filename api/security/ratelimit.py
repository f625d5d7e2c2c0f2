"""Per-client rate limits on sign-in and on failed authentication, with the ``limits`` library.

Counters live in Redis when it is configured (so every process shares them) and in process
memory otherwise. If Redis is down the limit is not enforced rather than refusing everyone:
sign-in must not depend on the wake-up channel, and the failure is logged.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

SIGN_IN = "sign-in"
FAILED_AUTH = "failed-auth"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0


class RateLimits:
    def __init__(
        self, *, sign_in: str, failed_auth: str, redis_url: str | None, namespace: str
    ) -> None:
        self.items: dict[str, RateLimitItem] = {
            SIGN_IN: parse(sign_in),
            FAILED_AUTH: parse(failed_auth),
        }
        storage: Storage
        if redis_url:
            found = storage_from_string(redis_url, socket_connect_timeout=0.5, socket_timeout=0.5)
            assert isinstance(found, Storage)
            storage = found
        else:
            storage = MemoryStorage()
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)
        self.namespace = namespace

    def hit(self, name: str, client: str) -> Verdict:
        """Count one attempt; whether it is within the limit."""
        return self._ask(name, client, consume=True)

    def check(self, name: str, client: str) -> Verdict:
        """Whether another attempt would be within the limit, without counting one."""
        return self._ask(name, client, consume=False)

    def _ask(self, name: str, client: str, *, consume: bool) -> Verdict:
        item = self.items[name]
        keys = (self.namespace, name, client)
        try:
            ok = self.limiter.hit(item, *keys) if consume else self.limiter.test(item, *keys)
            if ok:
                return Verdict(True)
            reset, _remaining = self.limiter.get_window_stats(item, *keys)
        except Exception:  # Redis down: enforce nothing rather than lock everyone out
            log.warning("rate limit store unavailable; %s not enforced", name, exc_info=True)
            return Verdict(True)
        return Verdict(False, max(1, int(reset - time.time()) + 1))

    def reset(self) -> None:
        self.storage.reset()
