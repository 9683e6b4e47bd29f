"""The first thing every request to the bot's endpoint meets: size, JSON, shape, connector host.

Runs as an aiohttp middleware, so it comes before botbuilder, before authentication and before
any bot code. A body that is too large is answered 413, one that is not JSON (or is nested
absurdly deep) 415/400, an activity without the fields the pipeline relies on 400, and one
whose `serviceUrl` is not on the allow-list 403, so no request can make the app call a host
other than the configured connector. Each refusal is logged with its reason and sizes only:
no body, no names, no tokens, no client address.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.ports.service_urls import ServiceUrlAllowList

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 256 * 1024  # a full pitch in any script is ~40 KB of JSON; Teams sends far less
MAX_JSON_DEPTH = 32
MAX_JSON_NODES = 20_000
MAX_SHORT_STRING = 1024  # ids, names, types, locales: generous, but not a place to hide a megabyte

ActivityCheck = Callable[[dict[str, Any]], "str | None"]
# The handler's own reader of an activity (botbuilder's deserializer): it raises Unreadable for an
# activity the handler could not read, and what it returns is kept on the request under
# READ_ACTIVITY, so the handler reads each activity once.
ActivityReader = Callable[[dict[str, Any]], Any]
READ_ACTIVITY: web.RequestKey[Any] = web.RequestKey("den_read_activity", object)


class Unreadable(ValueError):
    """The handler's reader cannot read this activity (refused with 400)."""


