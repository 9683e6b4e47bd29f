"""Bot Framework middleware: refuse activities from a tenant other than the ministry's."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from botbuilder.core import InvokeResponse, Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes

log = logging.getLogger(__name__)


def tenant_of(activity: Activity) -> str:
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = (channel_data.get("tenant") or {}).get("id")
    if not tenant and activity.conversation is not None:
        tenant = activity.conversation.tenant_id
    return tenant or ""


class TenantGuard(Middleware):
    def __init__(self, tenant_id: str) -> None:
        self._tenant_id = tenant_id.lower()

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable]) -> None:
        tenant = tenant_of(context.activity).lower()
        if tenant == self._tenant_id:
            await logic()
            return
        log.warning("activity from another tenant refused", extra={"tenant_id": tenant or "(none)"})
        if context.activity.type == ActivityTypes.invoke:
            await context.send_activity(
                Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=int(HTTPStatus.FORBIDDEN)))
            )
