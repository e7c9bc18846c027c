"""A per-platform rate limit: a token bucket of one minute's reports (no web framework here)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimit:
    """At most ``per_minute`` reports a minute per key, in bursts of up to a minute's worth.

    ``allow(key)`` takes one token from the key's bucket and returns 0, or returns the seconds to
    wait when the bucket is empty. Each process keeps its own buckets (one uvicorn worker: one
    limit; with several workers each enforces its own).
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: object) -> int:
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))
