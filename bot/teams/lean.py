"""A lean Bot Framework turn: the same botbuilder pipeline, without the per-turn waste.

botbuilder-python 4.17.1 does on every turn what it only needs to do once:
- it builds a new `ConnectorClient` (and with it a new aiohttp session and new TCP connections,
  and new app credentials whose token cache starts empty) and a new `UserTokenClient`;
- each of those constructs msrest's `ClientRetryPolicy`, whose constructor scans `range(999)`
  against a 501-item list (milliseconds each);
- it serializes the invoke response through msrest's Serializer, about ten times `json.dumps`,
  and answers 500 when the handler's body is a plain dict;
- it deep-copies every activity a turn sends, the invoke response (the whole card) included.

`LeanCloudAdapter` keeps CloudAdapter's authentication, middleware and turn pipeline and changes
only this: a token it refuses is always a 401 (not a 500); connector clients are kept per service
URL and audience (so are their credentials and their connections), the user-token client is made
only if a turn asks for it (OAuth prompts; the Den has none), and an invoke response whose body is
a dict is written with `json.dumps`; an activity the request guard has already deserialized (`read_activity` in edge.py)
is not deserialized again. `answer_invoke` leaves the invoke response for the adapter without the deep copy.
`fix_msrest_retry_scan()` computes the retry codes once for the whole process.
Everything here depends on botbuilder's internals as of 4.17.1 (pinned in requirements.txt).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from aiohttp.web import (
    HTTPBadRequest,
    HTTPUnauthorized,
    HTTPUnsupportedMediaType,
    Request,
    Response,
)
from botbuilder.core import Bot, InvokeResponse, TurnContext
from botbuilder.core.bot_framework_adapter import TokenExchangeRequest
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.auth import (
    AuthenticateRequestResult,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from msrest.universal_http.requests import ClientRetryPolicy
from urllib3.util.retry import Retry

# ---- msrest's retry codes, once per process ---------------------------------------------------
_RETRY_CODES = frozenset(i for i in range(999) if i not in frozenset(ClientRetryPolicy.safe_codes))
_RETRIED_METHODS = ["HEAD", "TRACE", "GET", "PUT", "OPTIONS", "DELETE", "POST", "PATCH"]


def _lean_retry_policy_init(self: ClientRetryPolicy) -> None:
    """msrest's ClientRetryPolicy.__init__, with the status list computed once instead of each time."""
    self.policy = Retry()
    self.policy.total = 3
    self.policy.connect = 3
    self.policy.read = 3
    self.policy.backoff_factor = 0.8
    self.policy.BACKOFF_MAX = 90
    self.policy.status_forcelist = _RETRY_CODES
    self.policy.method_whitelist = _RETRIED_METHODS


def fix_msrest_retry_scan() -> None:
    """Idempotent: every ClientRetryPolicy() after this reuses the codes computed at import."""
    ClientRetryPolicy.__init__ = _lean_retry_policy_init


# ---- connector clients kept per service URL --------------------------------------------------
class _KeptConnectors(ConnectorFactory):
    """Hands out one ConnectorClient per (app, service URL, audience), made on first use."""

    def __init__(self, kept: dict[tuple[str, str, str], Any], inner: ConnectorFactory, app_id: str) -> None:
        self._kept = kept
        self._inner = inner
        self._app_id = app_id

    async def create(self, service_url: str, audience: str = None) -> Any:  # noqa: RUF013 - botbuilder's signature
        key = (self._app_id, service_url, audience or "")
        client = self._kept.get(key)
        if client is None:
            client = self._kept[key] = await self._inner.create(service_url, audience)
        return client


class _UserTokenClientOnDemand(UserTokenClient):
    """Builds the real user-token client only when a turn first calls it (sign-in prompts do)."""

    def __init__(self, adapter: CloudAdapter, claims_identity: ClaimsIdentity) -> None:
        self._adapter = adapter
        self._claims = claims_identity
        self._client: UserTokenClient | None = None

    async def _real(self) -> UserTokenClient:
        if self._client is None:
            auth = self._adapter.bot_framework_authentication
            self._client = await auth.create_user_token_client(self._claims)
        return self._client

    async def get_user_token(self, user_id, connection_name, channel_id, magic_code):
        return await (await self._real()).get_user_token(user_id, connection_name, channel_id, magic_code)

    async def get_sign_in_resource(self, connection_name, activity, final_redirect):
        return await (await self._real()).get_sign_in_resource(connection_name, activity, final_redirect)

    async def sign_out_user(self, user_id, connection_name, channel_id):
        return await (await self._real()).sign_out_user(user_id, connection_name, channel_id)

    async def get_token_status(self, user_id, channel_id, include_filter):
        return await (await self._real()).get_token_status(user_id, channel_id, include_filter)

    async def get_aad_tokens(self, user_id, connection_name, resource_urls, channel_id):
        return await (await self._real()).get_aad_tokens(user_id, connection_name, resource_urls, channel_id)

    async def exchange_token(self, user_id, connection_name, channel_id, exchange_request: TokenExchangeRequest):
        return await (await self._real()).exchange_token(user_id, connection_name, channel_id, exchange_request)


