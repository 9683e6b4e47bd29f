"""Settings from the environment (and an optional `.env`), with the names Azure Bot Service uses."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent


def _get(env: dict[str, str], name: str, default: str = "") -> str:
    return env.get(name, default).strip()


@dataclass(frozen=True)
class Settings:
    app_id: str = ""
    app_password: str = ""
    app_type: str = "SingleTenant"
    app_tenant_id: str = ""
    host: str = "localhost"
    port: int = 3978
    store: str = "sqlite"
    sqlite_path: str = str(ROOT / "var" / "den.sqlite3")
    org_file: str = str(ROOT / "data" / "demo-org.json")
    chain_top_role: str = "adm"
    allowed_tenant_id: str = ""
    notify_retry_base_seconds: float = 2.0
    notify_max_attempts: int = 12
    outbox_poll_seconds: float = 5.0
    log_level: str = "INFO"
    timezone: str = "America/Toronto"
    holidays: str = ""
    digest_schedule: bool = True
    digest_weekday: str = "monday"
    digest_time: str = "08:00"
    digest_secret: str = ""
    stall_business_days: int = 5
    digest_scope: str = "organisation"
    remind_after_business_days: int = 3
    tell_submitter_after_business_days: int = 7
    nudge_time: str = "09:30"
    challenge_start: str = ""
    report_url: str = ""
    sharepoint_site: str = ""
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    graph_client_id: str = ""
    graph_client_secret: str = ""
    graph_certificate_path: str = ""
    graph_managed_identity: bool = False
    graph_max_retries: int = 5
    organisation: str = "Ministry"
    directory: str = ""  # "org-file" or "entra"; empty: entra with the SharePoint store, else the org file
    dm_ids: str = ""
    role_patterns: str = ""
    directory_cache_seconds: int = 3600
    spool_path: str = str(ROOT / "var" / "spool.sqlite3")
    spool_retry_seconds: float = 30.0
    # Hostile input (issue #10): which connector hosts the bot may call, how big a request may be,
    # how many pitches a person may send a day, how far back a repeated pitch is noticed, and the
    # longest wait a connector's Retry-After can impose.
    allowed_service_urls: str = "https://smba.trafficmanager.net/"
    max_request_bytes: int = 256 * 1024
    daily_pitch_cap: int = 10
    duplicate_window_days: int = 30
    retry_after_cap_seconds: float = 60.0

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
    def from_env(cls, env: dict[str, str] | None = None, *, dotenv: bool = True) -> Settings:
        if env is None:
            if dotenv:
                load_dotenv(ROOT / ".env", override=False)
            env = dict(os.environ)
        d = cls()
        return cls(
            app_id=_get(env, "MicrosoftAppId"),
            app_password=_get(env, "MicrosoftAppPassword"),
            app_type=_get(env, "MicrosoftAppType", d.app_type) or d.app_type,
            app_tenant_id=_get(env, "MicrosoftAppTenantId"),
            host=_get(env, "DEN_HOST", d.host),
            port=int(_get(env, "PORT", "") or _get(env, "DEN_PORT", str(d.port))),
            store=_get(env, "DEN_STORE", d.store).lower(),
            sqlite_path=_get(env, "DEN_SQLITE_PATH", d.sqlite_path),
            org_file=_get(env, "DEN_ORG_FILE", d.org_file),
            chain_top_role=_get(env, "DEN_CHAIN_TOP_ROLE", d.chain_top_role).lower(),
            allowed_tenant_id=_get(env, "DEN_ALLOWED_TENANT_ID"),
            notify_retry_base_seconds=float(
                _get(env, "DEN_NOTIFY_RETRY_BASE_SECONDS", str(d.notify_retry_base_seconds))
            ),
            notify_max_attempts=int(_get(env, "DEN_NOTIFY_MAX_ATTEMPTS", str(d.notify_max_attempts))),
            outbox_poll_seconds=float(_get(env, "DEN_OUTBOX_POLL_SECONDS", str(d.outbox_poll_seconds))),
            log_level=_get(env, "DEN_LOG_LEVEL", d.log_level).upper(),
            timezone=_get(env, "DEN_TIMEZONE", d.timezone),
            holidays=_get(env, "DEN_HOLIDAYS"),
            digest_schedule=_get(env, "DEN_DIGEST_SCHEDULE", "on").lower() not in ("off", "false", "0", "no"),
            digest_weekday=_get(env, "DEN_DIGEST_WEEKDAY", d.digest_weekday).lower(),
            digest_time=_get(env, "DEN_DIGEST_TIME", d.digest_time),
            digest_secret=_get(env, "DEN_DIGEST_SECRET"),
            stall_business_days=int(_get(env, "DEN_STALL_BUSINESS_DAYS", str(d.stall_business_days))),
            digest_scope=_get(env, "DEN_DIGEST_SCOPE", d.digest_scope).lower() or d.digest_scope,
            remind_after_business_days=int(
                _get(env, "DEN_REMIND_AFTER_BUSINESS_DAYS", str(d.remind_after_business_days))
            ),
            tell_submitter_after_business_days=int(
                _get(env, "DEN_TELL_SUBMITTER_AFTER_BUSINESS_DAYS", str(d.tell_submitter_after_business_days))
            ),
            nudge_time=_get(env, "DEN_NUDGE_TIME", d.nudge_time),
            challenge_start=_get(env, "DEN_CHALLENGE_START"),
            report_url=_get(env, "DEN_REPORT_URL"),
            sharepoint_site=_get(env, "DEN_SHAREPOINT_SITE"),
            graph_base_url=_get(env, "DEN_GRAPH_BASE_URL", d.graph_base_url) or d.graph_base_url,
            graph_client_id=_get(env, "DEN_GRAPH_CLIENT_ID") or _get(env, "MicrosoftAppId"),
            graph_client_secret=_get(env, "DEN_GRAPH_CLIENT_SECRET"),
            graph_certificate_path=_get(env, "DEN_GRAPH_CERTIFICATE_PATH"),
            graph_managed_identity=_get(env, "DEN_GRAPH_MANAGED_IDENTITY").lower() in ("1", "true", "yes", "on"),
            graph_max_retries=int(_get(env, "DEN_GRAPH_MAX_RETRIES", str(d.graph_max_retries))),
            organisation=_get(env, "DEN_ORGANISATION", d.organisation) or d.organisation,
            directory=_get(env, "DEN_DIRECTORY").lower(),
            dm_ids=_get(env, "DEN_DM_IDS"),
            role_patterns=_get(env, "DEN_ROLE_PATTERNS"),
            directory_cache_seconds=int(_get(env, "DEN_DIRECTORY_CACHE_SECONDS", str(d.directory_cache_seconds))),
            spool_path=_get(env, "DEN_SPOOL_PATH", d.spool_path),
            spool_retry_seconds=float(_get(env, "DEN_SPOOL_RETRY_SECONDS", str(d.spool_retry_seconds))),
            allowed_service_urls=_get(env, "DEN_ALLOWED_SERVICE_URLS", d.allowed_service_urls)
            or d.allowed_service_urls,
            max_request_bytes=int(_get(env, "DEN_MAX_REQUEST_BYTES", str(d.max_request_bytes))),
            daily_pitch_cap=int(_get(env, "DEN_DAILY_PITCH_CAP", str(d.daily_pitch_cap))),
            duplicate_window_days=int(_get(env, "DEN_DUPLICATE_WINDOW_DAYS", str(d.duplicate_window_days))),
            retry_after_cap_seconds=float(_get(env, "DEN_RETRY_AFTER_CAP_SECONDS", str(d.retry_after_cap_seconds))),
        )
