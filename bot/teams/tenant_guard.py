"""Bot Framework middleware: refuse activities from a tenant other than the ministry's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from botbuilder.core import InvokeResponse, Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from bot.edge.turns import FORBIDDEN, as_dict, refused_tenant, tenant_of


class TenantGuard(Middleware):
    def __init__(self, tenant_id: str) -> None:
        self._tenant_id = tenant_id.lower()

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable]) -> None:
        tenant = tenant_of(context.activity, as_dict(context.activity.channel_data)).lower()
        if tenant == self._tenant_id:
            await logic()
            return
        refused_tenant(tenant)
        if context.activity.type == ActivityTypes.invoke:
            await context.send_activity(
                Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=FORBIDDEN.status))
            )