class Refused(Exception):
    def __init__(self, status: int, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.details = details


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> Any:
    """Strict JSON (no NaN/Infinity), UTF-8 only; anything else raises Refused(400)."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise Refused(400, "body is not UTF-8") from exc
    except RecursionError as exc:
        raise Refused(400, "JSON nested too deeply") from exc
    except ValueError as exc:
        raise Refused(400, "malformed JSON") from exc


def check_shape(value: Any, *, max_depth: int = MAX_JSON_DEPTH, max_nodes: int = MAX_JSON_NODES) -> None:
    """Depth and size of a parsed document, without recursion (so a deep one cannot crash this)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    nodes = 0
    while stack:
        current, depth = stack.pop()
        nodes += 1
        if depth > max_depth:
            raise Refused(400, "JSON nested too deeply", depth=depth)
        if nodes > max_nodes:
            raise Refused(400, "JSON has too many values", nodes=nodes)
        if isinstance(current, dict):
            stack.extend((v, depth + 1) for v in current.values())
        elif isinstance(current, list):
            stack.extend((v, depth + 1) for v in current)


def _short_string(value: Any, *, required: bool = False) -> bool:
    if value is None:
        return not required
    return isinstance(value, str) and (bool(value) or not required) and len(value) <= MAX_SHORT_STRING


def _account(value: Any, *, required: bool) -> str | None:
    """None if `value` is a usable channel account (from / recipient / a member), else why not."""
    if value is None:
        return "missing" if required else None
    if not isinstance(value, dict):
        return "not an object"
    for key in ("id", "name", "aadObjectId", "role"):
        if not _short_string(value.get(key)):
            return f"{key} is not a short string"
    return None


def activity_problem(activity: Any, allow_list: ServiceUrlAllowList) -> Refused | None:
    """Why this activity must not reach the bot, or None. Checks what botbuilder and the bot read."""
    if not isinstance(activity, dict):
        return Refused(400, "activity is not a JSON object")
    if not _short_string(activity.get("type"), required=True):
        return Refused(400, "activity type missing or not a string")
    service_url = activity.get("serviceUrl")
    if service_url is None or service_url == "":
        return Refused(400, "serviceUrl missing")
    if not allow_list.allows(service_url):
        return Refused(403, "serviceUrl not allowed", service_host=allow_list.host_of(service_url))
    for key in ("id", "channelId", "locale", "name", "replyToId", "timestamp", "localTimestamp", "textFormat"):
        if not _short_string(activity.get(key)):
            return Refused(400, f"{key} is not a short string")
    if activity.get("text") is not None and not isinstance(activity.get("text"), str):
        return Refused(400, "text is not a string")
    conversation = activity.get("conversation")
    if not isinstance(conversation, dict) or not _short_string(conversation.get("id"), required=True):
        return Refused(400, "conversation id missing")
    for key in ("tenantId", "conversationType", "name"):
        if not _short_string(conversation.get(key)):
            return Refused(400, f"conversation {key} is not a short string")
    if conversation.get("isGroup") is not None and not isinstance(conversation.get("isGroup"), bool):
        return Refused(400, "conversation isGroup is not a boolean")
    for key, required in (("from", True), ("recipient", False)):
        problem = _account(activity.get(key), required=required)
        if problem:
            return Refused(400, f"{key}: {problem}")
    for key in ("membersAdded", "membersRemoved", "entities", "attachments"):
        items = activity.get(key)
        if items is not None and (not isinstance(items, list) or not all(isinstance(i, dict) for i in items)):
            return Refused(400, f"{key} is not a list of objects")
    for member in (activity.get("membersAdded") or []) + (activity.get("membersRemoved") or []):
        problem = _account(member, required=True)
        if problem:
            return Refused(400, f"member: {problem}")
    channel_data = activity.get("channelData")
    if channel_data is not None and not isinstance(channel_data, dict):
        return Refused(400, "channelData is not an object")
    return None


@dataclass(frozen=True)
class GuardSettings:
    allow_list: ServiceUrlAllowList
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    paths: tuple[str, ...] = ("/api/messages",)


def _refuse(request: web.Request, refused: Refused) -> web.Response:
    log.warning(
        "request refused",
        extra={"path": request.path, "status": refused.status, "reason": refused.reason, **refused.details},
    )
    return web.json_response({"error": {"code": str(refused.status), "message": refused.reason}}, status=refused.status)


def request_guard(
    settings: GuardSettings, extra_checks: Iterable[ActivityCheck] = (), reader: ActivityReader | None = None
) -> Callable[[web.Request, Callable[[web.Request], Awaitable[web.StreamResponse]]], Awaitable[web.StreamResponse]]:
    """The middleware. `extra_checks` may add deeper checks; `reader`, the handler's own reader
    (e.g. botbuilder's deserializer), is the last check, and what it read is kept for the handler."""
    checks = tuple(extra_checks)

    @web.middleware
    async def guard(request: web.Request, handler) -> web.StreamResponse:
        if request.method != "POST" or request.path not in settings.paths:
            return await handler(request)
        try:
            activity = await _check(request, settings, checks)
            if reader is not None:
                request[READ_ACTIVITY] = _read(reader, activity)
        except Refused as refused:
            return _refuse(request, refused)
        return await handler(request)

    return guard


def _read(reader: ActivityReader, activity: dict[str, Any]) -> Any:
    try:
        return reader(activity)
    except Unreadable as exc:
        raise Refused(400, str(exc) or "activity cannot be read") from exc


async def _check(request: web.Request, settings: GuardSettings, checks: tuple[ActivityCheck, ...]) -> dict[str, Any]:
    length = request.content_length
    if length is not None and length > settings.max_body_bytes:
        raise Refused(413, "body too large", bytes=length, limit=settings.max_body_bytes)
    if "application/json" not in request.headers.get("Content-Type", "").lower():
        raise Refused(415, "body is not application/json")
    try:
        body = await request.read()  # cached by aiohttp: the handler reads the same bytes again
    except web.HTTPRequestEntityTooLarge as exc:
        raise Refused(413, "body too large", limit=settings.max_body_bytes) from exc
    if len(body) > settings.max_body_bytes:
        raise Refused(413, "body too large", bytes=len(body), limit=settings.max_body_bytes)
    activity = parse_json(body)
    check_shape(activity)
    problem = activity_problem(activity, settings.allow_list)
    if problem is not None:
        raise problem
    for check in checks:
        reason = check(activity)
        if reason:
            raise Refused(400, reason)
    return activity
