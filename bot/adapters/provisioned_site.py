"""The SharePoint site setting: a site id is used as is, a site URL in Graph's `host:/path:` form."""

from __future__ import annotations

from urllib.parse import urlsplit


def resolve_site_id(site: str) -> str:
    if site.startswith("http"):
        parts = urlsplit(site)
        return f"{parts.hostname}:{parts.path.rstrip('/') or '/'}:"
    return site