class LeanCloudAdapter(CloudAdapter):
    """CloudAdapter with connector clients reused across turns and invoke bodies written as JSON."""

    def __init__(self, bot_framework_authentication) -> None:
        super().__init__(bot_framework_authentication)
        self._connectors: dict[tuple[str, str, str], Any] = {}

    async def process(
        self, request: Request, bot: Bot, ws_response=None, *, activity: Activity | None = None
    ) -> Response | None:
        """`activity`: the request's activity when the request guard has already read it."""
        if request.method != "POST":
            return await super().process(request, bot, ws_response)
        if activity is None:
            activity = await _read(request)
        try:
            invoke_response = await self.process_activity(
                request.headers.get("Authorization", ""), activity, bot.on_turn
            )
        except PermissionError as exc:
            raise HTTPUnauthorized() from exc
        if invoke_response:
            return invoke_json_response(invoke_response)
        return Response(status=201)

    async def process_activity(self, auth_header_or_authenticate_request_result, activity: Activity, logic):
        """CloudAdapterBase.process_activity, but with kept connectors and an on-demand user-token client."""
        if isinstance(auth_header_or_authenticate_request_result, str):
            result: AuthenticateRequestResult = await self._authenticate(
                activity, auth_header_or_authenticate_request_result
            )
        else:
            result = auth_header_or_authenticate_request_result
        activity.caller_id = result.caller_id
        if result.connector_factory is None:
            raise RuntimeError("Unable to extract ConnectorClient from turn context.")
        app_id = _app_id_of(result.claims_identity)
        factory = _KeptConnectors(self._connectors, result.connector_factory, app_id)
        connector_client = await factory.create(activity.service_url, result.audience)
        context = self._create_turn_context(
            activity,
            result.claims_identity,
            result.audience,
            connector_client,
            _UserTokenClientOnDemand(self, result.claims_identity),
            logic,
            factory,
        )
        await self.run_pipeline(context, logic)
        return self._process_turn_results(context)

    async def _authenticate(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        """botbuilder's check of the connector's token, every refusal a PermissionError (401).

        botbuilder 4.17.1 lets PyJWT's errors (an expired token, a bad signature) and its own
        (a key it does not know, an unendorsed key) out as they are, which the aiohttp integration
        answers with 500. A failure to reach the keys (OSError, requests' errors) stays a 500."""
        try:
            return await self.bot_framework_authentication.authenticate_request(activity, auth_header)
        except (PermissionError, OSError):
            raise
        except Exception as exc:
            raise PermissionError("the connector's token was refused") from exc

    async def close(self) -> None:
        """Close the kept connector clients' HTTP sessions (app shutdown)."""
        kept, self._connectors = list(self._connectors.values()), {}
        for client in kept:
            with contextlib.suppress(Exception):
                await client.__aexit__(None, None, None)


async def _read(request: Request) -> Activity:
    if "application/json" not in request.headers.get("Content-Type", ""):
        raise HTTPUnsupportedMediaType()
    try:
        body = await request.json()
    except ValueError as exc:
        raise HTTPBadRequest() from exc
    if not isinstance(body, dict):
        raise HTTPBadRequest()
    activity = Activity().deserialize(body)
    if not activity.type:
        raise HTTPBadRequest()
    return activity


def _app_id_of(claims_identity: ClaimsIdentity | None) -> str:
    claims = getattr(claims_identity, "claims", None) or {}
    return str(claims.get("appid") or claims.get("azp") or claims.get("aud") or "")


def answer_invoke(turn_context: TurnContext, response: InvokeResponse) -> None:
    """Leave the invoke response where the adapter reads it.

    What ActivityHandler would do through `TurnContext.send_activity`, minus its deep copy of the
    whole card (about 2 ms a click); ActivityHandler sees the response is there and sends nothing.
    """
    turn_context.turn_state[TurnContext._INVOKE_RESPONSE_KEY] = Activity(  # noqa: SLF001 - botbuilder 4.17.1
        type=ActivityTypes.invoke_response, value=response
    )


def invoke_json_response(invoke_response: InvokeResponse) -> Response:
    """Write an invoke response: dict bodies with json.dumps, SDK model bodies as the SDK would."""
    body = invoke_response.body
    if body is None or isinstance(body, (dict, list, str, int, float, bool)):
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    else:
        from botbuilder.core.serializer_helper import serializer_helper

        text = json.dumps(serializer_helper(body), ensure_ascii=False, separators=(",", ":"))
    return Response(
        body=text.encode("utf-8"), status=int(invoke_response.status or 200), content_type="application/json"
    )

