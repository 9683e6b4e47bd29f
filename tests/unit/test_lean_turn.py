"""The lean turn's pieces: msrest's retry codes computed once (same codes), the connector token kept."""

from __future__ import annotations

import base64
import json

from msrest.universal_http.requests import ClientRetryPolicy

from bot.edge.connector import REFRESH_MARGIN_SECONDS, ConnectorToken, refusal, token_expiry
from bot.teams.lean import fix_msrest_retry_scan


def test_the_retry_codes_are_the_ones_msrest_computes():
    original = [i for i in range(999) if i not in ClientRetryPolicy.safe_codes]
    fix_msrest_retry_scan()
    policy = ClientRetryPolicy()
    assert set(policy.policy.status_forcelist) == set(original)
    assert 408 in policy.policy.status_forcelist and 500 in policy.policy.status_forcelist
    assert 501 not in policy.policy.status_forcelist and 404 not in policy.policy.status_forcelist
    assert policy.retries == 3 and policy.policy.backoff_factor == 0.8


def jwt(exp: float) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part({'exp': exp, 'aud': 'https://api.botframework.com'})}.signature"


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_the_connector_token_is_fetched_once_and_kept_until_it_nears_expiry():
    clock = Clock()
    issued: list[str] = []

    async def fetch() -> str:
        issued.append(jwt(clock.now + 3600))
        return issued[-1]

    token = ConnectorToken(fetch, wall_clock=clock)
    first = await token.get()
    assert await token.get() == first and token.fetches == 1
    clock.now += 3600 - REFRESH_MARGIN_SECONDS - 1
    assert await token.get() == first and token.fetches == 1, "still well within its life"
    clock.now += 2
    assert await token.get() != first and token.fetches == 2, "renewed before it expires"
    token.forget()  # the connector answered 401
    await token.get()
    assert token.fetches == 3


def test_token_expiry_reads_the_exp_claim_and_tolerates_anything_else():
    assert token_expiry(jwt(1234.0)) == 1234.0
    assert token_expiry("not-a-jwt") is None


def test_connector_statuses_mean_retry_or_give_up():
    throttled = refusal(429, "7")
    assert not throttled.permanent and throttled.retry_after == 7.0
    assert refusal(503, None).permanent is False
    assert refusal(403, None).permanent is True, "the bot is not installed for that person"
    assert refusal(401, None).permanent is False, "a stale token: fetch a new one and retry"
