"""Sends activities to the bot over HTTP, shaped as Teams sends them in a personal chat.

Fields follow what Teams (and Agents Playground) put on the wire: `from.aadObjectId`,
`conversation.conversationType = personal`, `conversation.tenantId`, `channelData.tenant`,
`serviceUrl`, `locale`, and for card buttons an `adaptiveCard/action` invoke whose
`value.action.data` carries the card's data merged with the inputs' values.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import aiohttp

from cards import verbs

BOT_ID = "28:deputys-den-bot"
BOT_NAME = "Deputy's Den"


@dataclass(frozen=True)
class User:
    aad_id: str
    name: str

    @property
    def channel_id(self) -> str:
        return f"29:{self.aad_id}"

    @property
    def conversation_id(self) -> str:
        return f"a:personal-{self.aad_id}"


@dataclass
class InvokeResult:
    status: int
    body: dict[str, Any] | None

    @property
    def card(self) -> dict[str, Any]:
        assert self.body and self.body.get("type") == "application/vnd.microsoft.card.adaptive", self.body
        return self.body["value"]

    @property
    def message(self) -> str:
        assert self.body and self.body.get("type") == "application/vnd.microsoft.activity.message", self.body
        return self.body["value"]


class TeamsClient:
    def __init__(
        self,
        bot_url: str,
        service_url: str,
        tenant_id: str,
        *,
        token: str | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.session = session  # reuse connections (the benchmark); tests open one per request
        self.bot_url = bot_url
        self.service_url = service_url
        self.tenant_id = tenant_id
        self.token = token
        self._ids = itertools.count(1)

    def _base(self, user: User, activity_type: str, locale: str = "en-US") -> dict[str, Any]:
        return {
            "type": activity_type,
            "id": f"f:{next(self._ids)}",
            "timestamp": datetime.now(UTC).isoformat(),
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": {"id": user.channel_id, "name": user.name, "aadObjectId": user.aad_id},
            "conversation": {"conversationType": "personal", "tenantId": self.tenant_id, "id": user.conversation_id},
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "entities": [{"type": "clientInfo", "locale": locale, "country": "CA", "platform": "Web"}],
            "channelData": {"tenant": {"id": self.tenant_id}},
            "locale": locale,
        }

    async def post(self, activity: dict[str, Any], *, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        all_headers = {"Content-Type": "application/json"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        all_headers.update(headers or {})
        if self.session is not None:
            return await self._post(self.session, activity, all_headers)
        async with aiohttp.ClientSession() as session:
            return await self._post(session, activity, all_headers)

    async def _post(self, session: aiohttp.ClientSession, activity: dict, headers: dict) -> tuple[int, Any]:
        async with session.post(self.bot_url, json=activity, headers=headers) as response:
            text = await response.text()
            try:
                body = await response.json(content_type=None) if text else None
            except ValueError:
                body = text
            return response.status, body

    async def install(self, user: User) -> int:
        activity = self._base(user, "conversationUpdate")
        activity["membersAdded"] = [{"id": BOT_ID}, {"id": user.channel_id, "aadObjectId": user.aad_id}]
        activity["channelData"]["eventType"] = "teamMemberAdded"
        status, _ = await self.post(activity)
        return status

    async def say(self, user: User, text: str, *, locale: str = "en-US") -> int:
        activity = self._base(user, "message", locale)
        activity["text"] = text
        activity["textFormat"] = "plain"
        status, _ = await self.post(activity)
        return status

    async def click(
        self, user: User, action: dict[str, Any], inputs: dict[str, Any] | None = None, **overrides: Any
    ) -> InvokeResult:
        """Press an Action.Execute button of a card, with what the user typed into its inputs."""
        activity = self._base(user, "invoke")
        activity["name"] = "adaptiveCard/action"
        activity["replyToId"] = str(uuid.uuid4())
        activity["value"] = {
            "action": {
                "type": "Action.Execute",
                "title": action.get("title", ""),
                "verb": action["verb"],
                "data": {**action.get("data", {}), **(inputs or {})},
            },
            "trigger": "manual",
        }
        activity.update(overrides)
        status, body = await self.post(activity)
        return InvokeResult(status, body if isinstance(body, dict) else None)


_TAB_IDEA = re.compile(r"(?:/tab(?:\?[^#]*)?#/idea/|subEntityId%22%3A%22idea%3A)([0-9A-Za-z-]+)")


def tab_idea_id(candidate: dict[str, Any]) -> str:
    """The idea a View link opens in the Den tab (cards/tab_links.py), or "" for any other button."""
    found = _TAB_IDEA.search(str(candidate.get("url", ""))) if candidate.get("type") == "Action.OpenUrl" else None
    return unquote(found.group(1)) if found else ""


def as_clicked(candidate: dict[str, Any]) -> dict[str, Any]:
    """A button as the tests click it. A View button is a link to the idea's page in the Den tab;
    following it here asks the chat for the same idea's details card (what the button does where
    there is no tab to open), so the flows after it stay testable in the chat."""
    idea_id = tab_idea_id(candidate)
    if idea_id:
        return {"type": "Action.Execute", "title": candidate.get("title", ""), "verb": verbs.VIEW_IDEA,
                "data": {"ideaId": idea_id}, "url": candidate["url"]}
    return candidate


def verbs_on(card: dict[str, Any]) -> list[str]:
    """The verbs of a card's buttons, a View link to the tab counting as View."""
    return [as_clicked(a).get("verb", a.get("type", "")) for a in card.get("actions", [])]


