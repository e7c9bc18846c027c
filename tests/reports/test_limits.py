"""The per-platform token bucket, on a clock the test moves."""

from __future__ import annotations

from bantay.reports.limits import RateLimit


def test_bucket_refills_with_time() -> None:
    now = [0.0]
    lim = RateLimit(60, clock=lambda: now[0])
    assert [lim.allow("a") for _ in range(60)] == [0] * 60
    assert lim.allow("a") == 1
    assert lim.allow("b") == 0
    now[0] += 2.0
    assert lim.allow("a") == 0
    assert lim.allow("a") == 0
    assert lim.allow("a") >= 1
