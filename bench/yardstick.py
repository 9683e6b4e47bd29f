"""The benchmarks' yardstick: a bare aiohttp server that answers a click with the same card.

No botbuilder, no store, no notifications: it reads the invoke activity and writes back the
card an approver sees after approving (built once at start-up from the Den's own card code),
as plain JSON. Whatever the Den costs per click is compared with this, measured in the same
run on the same machine, so the ratio holds on a noisy machine.

Run as its own process: `python -m bench.yardstick PORT`.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.domain.model import Idea, Outcome, Person, Role
from bot.domain.pitch import Pitch
from bot.i18n import Messages
from cards.approval import decided_card
from cards.common import CONTENT_TYPE
from tests.support.chains import build_chain

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


def sample_decided_card() -> dict[str, Any]:
    """The card the Den returns when a manager approves the first step of a three-step chain."""
    submitter = Person("sam", "Sam Chen", Role.STAFF, branch="Client Services Branch")
    line = [
        Person("maya", "Maya Singh", Role.MANAGER),
        Person("diane", "Diane Tremblay", Role.DIRECTOR),
        Person("amir", "Amir Haddad", Role.ADM),
    ]
    idea, _ = Idea.submit(
        idea_id="idea-1",
        reference="DEN-2026-0001",
        submitter=submitter,
        pitch=Pitch(
            title="Tell us once: one address change for every program",
            problem="Clients who move must tell six programs separately, and 1 in 5 letters goes to an old address.",
            solution="One address-change form that updates every program the client is enrolled in.",
            beneficiaries="clients",
            program_area="client_services",
            cost_band="50k_250k",
            first_steps="Map the six programs' address fields; pilot with two programs in one region.",
            people="Service Design team; two regional offices",
        ),
        chain=build_chain(submitter, line),
        now=NOW,
        line_ids=[p.id for p in line],
    )
    idea.decide(actor_id="maya", step_index=0, revision=1, outcome=Outcome.APPROVED, comment="", now=NOW)
    return decided_card(Messages("en-US"), idea, idea.decisions[-1])


def create_app() -> web.Application:
    card = sample_decided_card()

    async def messages(request: web.Request) -> web.Response:
        activity = await request.json()
        if activity.get("type") != "invoke":
            return web.Response(status=201)
        return web.json_response({"statusCode": 200, "type": CONTENT_TYPE, "value": card})

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=int(sys.argv[1]), print=None)
