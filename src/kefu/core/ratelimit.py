"""Request counting in fixed windows, for public routes anyone can call (the self-service bot).

``Counter.hit(key, limit=, window=, now=)`` counts one request under ``key`` in the window of ``window`` seconds
that ``now`` falls in (windows start at multiples of ``window`` since the epoch) and returns ``None`` while the
count is within ``limit``, else the seconds until the window ends (the ``Retry-After``). ``now`` is the caller's
clock (``kefu.core.clock``), so a test moves time instead of waiting.

The counts are per process (``LocalCounter``), or shared by every process through Redis when ``KEFU_REDIS_URL``
is set (``RedisCounter``: ``INCR`` of ``<prefix>:rl:<key>:<window number>``, which expires after two windows).
When Redis does not answer, the process counts on its own until it does (a limit is never a reason to refuse
service). Keys are opaque strings chosen by the caller; nothing personal is logged.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import datetime
from typing import Protocol

log = logging.getLogger(__name__)
RETRY_REDIS_SECONDS = 30.0  # after a Redis error, count locally this long before asking Redis again


def window_of(now: datetime, window: int) -> tuple[int, int]:
    """(the window's number, seconds until it ends) for ``now``; at least 1 second to wait."""
    t = now.timestamp()
    number = math.floor(t / window)
    return number, max(1, math.ceil((number + 1) * window - t))


class Counter(Protocol):
    def hit(self, key: str, *, limit: int, window: int, now: datetime) -> int | None: ...


class LocalCounter:
    """Counts in this process's memory; windows past are dropped as time moves on."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()
        self._latest = 0

    def count(self, key: str, number: int) -> int:
        with self._lock:
            if number > self._latest:  # a new window: forget those two or more behind
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= number - 1}
                self._latest = number
            n = self._counts.get((key, number), 0) + 1
            self._counts[(key, number)] = n
            return n

    def hit(self, key: str, *, limit: int, window: int, now: datetime) -> int | None:
        number, left = window_of(now, window)
        return None if self.count(key, number) <= limit else left


class RedisCounter:
    """Counts in Redis, shared by every process using the same Redis and prefix."""

    def __init__(self, url: str, *, prefix: str = "kefu") -> None:
        import redis

        self.prefix = prefix
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.local = LocalCounter()
        self._down_until = 0.0

    def hit(self, key: str, *, limit: int, window: int, now: datetime) -> int | None:
        from redis.exceptions import RedisError

        number, left = window_of(now, window)
        if time.monotonic() >= self._down_until:
            name = f"{self.prefix}:rl:{key}:{number}"
            try:
                pipe = self.client.pipeline(transaction=False)
                pipe.incr(name)
                pipe.expire(name, 2 * window)
                n = int(pipe.execute()[0])
                return None if n <= limit else left
            except RedisError as exc:
                log.warning("rate limit: Redis unavailable (%s); counting in this process", type(exc).__name__)
                self._down_until = time.monotonic() + RETRY_REDIS_SECONDS
        return None if self.local.count(key, number) <= limit else left


def make_counter(redis_url: str | None, *, prefix: str = "kefu") -> Counter:
    return RedisCounter(redis_url, prefix=prefix) if redis_url else LocalCounter()
