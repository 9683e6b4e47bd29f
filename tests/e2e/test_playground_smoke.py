"""Smoke test in Microsoft's own local Teams client: Agents Playground, offline.

The real app on a loopback port; the Playground (installed by npm) pointed at it as an
msteams channel, with the demo organisation's people as its users. One pitch as Sam
through the Playground's conversation API, then one approval as Maya on the card the bot
sent her, found through the Playground's log stream (the same data its log panel shows).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil

import aiohttp
import pytest

from bot.settings import ROOT
from cards import verbs
from scripts.playground import PLAYGROUND_CLI
from tests.support.edges import both_edges
from tests.support.people import MAYA, SAM, VALID_PITCH
from tests.support.playground import playground
from tests.support.running_app import settings_for_test, start_app
from tests.support.teams_client import action, texts

pytestmark = [pytest.mark.playground, both_edges]

NODE = shutil.which("node")
if NODE is None:
    pytest.skip("Node.js is not installed, so Agents Playground cannot run here", allow_module_level=True)
if not (ROOT / PLAYGROUND_CLI).exists():
    if os.environ.get("CI"):
        raise RuntimeError("Agents Playground is missing: `make test` installs it with npm ci")
    pytest.skip("Agents Playground is not installed: run `npm ci --ignore-scripts`", allow_module_level=True)


async def next_matching(ws: aiohttp.ClientWebSocketResponse, predicate, seconds: float = 15.0):
    async def read():
        while True:
            message = await ws.receive()
            if message.type != aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"stream closed: {message.type}")
            data = json.loads(message.data)
            found = predicate(data)
            if found:
                return found

    return await asyncio.wait_for(read(), seconds)


def bot_card_in_conversation_stream(verb: str):
    def pick(event):
        message = event.get("message") or {}
        for attachment in message.get("attachments") or []:
            card = attachment.get("content") or {}
            if any(a.get("verb") == verb for a in card.get("actions", [])):
                return message["messageId"], card
        return None

    return pick


def bot_message_in_log(phrase: str):
    """The log stream records every call the bot made to the Playground's connector."""

    def pick(event):
        log = event.get("log") or {}
        body = (log.get("request") or {}).get("body") or {}
        if body.get("type") == "message" and phrase in json.dumps(body):
            reply_id = ((log.get("response") or {}).get("body") or {}).get("id")
            return log["conversationId"], reply_id, body
        return None

    return pick


def click(user, card_action: dict, inputs: dict, conversation_id: str, reply_to_id: str) -> dict:
    """The body the Playground's own client posts when someone presses an Action.Execute button."""
    return {
        "name": "adaptiveCard/action",
        "value": {
            "action": {
                "type": "Action.Execute",
                "verb": card_action["verb"],
                "data": {**card_action["data"], **inputs},
            },
            "trigger": "manual",
        },
        "from": {"id": user.aad_id},
        "conversation": {"id": conversation_id},
        "replyToId": reply_to_id,
    }


async def test_pitch_and_approve_through_agents_playground(tmp_path, teams_edge):
    settings = settings_for_test(tmp_path / "den.sqlite3", outbox_poll_seconds=0.2, teams_edge=teams_edge)
    app = await start_app(settings)
    try:
        async with playground(tmp_path, app.messages_url) as (base, session):
            conversations = await session.ws_connect(f"{base}/_ws_conversation/v1/conversations/stream")
            logs = await session.ws_connect(f"{base}/_ws/log/stream")

            async with session.post(
                f"{base}/_conversation/v1/conversations/personal-chat-id/messages",
                json={"from": {"id": SAM.aad_id}, "text": "pitch", "textFormat": "plain"},
            ) as response:
                assert response.status == 200, await response.text()
            message_id, form = await next_matching(conversations, bot_card_in_conversation_stream(verbs.PITCH_SUBMIT))

            invoke = click(SAM, action(form, verbs.PITCH_SUBMIT), VALID_PITCH, "personal-chat-id", message_id)
            async with session.post(f"{base}/_conversation/v1/invoke", json=invoke) as response:
                assert response.status == 200, await response.text()
                receipt = (await response.json())["value"]
            assert "Thanks, your idea is in!" in texts(receipt)

            conversation_id, card_id, sent = await next_matching(
                logs, bot_message_in_log("An idea needs your decision")
            )
            approve = action(sent["attachments"][0]["content"], verbs.APPROVE)
            invoke = click(MAYA, approve, {"comment": ""}, conversation_id, card_id)
            async with session.post(f"{base}/_conversation/v1/invoke", json=invoke) as response:
                assert response.status == 200, await response.text()
                decided = (await response.json())["value"]
            assert "You decided: Approved" in texts(decided)

            await next_matching(logs, bot_message_in_log("Maya Singh (Manager) approved your idea"))
            await conversations.close()
            await logs.close()
    finally:
        await app.stop()