def action(card: dict[str, Any], verb: str) -> dict[str, Any]:
    """The card's Action.Execute with that verb (fails the test if the card has none)."""
    for candidate in map(as_clicked, card.get("actions", [])):
        if candidate.get("verb") == verb:
            return candidate
    raise AssertionError(f"no action with verb {verb!r} in card: {verbs_on(card)}")


def nodes(card: Any) -> Iterator[dict[str, Any]]:
    """Every element, action and input of a card, depth first."""
    if isinstance(card, dict):
        yield card
        for value in card.values():
            yield from nodes(value)
    elif isinstance(card, list):
        for item in card:
            yield from nodes(item)


def texts(card: dict[str, Any]) -> str:
    """Every piece of visible text in a card, joined, for assertions."""
    keys = ("text", "title", "value", "label", "placeholder")
    return "\n".join(node[key] for node in nodes(card) for key in keys if isinstance(node.get(key), str))


def input_values(card: dict[str, Any]) -> dict[str, str]:
    return {
        node["id"]: node.get("value", "")
        for node in nodes(card)
        if str(node.get("type", "")).startswith("Input.") and "id" in node
    }


def button(card: dict[str, Any], verb: str) -> dict[str, Any]:
    """The first Action.Execute with that verb anywhere in the card (body ActionSets included)."""
    for node in map(as_clicked, nodes(card)):
        if node.get("type") == "Action.Execute" and node.get("verb") == verb:
            return node
    raise AssertionError(f"no {verb} button")


def bilingual_problems(card: dict[str, Any], summary: str) -> list[str]:
    """What keeps a channel post from being one card in both official languages: its notification
    ("English · French") names both titles, each title is on the card, the second language sits in its
    own part under a separator, and each button appears once."""
    problems = []
    titles = summary.split(" · ")
    if len(titles) != 2 or titles[0] == titles[1]:
        problems.append(f"the notification names one language: {summary!r}")
    shown = texts(card)
    problems += [f"{title!r} is not on the card" for title in titles if title not in shown]
    second = card["body"][-1]
    if second.get("type") != "Container" or not second.get("separator"):
        problems.append("the second language is not a part of its own")
    elif titles[-1] not in texts({"body": second["items"]}):
        problems.append("the second part is not in the second language")
    buttons = nodes([card["body"], card.get("actions", [])])  # not the refresh: it is no button
    verbs = [(n.get("verb"), json.dumps(n.get("data"), sort_keys=True)) for n in buttons if n.get("verb")]
    if len(verbs) != len(set(verbs)):
        problems.append("a button appears twice")
    return problems
