"""The connector allow-list: Teams' hosts and regions pass, look-alikes and tricks do not."""

from __future__ import annotations

import pytest

from bot.ports.service_urls import LOCAL_SERVICE_URLS, TEAMS_SERVICE_URLS, ServiceUrlAllowList

TEAMS = ServiceUrlAllowList.from_setting("")


@pytest.mark.parametrize(
    "url",
    [
        "https://smba.trafficmanager.net/amer/",
        "https://smba.trafficmanager.net/emea/",
        "https://smba.trafficmanager.net/apac/",
        "https://smba.trafficmanager.net/in/",
        "https://smba.trafficmanager.net/teams/",
        "https://smba.trafficmanager.net/amer/3f2b6c1e-0000-4000-8000-000000000000/",
        "https://SMBA.trafficmanager.net/amer",
        "https://smba.trafficmanager.net:443/amer/",
    ],
)
def test_teams_service_urls_are_allowed_by_default(url):
    assert TEAMS.allows(url)


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        42,
        "smba.trafficmanager.net/amer/",
        "http://smba.trafficmanager.net/amer/",  # plain http to Teams
        "https://smba.trafficmanager.net.evil.example/amer/",
        "https://evil.example/smba.trafficmanager.net/",
        "https://smba.trafficmanager.net@evil.example/",
        "https://user:pw@smba.trafficmanager.net/amer/",
        "https://smba.trafficmanager.net\\@evil.example/",
        "https://smba.trafficmanager.net:8443/amer/",
        "https://smba.trafficmanager.net:99999/",
        "https://smba.trafficmanager.net /amer/",
        "https://smba.trafficmanager.net./amer/",
        "ftp://smba.trafficmanager.net/",
        "https://api.botframework.com/",
        "http://127.0.0.1:3978/",
        "https://smba.trafficmanager.net/" + "a" * 3000,
    ],
)
def test_everything_else_is_refused(url):
    assert not TEAMS.allows(url)


def test_the_local_connector_is_allowed_only_when_configured():
    local = ServiceUrlAllowList(f"{TEAMS_SERVICE_URLS},{LOCAL_SERVICE_URLS}")
    assert local.allows("http://127.0.0.1:53211/")
    assert local.allows("http://localhost:56150")
    assert not local.allows("http://127.0.0.2:53211/")
    assert local.allows("https://smba.trafficmanager.net/amer/")


def test_a_path_prefix_limits_the_entry():
    only_amer = ServiceUrlAllowList("https://smba.trafficmanager.net/amer/")
    assert only_amer.allows("https://smba.trafficmanager.net/amer/tenant/")
    assert not only_amer.allows("https://smba.trafficmanager.net/emea/")
    assert not only_amer.allows("https://smba.trafficmanager.net/amer/../emea/")


def test_a_malformed_entry_is_refused_at_start():
    with pytest.raises(ValueError):
        ServiceUrlAllowList("smba.trafficmanager.net")


def test_verdicts_are_remembered_yet_the_same_and_bounded():
    allow = ServiceUrlAllowList("https://smba.trafficmanager.net/")
    for _ in range(3):
        assert allow.allows("https://smba.trafficmanager.net/amer/")
        assert not allow.allows("https://evil.example/amer/")
    for n in range(1000):  # many distinct odd URLs cannot grow what is remembered without bound
        assert not allow.allows(f"https://evil{n}.example/")
    assert len(allow._verdicts) <= 256
    assert allow.allows("https://smba.trafficmanager.net/amer/") and not allow.allows(None)
