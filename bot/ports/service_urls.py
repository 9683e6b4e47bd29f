"""Which Bot Connector hosts the app may call: an allow-list of service URLs, from the settings.

Every reply and proactive message goes to the `serviceUrl` an activity carried (and that was
stored with the conversation). Without a check, a request could make the app call any host,
with the bot's token on it once authentication is on; an activity without one made botbuilder
fall back to the public Bot Framework host. So each incoming activity's `serviceUrl` must match
an entry here before anything else runs, and the Teams channel checks stored ones again.

Teams (commercial cloud, which Canadian ministries use) sends `https://smba.trafficmanager.net/`
followed by a region and often the tenant (`/amer/`, `/emea/`, `/apac/`, `/in/`, `/teams/`,
`/amer/<tenant-id>/`...), so the default entry is that host with any path. US government
clouds use other hosts (GCC `https://smba.infra.gcc.teams.microsoft.com/`, GCC High
`https://smba.infra.gov.teams.microsoft.us/`, DoD `https://smba.infra.dod.teams.microsoft.us/`):
add them to the setting if the bot is deployed there.

An entry is `scheme://host[:port]/path-prefix`; `:*` accepts any port (for the local connector
of tests and Agents Playground: `http://127.0.0.1:*/,http://localhost:*/`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

TEAMS_SERVICE_URLS = "https://smba.trafficmanager.net/"
LOCAL_SERVICE_URLS = "http://127.0.0.1:*/,http://localhost:*/"
MAX_URL_LENGTH = 2048
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SAFE = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]!$&'()*+,;=%]+$")  # RFC 3986 characters, nothing else
_ANY_PORT = -1
_REMEMBERED = 256  # verdicts kept per list: Teams uses a handful of service URLs


@dataclass(frozen=True)
class _Entry:
    scheme: str
    host: str
    port: int  # _ANY_PORT, or the exact port (the scheme's default when the entry names none)
    path: str  # a prefix, always ending in "/"


def _parse_entry(raw: str) -> _Entry:
    any_port = ":*/" in raw or raw.endswith(":*")
    parts = urlsplit(raw.replace(":*", "", 1) if any_port else raw)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username or parts.query:
        raise ValueError(f"not a service URL entry: {raw!r} (expected scheme://host[:port]/path)")
    port = _ANY_PORT if any_port else (parts.port or _DEFAULT_PORTS[parts.scheme])
    path = parts.path or "/"
    return _Entry(parts.scheme, parts.hostname.lower(), port, path if path.endswith("/") else path + "/")


class ServiceUrlAllowList:
    """`allows(url)` is True only for a well-formed http(s) URL under one of the entries."""

    def __init__(self, entries: str | list[str]) -> None:
        raw = entries.split(",") if isinstance(entries, str) else entries
        self._entries = tuple(_parse_entry(e.strip()) for e in raw if e.strip())
        # Every activity and every notification asks about the same few URLs: the verdict, a pure
        # function of the (fixed) entries, is remembered; bounded, so odd URLs cannot grow it.
        self._verdicts: dict[str, bool] = {}

    @classmethod
    def from_setting(cls, value: str) -> ServiceUrlAllowList:
        return cls(value or TEAMS_SERVICE_URLS)

    def __repr__(self) -> str:
        shown = [f"{e.scheme}://{e.host}{':*' if e.port == _ANY_PORT else ''}{e.path}" for e in self._entries]
        return f"ServiceUrlAllowList({','.join(shown)})"

    def allows(self, url: object) -> bool:
        if not isinstance(url, str):
            return False
        verdict = self._verdicts.get(url)
        if verdict is None:
            verdict = self._allows(url)
            if len(self._verdicts) >= _REMEMBERED:
                self._verdicts.clear()
            self._verdicts[url] = verdict
        return verdict

    def _allows(self, url: str) -> bool:
        if not url or len(url) > MAX_URL_LENGTH or not _SAFE.match(url):
            return False
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        if parts.scheme not in _DEFAULT_PORTS or "@" in parts.netloc or not parts.hostname:
            return False
        host = parts.hostname.lower()
        port = port or _DEFAULT_PORTS[parts.scheme]
        path = parts.path or "/"
        path = path if path.endswith("/") else path + "/"
        return any(
            entry.scheme == parts.scheme
            and entry.host == host
            and entry.port in (_ANY_PORT, port)
            and path.startswith(entry.path)
            and "/../" not in path
            for entry in self._entries
        )

    @staticmethod
    def host_of(url: object) -> str:
        """For logs: the host a refused URL named (never its path or query)."""
        try:
            return (urlsplit(url).hostname or "") if isinstance(url, str) else ""
        except ValueError:
            return ""
