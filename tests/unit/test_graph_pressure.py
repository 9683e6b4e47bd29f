"""Reading SharePoint's pressure signals: Retry-After (seconds or a date) and the RateLimit headers."""

from __future__ import annotations

import time
from email.utils import formatdate

from bot.adapters.graph_pressure import RateLimitGauge, retry_after_seconds


def test_retry_after_in_seconds_or_as_an_http_date_or_absent():
    assert retry_after_seconds({"Retry-After": "10"}) == 10
    assert retry_after_seconds({"retry-after": "0"}) == 0
    assert 25 <= retry_after_seconds({"Retry-After": formatdate(time.time() + 30, usegmt=True)}) <= 30
    assert retry_after_seconds({}, 0.5) == 0.5 and retry_after_seconds(None) is None
    assert retry_after_seconds({"Retry-After": "soon"}, 2.0) == 2.0


def test_background_work_waits_while_little_of_the_quota_is_left():
    now = [100.0]
    gauge = RateLimitGauge(clock=lambda: now[0])
    assert gauge.background_wait() == 0, "no reading: go ahead"
    gauge.observe({"RateLimit-Limit": "1200", "RateLimit-Remaining": "900", "RateLimit-Reset": "20"})
    assert gauge.background_wait() == 0, "three quarters left"
    gauge.observe({"RateLimit-Limit": "1200", "RateLimit-Remaining": "120", "RateLimit-Reset": "20"})
    assert gauge.background_wait() == 20
    now[0] += 21
    assert gauge.background_wait() == 0, "the window has reset"
    gauge.observe({"Retry-After": "9"})  # throttled by a policy that sends no RateLimit headers
    assert gauge.background_wait() == 9
    gauge.observe({"Content-Type": "application/json"})
    assert gauge.background_wait() == 9, "an ordinary answer changes nothing"
