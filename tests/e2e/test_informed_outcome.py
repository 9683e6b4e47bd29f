"""People the routing rules only keep informed hear how the idea ended, over HTTP: the real app, the
demo org, a routing file where the manager is told at submission, the director decides and the ADM
is told on approval.

Whoever heard of the idea before it ended is told the outcome (approved for the Den, not approved,
withdrawn) once, in their own language; whoever is informed by the very decision that ends it gets
the informational card only; whoever never heard of the idea hears nothing.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from cards import verbs
from tests.support.fake_connector import FakeConnector
from tests.support.people import AMIR, DIANE, MAYA, SAM, TENANT_ID, VALID_PITCH
from tests.support.running_app import RunningApp, settings_for_test, start_app
from tests.support.teams_client import TeamsClient, User, action, button, nodes, texts, verbs_on

ROUTING = """
second_look: true
default:
  decide: [manager, director, adm]
rules:
  - name: director-decides
    cost_band: [under_10k]
    decide: [director]
    inform: [manager, adm]
    why: "Under $10,000 the director decides; the manager and the ADM are kept informed."
"""
ASKS = "An idea needs your decision"


@pytest.fixture
async def app(tmp_path, connector):
    routing = tmp_path / "routing.yml"
    routing.write_text(ROUTING, encoding="utf-8")
    running = await start_app(settings_for_test(tmp_path / "den.sqlite3", routing_file=str(routing)))
    yield running
    await running.stop()


@pytest.fixture
async def teams(app: RunningApp, connector: FakeConnector) -> TeamsClient:
    client = TeamsClient(app.messages_url, connector.url, TENANT_ID)
    for person in (SAM, MAYA, DIANE, AMIR):
        await client.install(person)
    return client


def summaries(connector: FakeConnector, user: User) -> list[str]:
    """What the person was sent (new messages; a card replaced in place is not a new message)."""
    sent = connector.to(user.conversation_id)
    return [s.activity["summary"] for s in sent if s.activity.get("summary") and s.method == "POST"]


async def card_to(connector: FakeConnector, user: User, summary: str) -> dict:
    def ready(c: FakeConnector):
        found = [card for s in c.to(user.conversation_id) if s.activity.get("summary") == summary for card in s.cards]
        return found[-1] if found else None

    return await connector.wait_for(ready)


async def pitch(teams: TeamsClient, user: User, title: str) -> tuple[dict, str]:
    result = await teams.click(
        user, {"verb": verbs.PITCH_SUBMIT, "data": {"formId": None}}, {**VALID_PITCH, "title": title,
                                                                        "cost_band": "under_10k"}
    )  # fmt: skip
    assert "Thanks, your idea is in!" in texts(result.card)
    found = re.search(r"DEN-\d{4}-\d{4}", texts(result.card))
    assert found, texts(result.card)
    return result.card, found.group(0)


async def quiet(connector: FakeConnector, rounds: int = 40) -> None:
    """Let the outbox deliver whatever is due (nothing new for a while)."""
    seen = -1
    for _ in range(rounds):
        count = len(connector.sent)
        if count == seen:
            return
        seen = count
        await asyncio.sleep(0.1)


async def test_the_informed_manager_hears_the_approval_once_in_french(teams, connector):
    await teams.say(MAYA, "français")
    _, reference = await pitch(teams, SAM, "Tell us *once*")
    fyi = await card_to(connector, MAYA, f"Pour information\u00a0: {reference}")
    assert not any(n.get("verb") == verbs.APPROVE for n in nodes(fyi))
    decided = await teams.click(DIANE, action(await card_to(connector, DIANE, ASKS), verbs.APPROVE), {"comment": ""})
    assert decided.status == 200

    told = await card_to(connector, MAYA, f"{reference}\u00a0: approuvée pour Deputy's Den")
    assert told["lang"] == "fr"
    shown = texts(told)
    assert "L’idée de Sam Chen dont vous receviez les avis est approuvée." in shown
    assert "Tell us \\*once\\*" in shown, "the title as typed, escaped for markdown"
    assert verbs_on(told) == [verbs.VIEW_IDEA]
    # The ADM is informed by the approval itself: the card for information, not a second one.
    await card_to(connector, AMIR, f"For your information: {reference}")
    await quiet(connector)
    assert summaries(connector, MAYA).count(f"{reference}\u00a0: approuvée pour Deputy's Den") == 1
    assert [s for s in summaries(connector, AMIR) if reference in s] == [f"For your information: {reference}"]


async def test_the_informed_manager_hears_a_rejection_with_its_reason(teams, connector):
    _, reference = await pitch(teams, SAM, "Tell us once")
    await card_to(connector, MAYA, f"For your information: {reference}")
    asked = await card_to(connector, DIANE, ASKS)
    await teams.click(DIANE, action(asked, verbs.REJECT), {"comment": "Not this **year**"})

    told = await card_to(connector, MAYA, f"{reference}: not approved")
    assert "The idea from Sam Chen that you were kept informed of was not approved." in texts(told)
    assert "Not this \\*\\*year\\*\\*" in texts(told), "the director's reason, escaped"
    await quiet(connector)
    assert not [s for s in summaries(connector, AMIR) if reference in s], "never told of it: nothing to close"
    assert summaries(connector, MAYA).count(f"{reference}: not approved") == 1


async def test_the_informed_manager_hears_a_withdrawal_and_the_holders_card_is_updated_in_place(teams, connector):
    receipt, reference = await pitch(teams, SAM, "Tell us once")
    await card_to(connector, MAYA, f"For your information: {reference}")
    await card_to(connector, DIANE, ASKS)
    withdrawn = await teams.click(SAM, button(receipt, verbs.WITHDRAW), {"withdrawReason": "Another team has it"})
    assert "is withdrawn" in texts(withdrawn.card)
    again = await teams.click(SAM, button(receipt, verbs.WITHDRAW), {})
    assert "can't be withdrawn" in again.message

    told = await card_to(connector, MAYA, f"{reference}: withdrawn")
    assert "Sam Chen withdrew the idea you were kept informed of." in texts(told)
    assert "Another team has it" in texts(told)
    await quiet(connector)
    assert summaries(connector, MAYA).count(f"{reference}: withdrawn") == 1
    assert summaries(connector, DIANE).count(f"{reference}: withdrawn") == 0, "her request says it, no second card"
    replaced = [s for s in connector.to(DIANE.conversation_id) if s.method == "PUT"]
    assert len(replaced) == 1 and "Sam Chen withdrew this idea." in texts(replaced[0].cards[0]), "in place"
