"""The SharePoint site setting: a site id is used as is; a site URL is resolved once to its id.

Graph documents two ways to address a site: its composite id (`host,collection-guid,web-guid`)
and, to look one up, `GET /sites/{hostname}:/{server-relative path}`. The URL form is sent once,
written out by hand (the SDK's URL template would percent-encode the colon and slashes, a form
Graph does not document), and the id it returns is used for every request after.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient

from bot.adapters.graph_client import fresh_headers


def is_site_url(site: str) -> bool:
    return site.startswith("http://") or site.startswith("https://")


def site_lookup_path(site: str) -> str:
    """`https://contoso.sharepoint.com/sites/den/` -> `/sites/contoso.sharepoint.com:/sites/den`."""
    parts = urlsplit(site)
    path = parts.path.rstrip("/")
    if not parts.hostname:
        raise ValueError(f"not a site URL: {site!r}")
    return f"/sites/{parts.hostname}:{quote(path) if path else '/'}"


async def resolve_site_id(client: GraphServiceClient, site: str) -> str:
    """The site's id. A URL costs one request (`?$select=id`); an id costs none."""
    if not is_site_url(site):
        return site
    url = f"{client.request_adapter.base_url}{site_lookup_path(site)}?$select=id"
    found = await client.sites.by_site_id("lookup").with_url(url).get(
        request_configuration=RequestConfiguration(headers=fresh_headers())
    )
    if found is None or not found.id:
        raise LookupError(f"Graph returned no id for {site}")
    return found.id
