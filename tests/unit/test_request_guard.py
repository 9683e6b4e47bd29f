"""The request guard: size, JSON, activity shape and connector host, checked before any handler."""

from __future__ import annotations

import json
import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.ports.service_urls import ServiceUrlAllowList
from bot.web.request_guard import READ_ACTIVITY, GuardSettings, Unreadable, request_guard
from tests.support.hostile import nested

CONNECTOR = "https://smba.trafficmanager.net/amer/"


def activity(**overrides):
    base = {
        "type": "message",
        "id": "1",
        "serviceUrl": CONNECTOR,
        "channelId": "msteams",
        "from": {"id": "29:a", "name": "Sam", "aadObjectId": "a"},
        "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": "t"},
        "recipient": {"id": "28:bot", "name": "Den"},
        "text": "hello",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not ...}


@pytest.fixture
async def client():
    reached: list[dict] = []

    async def handler(request: web.Request) -> web.Response:
        reached.append(await request.json())
        return web.Response(status=201)

    guard = request_guard(GuardSettings(ServiceUrlAllowList(CONNECTOR), max_body_bytes=4096))
    app = web.Application(middlewares=[guard], client_max_size=4097)
    app.router.add_post("/api/messages", handler)
    app.router.add_post("/other", handler)
    test_client = TestClient(TestServer(app))
    await test_client.start_server()
    test_client.reached = reached
    yield test_client
    await test_client.close()


async def post(client, body, content_type="application/json"):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    response = await client.post("/api/messages", data=data, headers={"Content-Type": content_type})
    return response.status, (await response.json() if response.status >= 400 else None)


async def test_a_good_activity_reaches_the_handler_with_its_body_intact(client):
    status, _ = await post(client, activity())
    assert status == 201
    assert client.reached == [activity()]


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"x" * 5000, 413, "body too large"),
        (b"{", 400, "malformed JSON"),
        (b"null", 400, "activity is not a JSON object"),
        (b"[]", 400, "activity is not a JSON object"),
        (b"\xff\xfe{}", 400, "body is not UTF-8"),
        (b'{"type": NaN}', 400, "malformed JSON"),
        (json.dumps(nested(40)).encode(), 400, "JSON nested too deeply"),
        (b"[" * 2000 + b"]" * 2000, 400, "JSON nested too deeply"),
        (activity(serviceUrl=...), 400, "serviceUrl missing"),
        (activity(serviceUrl="https://evil.example/"), 403, "serviceUrl not allowed"),
        (activity(serviceUrl=["x"]), 403, "serviceUrl not allowed"),
        (activity(type=None), 400, "activity type missing or not a string"),
        (activity(type={"a": 1}), 400, "activity type missing or not a string"),
        (activity(conversation=None), 400, "conversation id missing"),
        (activity(conversation={"id": 5}), 400, "conversation id missing"),
        (activity(**{"from": "someone"}), 400, "from: not an object"),
        (activity(**{"from": {"id": "x", "name": ["a"]}}), 400, "from: name is not a short string"),
        (activity(text={"nested": True}), 400, "text is not a string"),
        (activity(locale=12), 400, "locale is not a short string"),
        (activity(membersAdded="everyone"), 400, "membersAdded is not a list of objects"),
        (activity(channelData=[1]), 400, "channelData is not an object"),
    ],
)
async def test_bad_bodies_are_refused_before_the_handler(client, caplog, body, status, reason):
    caplog.set_level(logging.WARNING, logger="bot.web.request_guard")
    got, answer = await post(client, body)
    assert (got, answer["error"]["message"]) == (status, reason)
    assert client.reached == []
    logged = [r for r in caplog.records if r.getMessage() == "request refused"]
    assert logged and logged[0].reason == reason and logged[0].status == status
    assert "Sam" not in caplog.text and "hello" not in caplog.text, "no personal data in the log"


async def test_a_body_that_is_not_json_is_415(client):
    assert (await post(client, "hello", content_type="text/plain"))[0] == 415
    assert client.reached == []


async def test_a_huge_declared_length_is_refused_before_reading(client):
    response = await client.post(
        "/api/messages", data=b"{}", headers={"Content-Type": "application/json", "Content-Length": "2"}
    )
    assert response.status == 400  # {} has no type: read, parsed, refused
    response = await client.post("/api/messages", data=b"x" * 10_000, headers={"Content-Type": "application/json"})
    assert response.status == 413


async def test_other_paths_are_left_alone(client):
    response = await client.post("/other", data=json.dumps({"any": "thing"}))
    assert response.status == 201


async def test_the_handlers_reader_runs_once_and_its_result_reaches_the_handler():
    """botbuilder's deserializer is the guard's last check; the handler gets what it read, so each
    activity is read once. An activity it cannot read is refused like any other bad body."""
    reads: list[dict] = []
    got: list[object] = []

    def reader(body: dict) -> tuple[str, str]:
        reads.append(body)
        if body.get("text") == "unreadable":
            raise Unreadable("activity cannot be read")
        return ("read", body["text"])

    async def handler(request: web.Request) -> web.Response:
        got.append(request.get(READ_ACTIVITY))
        return web.Response(status=201)

    guard = request_guard(GuardSettings(ServiceUrlAllowList(CONNECTOR), max_body_bytes=4096), reader=reader)
    app = web.Application(middlewares=[guard])
    app.router.add_post("/api/messages", handler)
    async with TestClient(TestServer(app)) as test_client:
        assert (await post(test_client, activity()))[0] == 201
        assert (await post(test_client, activity(text="unreadable"))) == (
            400,
            {"error": {"code": "400", "message": "activity cannot be read"}},
        )
    assert got == [("read", "hello")] and len(reads) == 2


def test_botbuilders_reader_refuses_what_it_cannot_read():
    from bot.teams.edge import read_activity

    assert read_activity(activity()).text == "hello"
    with pytest.raises(Unreadable):
        read_activity(activity(timestamp="not a time"))


def test_the_agents_sdks_reader_refuses_what_it_cannot_read():
    from bot.agents_sdk.edge import read_activity

    assert read_activity(activity()).text == "hello"
    for unreadable in (activity(timestamp="not a time"), activity(conversation=None), activity(type="")):
        with pytest.raises(Unreadable):
            read_activity(unreadable)
