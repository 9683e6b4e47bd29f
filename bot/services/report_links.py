"""Download links for a challenge's report as CSV, opened from Teams.

The report card's *Download the CSV* opens a link served by the app. The link carries who asked
(their Entra object id), which challenge, and when it stops working, signed with the app's link
key (HMAC-SHA256), so it cannot be made up or changed, and it stops working after a few minutes.
When it is opened, the app checks the signature and the time, then checks again that the person
may read that challenge's report (an organiser, or one of its sponsors) before answering.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

DOWNLOAD_PATH = "/den/report.csv"
LINK_MINUTES = 15


@dataclass(frozen=True)
class ReportGrant:
    """What a valid link allows: this person, this challenge's report."""

    user_id: str
    challenge_id: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SignedLinks:
    """Signs and checks the claims a download link carries, with an expiry. `key`: the app's link key
    (DEN_LINK_SECRET); with none set, a random one for this process (links then work only on the
    instance that made them, until it restarts). `base_url`: where people reach the app (DEN_PUBLIC_URL).
    Each kind of link names its purpose in its claims, so one kind's link is never taken for another's."""

    def __init__(self, key: str, base_url: str, clock: Callable[[], datetime], minutes: int = LINK_MINUTES) -> None:
        self._key = (key or secrets.token_hex(32)).encode("utf-8")
        self._base = base_url.rstrip("/")
        self._clock = clock
        self.minutes = minutes

    def _token(self, claims: dict[str, str]) -> str:
        expires = int((self._clock() + timedelta(minutes=self.minutes)).timestamp())
        body = _b64(json.dumps({**claims, "e": expires}, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def _claims(self, token: str) -> dict[str, str] | None:
        """The claims a link carries, or None: not ours, changed, malformed or expired."""
        body, _, signature = (token or "").partition(".")
        if not body or not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            claims = json.loads(_unb64(body))
            expires = int(claims.pop("e"))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        if self._clock().timestamp() > expires:
            return None
        return {str(k): str(v) for k, v in claims.items()}

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("ascii", "replace"), hashlib.sha256).digest())


class ReportLinks(SignedLinks):
    """Signs and checks report links (see SignedLinks for the key and the base address)."""

    def link(self, user_id: str, challenge_id: str) -> str:
        return f"{self._base}{DOWNLOAD_PATH}?t={self.token(user_id, challenge_id)}"

    def token(self, user_id: str, challenge_id: str) -> str:
        return self._token({"u": user_id, "c": challenge_id})

    def check(self, token: str) -> ReportGrant | None:
        """The grant a link carries, or None: not ours, changed, malformed or expired."""
        claims = self._claims(token)
        if claims is None or "p" in claims or not claims.get("u") or not claims.get("c"):
            return None
        return ReportGrant(claims["u"], claims["c"])
