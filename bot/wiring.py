"""Choosing and building the adapters the settings ask for (the store, the directory, Graph)."""

from __future__ import annotations

from azure.core.credentials_async import AsyncTokenCredential
from msgraph import GraphServiceClient

from bot.adapters.graph_client import GraphSettings, make_credential, make_graph_client
from bot.adapters.graph_directory import GraphDirectory, RoleRules
from bot.adapters.org_directory import OrgFileDirectory
from bot.adapters.sharepoint_store import SharePointStore
from bot.adapters.sqlite_store import SqliteStore
from bot.config import Settings
from bot.ports import Directory, IdeaStore


def graph_settings(settings: Settings) -> GraphSettings:
    return GraphSettings(
        base_url=settings.graph_base_url,
        tenant_id=settings.app_tenant_id,
        client_id=settings.graph_client_id,
        client_secret=settings.graph_client_secret,
        certificate_path=settings.graph_certificate_path,
        managed_identity=settings.graph_managed_identity,
        organisation=settings.organisation,
        max_retries=settings.graph_max_retries,
    )


def graph_client_from(settings: Settings, credential: AsyncTokenCredential | None = None) -> GraphServiceClient:
    graph = graph_settings(settings)
    return make_graph_client(graph, credential or make_credential(graph))


def needs_graph(settings: Settings) -> bool:
    return settings.store == "sharepoint" or settings.uses_entra_directory


def build_store(settings: Settings, graph: GraphServiceClient | None) -> IdeaStore:
    if settings.store == "sqlite":
        return SqliteStore(settings.sqlite_path)
    if settings.store == "sharepoint":
        if not settings.sharepoint_site:
            raise SystemExit("DEN_STORE=sharepoint needs DEN_SHAREPOINT_SITE (the site id or URL).")
        return SharePointStore(graph, settings.sharepoint_site)  # a URL is resolved to the id once, at open
    raise SystemExit(f"DEN_STORE={settings.store!r} is not a store this app knows: use 'sqlite' or 'sharepoint'.")


def build_directory(settings: Settings, graph: GraphServiceClient | None) -> Directory:
    if settings.uses_entra_directory:
        rules = RoleRules.parse(settings.role_patterns, settings.dm_ids)
        return GraphDirectory(graph, rules, cache_seconds=settings.directory_cache_seconds)
    return OrgFileDirectory.from_file(settings.org_file)
