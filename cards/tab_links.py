"""The cards' *View* buttons as links into the Den tab: an idea opens on its page in the tab.

Every card that shows an idea carries `view_idea` (an Action.Execute naming the idea). Just before a
card leaves (a turn's answer, a notification, a channel post), `with_tab_links` turns each of those
into an Action.OpenUrl to the idea's page in the tab, with the same title. The link is a Teams deep
link to the app's personal tab, as Microsoft documents it for a tab's sub-entity:

    https://teams.microsoft.com/l/entity/<appId>/<entityId>?webUrl=<fallback>&context=<JSON>

with `context` = {"subEntityId": "idea:<id>"} (URL-encoded JSON), which the tab reads from its Teams
context (`page.subPageId`) to open that idea. The personal tab is the one every person has with the
app, so the link works from a chat, a channel post or a digest alike (a channel tab is added by a
team, or not: a link to it would fail where it was never added). `webUrl` is the page itself, for a
client that cannot show the tab. With no Teams app id (a local trial with authentication off), the
link is the tab's own page, signed in as the card's reader, in their language, so Agents Playground
opens it in a browser window. Where there is neither, the buttons stay as they are (the details card
in the chat).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from cards import verbs

PERSONAL_TAB_ENTITY = "den"  # the manifest's staticTabs entityId of the Den tab


@dataclass(frozen=True)
class TabLinks:
    """How an idea's page in the tab is reached. `app_id`: the Teams app's (manifest) id; `base_url`:
    where the app is served (its tab is `<base_url>/tab`); `demo`: authentication is off, so the
    fallback page may say whom to sign in as."""

    app_id: str = ""
    base_url: str = ""
    demo: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.app_id or (self.demo and self.base_url))

    def page(self, idea_id: str, *, reader_id: str = "", locale: str = "") -> str:
        """The tab's own page for the idea (outside Teams); in a demo, signed in as the reader."""
        return self._page(f"idea/{quote(idea_id, safe='')}", reader_id, locale)

    def _page(self, route: str, reader_id: str = "", locale: str = "") -> str:
        params = {"as": reader_id, "lang": locale} if self.demo else {}
        kept = {k: v for k, v in params.items() if v}
        query = f"?{urlencode(kept)}" if kept else ""
        return f"{self.base_url.rstrip('/')}/tab{query}#/{route}"

    def deep_link(self, idea_id: str) -> str:
        """The Teams deep link to the idea in the personal tab (with the page as the web fallback)."""
        return self._deep_link(f"idea:{idea_id}", self.page(idea_id))

    def _deep_link(self, sub_entity: str, page: str) -> str:
        context = json.dumps({"subEntityId": sub_entity}, separators=(",", ":"))
        link = f"https://teams.microsoft.com/l/entity/{quote(self.app_id, safe='')}/{PERSONAL_TAB_ENTITY}?"
        fallback = f"webUrl={quote(page, safe='')}&" if self.base_url else ""
        return f"{link}{fallback}context={quote(context, safe='')}"

    def information(self, *, reader_id: str = "", locale: str = "") -> str:
        """The tab's "My information" page: the Teams deep link to it (sub-page `information`), or in a
        demo the tab's own page, signed in as the reader; "" where the tab cannot be reached."""
        if self.app_id:
            return self._deep_link("information", self._page("information"))
        return self._page("information", reader_id, locale) if self.enabled else ""

    def for_reader(self, reader_id: str = "", locale: str = "") -> Callable[[str], str] | None:
        """idea id -> link, for one reader; None when the tab cannot be reached from a card."""
        if self.app_id:
            return self.deep_link
        if self.enabled:
            return lambda idea_id: self.page(idea_id, reader_id=reader_id, locale=locale)
        return None


def _is_view(node: dict[str, Any]) -> bool:
    data = node.get("data")
    return (
        node.get("type") == "Action.Execute"
        and node.get("verb") == verbs.VIEW_IDEA
        and isinstance(data, dict)
        and isinstance(data.get("ideaId"), str)
    )


def with_tab_links(card: dict[str, Any], link: Callable[[str], str] | None, *, keep_without: bool = True) -> dict:
    """The card with each *View* button opening the idea in the tab (`link`: idea id -> URL). Without
    a link the buttons stay (they post the details card), unless `keep_without` is False (a channel
    post: a details card posted in a channel would be read by everyone there), then they go.
    Returns the card itself when nothing changes, else a changed copy."""

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            kept = [walk(item) for item in node]
            return [item for item in kept if item is not None]
        if not isinstance(node, dict):
            return node
        if _is_view(node):
            if link is None:
                return node if keep_without else None
            return {"type": "Action.OpenUrl", "title": node.get("title", ""), "url": link(node["data"]["ideaId"])}
        changed = {key: walk(value) for key, value in node.items()}
        if changed.get("type") == "ActionSet" and not changed.get("actions"):
            return None
        return changed

    if link is None and keep_without:
        return card
    result = walk(card)
    if "actions" in result and not result["actions"]:
        del result["actions"]
    return result
