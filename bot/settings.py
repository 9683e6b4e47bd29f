"""Every setting, declared once: its environment variable, its default, its type, and its check.

Read from the environment (and an optional `.env`), with the names Azure Bot Service uses. A
value that cannot be used stops start-up with a message naming the variable, rather than
failing later, halfway through a user's turn.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
# The Microsoft 365 Agents SDK's names for the app's own connection (its `load_configuration_from_env`).
AGENTS_CONNECTION = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"

TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class BadSetting(SystemExit):
    """A setting's value cannot be used: start-up stops and says which variable to fix."""


def _one_of(*allowed: str) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if value not in allowed:
            raise ValueError(f"use one of {', '.join(repr(a) for a in allowed)}")

    return check


def _clock_time(value: str) -> None:
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value):
        raise ValueError("use a 24-hour time such as 08:00")


def _time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError("use an IANA time zone such as America/Toronto") from error


def _ids(text: str) -> frozenset[str]:
    """'a, b,,c' -> {'a', 'b', 'c'}: a comma-separated list of object ids, blanks ignored."""
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def _dates(text: str) -> tuple[date, ...]:
    """'2026-12-25, 2026-12-28' -> the dates, in order; blanks ignored."""
    try:
        return tuple(date.fromisoformat(part.strip()) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError("use comma-separated dates such as 2026-12-25, 2026-12-28") from None


# Settings whose value is a list: the text is parsed into its type here, once, at start-up.
_LISTS: dict[str, Callable[[str], Any]] = {"frozenset[str]": _ids, "tuple[date, ...]": _dates}


def _date(value: str) -> None:
    if value:
        date.fromisoformat(value)


def _positive(value: float) -> None:
    if value <= 0:
        raise ValueError("use a number above 0")


def _not_negative(value: float) -> None:
    if value < 0:
        raise ValueError("use 0 or more")


def _service_urls(value: str) -> None:
    for part in filter(None, (p.strip() for p in value.split(","))):
        if not re.fullmatch(r"https?://[^/\s@]+(/\S*)?", part):
            raise ValueError("use comma-separated URLs such as https://smba.trafficmanager.net/")


def _url_or_empty(value: str) -> None:
    if value and not re.fullmatch(r"https://[^/\s@]+(/\S*)?", value):
        raise ValueError("use an https URL such as https://login.microsoftonline.us/<tenant id>")


def env(
    *names: str,
    default: Any,
    case: str = "",
    check: Callable[[Any], None] | None = None,
    or_field: str = "",
) -> Any:
    """One setting: the variable(s) it is read from (first set wins), its default, and its check.

    `case` normalises text ("lower", "upper"); `or_field` takes another setting's value when unset.
    """
    return field(default=default, metadata={"env": names, "case": case, "check": check, "or_field": or_field})


@dataclass(frozen=True)
class Settings:
    # ---- the Teams edge: which SDK receives /api/messages (bot/edge/choice.py) -------------------
    teams_edge: str = env("DEN_TEAMS_EDGE", default="botbuilder", case="lower", check=_one_of("botbuilder", "agents"))
    # ---- the Azure Bot: Bot Framework names, or the Microsoft 365 Agents SDK's own (either edge) ---
    app_id: str = env("MicrosoftAppId", f"{AGENTS_CONNECTION}CLIENTID", default="")
    app_password: str = env("MicrosoftAppPassword", f"{AGENTS_CONNECTION}CLIENTSECRET", default="")
    app_type: str = env("MicrosoftAppType", default="SingleTenant",
                        check=_one_of("SingleTenant", "MultiTenant", "UserAssignedMSI"))
    app_tenant_id: str = env("MicrosoftAppTenantId", f"{AGENTS_CONNECTION}TENANTID", default="")
    # The Agents SDK's AUTHTYPE (ClientSecret, UserManagedIdentity, ...); empty: from MicrosoftAppType.
    agents_auth_type: str = env(f"{AGENTS_CONNECTION}AUTHTYPE", default="")
    # Where the app gets its token: empty for Entra ID's own (login.microsoftonline.com/<tenant>);
    # a sovereign cloud's or ADFS authority otherwise. Both edges read it.
    login_authority: str = env(f"{AGENTS_CONNECTION}AUTHORITY", default="", check=_url_or_empty)
    allowed_tenant_id: str = env("DEN_ALLOWED_TENANT_ID", default="")
    # ---- the web app ----------------------------------------------------------------------------
    host: str = env("DEN_HOST", default="localhost")
    port: int = env("PORT", "DEN_PORT", default=3978, check=_positive)
    log_level: str = env("DEN_LOG_LEVEL", default="INFO", case="upper",
                         check=_one_of("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
    # ---- records and directory ------------------------------------------------------------------
    store: str = env("DEN_STORE", default="sqlite", case="lower", check=_one_of("sqlite", "sharepoint"))
    sqlite_path: str = env("DEN_SQLITE_PATH", default=str(ROOT / "var" / "den.sqlite3"))
    org_file: str = env("DEN_ORG_FILE", default=str(ROOT / "data" / "demo-org.json"))
    directory: str = env("DEN_DIRECTORY", default="", case="lower",  # empty: entra with SharePoint, else the file
                         check=_one_of("", "org-file", "entra"))
    chain_top_role: str = env("DEN_CHAIN_TOP_ROLE", default="adm", case="lower",
                              check=_one_of("manager", "director", "adm", "dm"))
    sharepoint_site: str = env("DEN_SHAREPOINT_SITE", default="")
    graph_base_url: str = env("DEN_GRAPH_BASE_URL", default="https://graph.microsoft.com/v1.0")
    graph_client_id: str = env("DEN_GRAPH_CLIENT_ID", default="", or_field="app_id")
    graph_client_secret: str = env("DEN_GRAPH_CLIENT_SECRET", default="")
    graph_certificate_path: str = env("DEN_GRAPH_CERTIFICATE_PATH", default="")
    graph_managed_identity: bool = env("DEN_GRAPH_MANAGED_IDENTITY", default=False)
    graph_max_retries: int = env("DEN_GRAPH_MAX_RETRIES", default=5, check=_not_negative)
    graph_page_size: int = env("DEN_GRAPH_PAGE_SIZE", default=500, check=_positive)
    organisation: str = env("DEN_ORGANISATION", default="Ministry")
    dm_ids: frozenset[str] = env("DEN_DM_IDS", default=frozenset())  # deputy ministers named by object id
    role_patterns: str = env("DEN_ROLE_PATTERNS", default="")
    directory_cache_seconds: int = env("DEN_DIRECTORY_CACHE_SECONDS", default=3600, check=_not_negative)
    spool_path: str = env("DEN_SPOOL_PATH", default=str(ROOT / "var" / "spool.sqlite3"))
    spool_retry_seconds: float = env("DEN_SPOOL_RETRY_SECONDS", default=30.0, check=_positive)
    # how long a click may wait on a throttled SharePoint before it answers "being recorded"
    click_budget_seconds: float = env("DEN_CLICK_BUDGET_SECONDS", default=3.0, check=_positive)
    # how often an instance asks SharePoint for notifications other instances wrote
    sharepoint_idle_poll_seconds: float = env("DEN_SHAREPOINT_IDLE_POLL_SECONDS", default=180.0, check=_not_negative)
    # ---- notifications --------------------------------------------------------------------------
    notify_retry_base_seconds: float = env("DEN_NOTIFY_RETRY_BASE_SECONDS", default=2.0, check=_positive)
    notify_max_attempts: int = env("DEN_NOTIFY_MAX_ATTEMPTS", default=12, check=_positive)
    outbox_poll_seconds: float = env("DEN_OUTBOX_POLL_SECONDS", default=5.0, check=_positive)
    # Teams allows 50 proactive messages a second per app per tenant, all instances together: the
    # instances share it (a heartbeat in the store, bot/services/tenant_budget.py).
    teams_messages_per_second: float = env("DEN_TEAMS_MESSAGES_PER_SECOND", default=50.0, check=_positive)
    instance_heartbeat_seconds: float = env("DEN_INSTANCE_HEARTBEAT_SECONDS", default=60.0, check=_positive)
    # this instance's name in the heartbeats; empty: App Service's WEBSITE_INSTANCE_ID, Container Apps'
    # CONTAINER_APP_REPLICA_NAME, else host:port (a restart on the same host and port takes its place back)
    instance_id: str = env("DEN_INSTANCE_ID", default="")
    outbox_max_in_flight: int = env("DEN_OUTBOX_MAX_IN_FLIGHT", default=64, check=_positive)
    outbox_lease_seconds: float = env("DEN_OUTBOX_LEASE_SECONDS", default=60.0, check=_positive)
    shutdown_drain_seconds: float = env("DEN_SHUTDOWN_DRAIN_SECONDS", default=20.0, check=_not_negative)
    health_outbox_max_age_seconds: float = env("DEN_HEALTH_OUTBOX_MAX_AGE_SECONDS", default=900.0, check=_positive)
    # ---- calendar, digest and nudges ------------------------------------------------------------
    timezone: str = env("DEN_TIMEZONE", default="America/Toronto", check=_time_zone)
    holidays: tuple[date, ...] = env("DEN_HOLIDAYS", default=())
    digest_schedule: bool = env("DEN_DIGEST_SCHEDULE", default=True)
    digest_weekday: str = env("DEN_DIGEST_WEEKDAY", default="monday", case="lower", check=_one_of(*WEEKDAYS))
    digest_time: str = env("DEN_DIGEST_TIME", default="08:00", check=_clock_time)
    digest_secret: str = env("DEN_DIGEST_SECRET", default="")
    digest_scope: str = env("DEN_DIGEST_SCOPE", default="organisation", case="lower",
                            check=_one_of("organisation", "all"))
    stall_business_days: int = env("DEN_STALL_BUSINESS_DAYS", default=5, check=_not_negative)
    remind_after_business_days: int = env("DEN_REMIND_AFTER_BUSINESS_DAYS", default=3, check=_not_negative)
    tell_submitter_after_business_days: int = env("DEN_TELL_SUBMITTER_AFTER_BUSINESS_DAYS", default=7,
                                                  check=_not_negative)
    nudge_time: str = env("DEN_NUDGE_TIME", default="09:30", check=_clock_time)
    challenge_start: str = env("DEN_CHALLENGE_START", default="", check=_date)
    report_url: str = env("DEN_REPORT_URL", default="")
    # Where people reach the app (links the cards open: the report's CSV download); empty: http://host:port.
    public_url: str = env("DEN_PUBLIC_URL", default="")
    # The key that signs those links (any long random text; the same on every instance). Empty: a
    # random key per process, so a link works only on the instance that made it, until it restarts.
    link_secret: str = env("DEN_LINK_SECRET", default="")
    # ---- approval routes ------------------------------------------------------------------------
    routing_file: str = env("DEN_ROUTING_FILE", default=str(ROOT / "data" / "routing.yml"))  # "off": every level
    # the records retention schedule (checked at start-up; on SharePoint an uploaded copy wins)
    retention_file: str = env("DEN_RETENTION_FILE", default=str(ROOT / "data" / "retention.yml"))
    out_of_office: str = env("DEN_OUT_OF_OFFICE", default="", case="lower",  # empty: graph with Entra, else file
                             check=_one_of("", "off", "org-file", "graph"))
    # A DM may type `digest` for the week so far (local trials, demos); off in production by default.
    digest_on_request: bool = env("DEN_DIGEST_ON_REQUEST", default=False)
    # ---- people ---------------------------------------------------------------------------------
    # Den organisers' object ids: their own welcome
    organiser_ids: frozenset[str] = env("DEN_ORGANISER_IDS", default=frozenset())
    # and/or the Entra group whose members are Den organisers (they open, edit and close challenges)
    organiser_group_id: str = env("DEN_ORGANISER_GROUP_ID", default="")
    # ---- the Den challenge ----------------------------------------------------------------------
    follow_up_days: int = env("DEN_FOLLOW_UP_DAYS", default=30, check=_positive)  # funded ideas' monthly check-in
    # ---- pitch day ------------------------------------------------------------------------------
    panel_quorum: int = env("DEN_PANEL_QUORUM", default=3, check=_positive)  # fewer judges: "below quorum"
    # judges not done get one reminder the day after pitch day, at this time (unless the organiser sets one)
    panel_reminder_time: str = env("DEN_PANEL_REMINDER_TIME", default="09:00", check=_clock_time)
    # Teams shows each voter their own vote on the People's Choice card through Universal Actions'
    # refresh, for the voters the card lists; listing a voter updates the card in place. Agents
    # Playground has no per-user refresh, so that update would replace the voter's confirmation
    # with everyone's view: `make run` turns the list off (the click's own answer shows the vote).
    vote_refresh_list: bool = env("DEN_VOTE_REFRESH_LIST", default=True)
    # ---- the notice of collection (FIPPA s. 39(2)): required with authentication on ---------------
    notice_authority: str = env("DEN_NOTICE_LEGAL_AUTHORITY", default="")  # the statute and section
    notice_authority_fr: str = env("DEN_NOTICE_LEGAL_AUTHORITY_FR", default="")
    notice_purpose: str = env("DEN_NOTICE_PURPOSE", default="")  # the principal purpose of the collection
    notice_purpose_fr: str = env("DEN_NOTICE_PURPOSE_FR", default="")
    notice_contact: str = env("DEN_NOTICE_CONTACT", default="")  # title, business address, telephone, email
    notice_contact_fr: str = env("DEN_NOTICE_CONTACT_FR", default="")
    # ---- the Den tab ----------------------------------------------------------------------------
    # The tab's Application ID URI (api://<domain>/<app id>), accepted as its SSO tokens' audience
    # beside the app id itself; and the Entra ID authority whose published keys sign them.
    tab_resource: str = env("DEN_TAB_RESOURCE", default="")
    # The Teams app's id (the manifest's): the details card's "Open in the Den tab" deep link needs it.
    teams_app_id: str = env("TEAMS_APP_ID", "DEN_TEAMS_APP_ID", default="")
    entra_authority: str = env("DEN_ENTRA_AUTHORITY", default="https://login.microsoftonline.com")
    # On SharePoint: the instance's local copy of the tab's index, and how often it asks for changes
    tab_index_path: str = env("DEN_TAB_INDEX_PATH", default=str(ROOT / "var" / "tab-index.sqlite3"))
    tab_index_poll_seconds: float = env("DEN_TAB_INDEX_POLL_SECONDS", default=180.0, check=_positive)
    # ---- hostile input: connector hosts, request size, pitch floods, Retry-After ---------------------
    allowed_service_urls: str = env(
        "DEN_ALLOWED_SERVICE_URLS", default="https://smba.trafficmanager.net/", check=_service_urls
    )
    max_request_bytes: int = env("DEN_MAX_REQUEST_BYTES", default=256 * 1024, check=_positive)
    daily_pitch_cap: int = env("DEN_DAILY_PITCH_CAP", default=10, check=_not_negative)
    duplicate_window_days: int = env("DEN_DUPLICATE_WINDOW_DAYS", default=30, check=_not_negative)
    retry_after_cap_seconds: float = env("DEN_RETRY_AFTER_CAP_SECONDS", default=60.0, check=_positive)

    def __post_init__(self) -> None:
        for spec in fields(self):  # a list given as text (Settings(organiser_ids="a,b")) would match substrings
            if spec.type in _LISTS and not isinstance(getattr(self, spec.name), (frozenset, tuple)):
                raise TypeError(f"Settings.{spec.name} is a {spec.type}, not text: parse it with Settings.from_env")

    # Names ConfigurationBotFrameworkAuthentication reads. Empty APP_ID: authentication off.
    @property
    def APP_ID(self) -> str:  # noqa: N802
        return self.app_id

    @property
    def APP_PASSWORD(self) -> str:  # noqa: N802
        return self.app_password

    @property
    def APP_TYPE(self) -> str:  # noqa: N802
        # SingleTenant without an app id is refused by botbuilder; locally there is neither.
        return self.app_type if self.app_id else "MultiTenant"

    @property
    def APP_TENANTID(self) -> str:  # noqa: N802
        return self.app_tenant_id

    @property
    def auth_enabled(self) -> bool:
        return bool(self.app_id)

    @property
    def tenant_to_enforce(self) -> str:
        """Activities from any other tenant are refused. Defaults to the bot's own tenant."""
        return self.allowed_tenant_id or self.app_tenant_id

    @property
    def uses_entra_directory(self) -> bool:
        return self.directory == "entra" or (not self.directory and self.store == "sharepoint")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, *, dotenv: bool = True) -> Settings:
        """The settings from `environ` (default: the process environment, after `.env`). Unset or empty: the default."""
        if environ is None:
            if dotenv:
                load_dotenv(ROOT / ".env", override=False)
            environ = dict(os.environ)
        values: dict[str, Any] = {}
        for spec in fields(cls):
            names = spec.metadata["env"]
            variable = next((n for n in names if environ.get(n, "").strip()), None)
            if variable is None:
                continue
            values[spec.name] = _parse(variable, environ[variable].strip(), spec.type, spec.metadata)
        for spec in fields(cls):
            other = spec.metadata["or_field"]
            if other and spec.name not in values and other in values:
                values[spec.name] = values[other]
        return cls(**values)

    @classmethod
    def variables(cls) -> dict[str, tuple[str, ...]]:
        """Each setting's environment variable(s), for documentation and tests."""
        return {spec.name: spec.metadata["env"] for spec in fields(cls)}



# What an operator sets for a deployment (the README's table *Settings an operator sets*); every other
# setting is a tuning knob with a good default (docs/settings-reference.md). A test keeps both in step.
OPERATOR_SETTINGS = frozenset({
    "notice_contact_fr",
    "notice_purpose_fr",
    "notice_authority_fr",
    "graph_managed_identity",
    "graph_certificate_path",
    "host",
    "agents_auth_type",
    "app_id",
    "app_password",
    "app_tenant_id",
    "app_type",
    "digest_secret",
    "directory",
    "dm_ids",
    "graph_client_id",
    "graph_client_secret",
    "holidays",
    "link_secret",
    "notice_authority",
    "notice_contact",
    "notice_purpose",
    "org_file",
    "organisation",
    "organiser_group_id",
    "organiser_ids",
    "port",
    "public_url",
    "retention_file",
    "routing_file",
    "sharepoint_site",
    "store",
    "tab_resource",
    "teams_app_id",
    "teams_edge",
    "timezone",
})


def _parse(variable: str, raw: str, kind: Any, metadata: Any) -> Any:
    text = raw.lower() if metadata["case"] == "lower" else raw.upper() if metadata["case"] == "upper" else raw
    try:
        if kind in ("bool", bool):
            if text.lower() not in TRUE + FALSE:
                raise ValueError("use true or false (on/off, yes/no, 1/0)")
            value: Any = text.lower() in TRUE
        elif kind in ("int", int):
            value = int(text)
        elif kind in ("float", float):
            value = float(text)
        elif kind in _LISTS:
            value = _LISTS[kind](text)
        else:
            value = text
        if metadata["check"] is not None:
            metadata["check"](value)
    except ValueError as error:
        reason = str(error) if "use " in str(error) else f"expected {kind}"
        raise BadSetting(f"{variable}={raw!r} cannot be used: {reason}.") from None
    return value

