"""Who is away right now, so a step does not sit with someone on leave.

Three sources, chosen by DEN_OUT_OF_OFFICE: none (`off`), the org file's `"away": true`
markers (the embedded default: the demo org marks who is away), or Outlook's automatic
replies read from Microsoft Graph,
`GET /users/{id}/mailboxSettings/automaticRepliesSetting` (application permission
MailboxSettings.Read). Someone is away when the status is `alwaysEnabled`, or `scheduled`
and now falls between the scheduled start and end; the schedule is ignored otherwise. The
documentation's own samples mix `scheduled` and `Scheduled`, so the status is read without
regard to case. Answers are cached for a while; a mailbox Graph cannot read (no Exchange
mailbox, no consent) counts as present, logged once, rather than blocking an approval.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cachetools import TTLCache
from kiota_abstractions.api_error import APIError
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph import GraphServiceClient
from msgraph.generated.models.automatic_replies_setting import AutomaticRepliesSetting
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from bot.adapters.org_directory import OrgFileDirectory
from bot.ports.availability import Absence

log = logging.getLogger(__name__)

# Outlook may give Windows zone names; the Canadian ones, for when a mailbox is not in UTC.
WINDOWS_ZONES = {
    "utc": "UTC",
    "eastern standard time": "America/Toronto",
    "central standard time": "America/Winnipeg",
    "canada central standard time": "America/Regina",
    "mountain standard time": "America/Edmonton",
    "pacific standard time": "America/Vancouver",
    "atlantic standard time": "America/Halifax",
    "newfoundland standard time": "America/St_Johns",
}


class NobodyAway:
    """Out-of-office handling switched off."""

    async def absence(self, user_id: str, now: datetime) -> Absence | None:
        return None


class OrgFileAvailability:
    """The org file's `"away": true` (optionally `"awayUntil": "YYYY-MM-DD"`, the last day away)."""

    def __init__(self, directory: OrgFileDirectory, tz: ZoneInfo) -> None:
        self._directory = directory
        self._tz = tz

    async def absence(self, user_id: str, now: datetime) -> Absence | None:
        entry = self._directory.entry(user_id)
        if entry is None or not entry.away:
            return None
        if not entry.away_until:
            return Absence()
        back = datetime.combine(date.fromisoformat(entry.away_until) + timedelta(days=1), time.min, tzinfo=self._tz)
        return Absence(back) if now < back else None


def _moment(value: DateTimeTimeZone | None) -> datetime | None:
    if value is None or not value.date_time:
        return None
    text = value.date_time.rstrip("Z")
    if "." in text:  # Graph sends seven decimal places; Python reads up to six
        head, fraction = text.split(".", 1)
        text = f"{head}.{fraction[:6]}"
    moment = datetime.fromisoformat(text)
    zone_name = (value.time_zone or "UTC").strip()
    try:
        zone = ZoneInfo(WINDOWS_ZONES.get(zone_name.lower(), zone_name))
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone in an automatic reply schedule; read as UTC", extra={"zone": zone_name})
        zone = ZoneInfo("UTC")
    return moment.replace(tzinfo=zone)


def absence_from(setting: AutomaticRepliesSetting | None, now: datetime) -> Absence | None:
    """Apply Outlook's rules to an automaticRepliesSetting."""
    if setting is None or setting.status is None:
        return None
    status = str(getattr(setting.status, "value", setting.status)).lower()
    if status == "alwaysenabled":
        return Absence()
    if status == "scheduled":
        start = _moment(setting.scheduled_start_date_time)
        end = _moment(setting.scheduled_end_date_time)
        if start is not None and end is not None and start <= now < end:
            return Absence(end.astimezone(UTC))
    return None


class GraphAvailability:
    """Automatic replies from Exchange Online through Microsoft Graph, cached per person."""

    def __init__(
        self, client: GraphServiceClient, *, cache_seconds: float = 900, timer: Callable[[], float] | None = None
    ) -> None:
        self._client = client
        kwargs = {"timer": timer} if timer else {}
        self._cache: TTLCache = TTLCache(maxsize=10_000, ttl=cache_seconds, **kwargs)
        self._unreadable_logged = False

    async def absence(self, user_id: str, now: datetime) -> Absence | None:
        if user_id not in self._cache:
            self._cache[user_id] = await self._setting(user_id)
        return absence_from(self._cache[user_id], now)

    async def _setting(self, user_id: str) -> AutomaticRepliesSetting | None:
        adapter = self._client.request_adapter
        request = RequestInformation(Method.GET)
        request.url = f"{adapter.base_url}/users/{quote(user_id)}/mailboxSettings/automaticRepliesSetting"
        request.headers.try_add("Accept", "application/json")
        request.headers.try_add("Prefer", 'outlook.timezone="UTC"')
        try:
            return await adapter.send_async(
                request,
                AutomaticRepliesSetting,
                {"XXX": ODataError},
            )
        except APIError as error:
            # No mailbox, no consent, or Graph unwell: the approver counts as present (the step
            # stays with them, and reminders and escalation still keep it moving).
            if not self._unreadable_logged:
                log.warning(
                    "automatic replies could not be read; treating people as present",
                    extra={"status": error.response_status_code},
                )
                self._unreadable_logged = True
            return None
