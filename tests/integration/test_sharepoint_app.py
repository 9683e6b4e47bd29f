"""The whole app on the production adapters: SharePoint lists and Entra ID, through the real
msgraph-sdk, against the local Graph server; Teams traffic over HTTP as in the core-loop tests."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.settings import ROOT
from cards import verbs
from tests.support.fake_connector import FakeConnector
from tests.support.fake_graph import FakeGraph
from tests.support.graph_fixtures import StaticCredential, provisioned_site
from tests.support.inbox import cards_to
from tests.support.people import DANA, DIANE, MAYA, PRIYA, SAM, TENANT_ID, VALID_PITCH
from tests.support.running_app import RunningApp, settings_for_test, start_app
from tests.support.teams_client import TeamsClient, User, action, button, texts


def seed_directory(graph: FakeGraph) -> None:
    """The demo organisation as Entra ID users (no vacant positions there: Priya reports to Diane)."""
    people = json.loads((ROOT / "data" / "demo-org.json").read_text())["people"]
    vacant = {p["id"]: p["managerId"] for p in people if p.get("vacant")}
    for p in people:
        if p.get("vacant"):
            continue
        manager = p.get("managerId") or ""
        graph.add_user(p["id"], p["name"], p.get("jobTitle", ""), p.get("email", ""), vacant.get(manager, manager))


@pytest.fixture
async def site(fake_graph) -> str:
    seed_directory(fake_graph)
    return await provisioned_site(fake_graph)


def sharepoint_settings(tmp_path, fake_graph, site, **overrides):
    values = dict(
        store="sharepoint",
        sharepoint_site=site,
        graph_base_url=fake_graph.url,
        directory="entra",
        dm_ids=DANA.aad_id,
        spool_path=str(tmp_path / "spool.sqlite3"),
        spool_retry_seconds=0.2,
        outbox_poll_seconds=0.1,
        # Two instances share the tenant's Teams budget: one started after another sends nothing until the
        # first lowers its share at its next heartbeat (a minute in production; tests/e2e/test_shared_budget.py
        # covers that). These tests are about the lists: beats every half second.
        instance_heartbeat_seconds=0.5,
    )
    return settings_for_test(tmp_path / "unused.sqlite3", **{**values, **overrides})


async def start(tmp_path, fake_graph, site, **overrides) -> RunningApp:
    return await start_app(
        sharepoint_settings(tmp_path, fake_graph, site, **overrides), graph_credential=StaticCredential()
    )


def items(fake_graph: FakeGraph, site: str, list_name: str) -> list[dict]:
    sp = next(sp for sp in fake_graph.sites[site].values() if sp.name == list_name)
    return [i.fields for i in sp.items.values()]


def approval_cards(connector: FakeConnector, user: User) -> list[dict]:
    return [
        c
        for s in connector.to(user.conversation_id)
        for c in s.cards
        if any(a.get("verb") == verbs.APPROVE for a in c.get("actions", []))
    ]


async def pitch(teams: TeamsClient, user: User = SAM, title: str = VALID_PITCH["title"]):
    await teams.install(user)
    return await teams.click(
        user, {"verb": verbs.PITCH_SUBMIT, "data": {"formId": None}}, {**VALID_PITCH, "title": title}
    )


async def pitch_while_graph_is_down(app: RunningApp, connector: FakeConnector, fake_graph: FakeGraph) -> TeamsClient:
    """Sam (whose approver is Maya) pitches while Graph is down: his pitch is kept in the spool."""
    teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
    await teams.install(SAM)
    await teams.install(MAYA)
    fake_graph.down = True
    saved = await teams.click(SAM, {"verb": verbs.PITCH_SUBMIT, "data": {"formId": None}}, VALID_PITCH)
    assert saved.status == 200
    assert "Your idea is saved" in texts(saved.card)
    return teams


async def test_pitch_and_approval_are_recorded_in_sharepoint(tmp_path, fake_graph, site, connector):
    app = await start(tmp_path, fake_graph, site)
    try:
        teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
        for person in (MAYA, DIANE):
            await teams.install(person)
        receipt = await pitch(teams, title='Kids\' "Tell us once"')
        assert "Now with Maya Singh (Manager)" in texts(receipt.card), "the chain comes from Entra ID"
        card = await connector.wait_for(lambda c: (approval_cards(c, MAYA) or [None])[0])
        decided = await teams.click(MAYA, action(card, verbs.APPROVE), {"comment": "Yes"})
        assert "You decided: Approved" in texts(decided.card)
        await connector.wait_for(lambda c: approval_cards(c, DIANE) or None)

        [idea] = items(fake_graph, site, "DenIdeas")
        assert idea["IdeaTitle"] == 'Kids\' "Tell us once"' and idea["HolderId"] == DIANE.aad_id
        [decision] = items(fake_graph, site, "DenDecisions")
        assert decision["Outcome"] == "approved" and decision["Level"] == "manager"
        kinds = [o["Kind"] for o in items(fake_graph, site, "DenOutbox")]  # Maya asked; then her decision's two
        [group] = [o for o in items(fake_graph, site, "DenOutbox") if o["Kind"] == "group"]
        assert sorted(kinds) == ["approval_request", "group"]
        assert sorted(m["kind"] for m in json.loads(group["Payload"])["messages"]) == ["approval_request",
                                                                                       "decision_update"]
        assert {c["UserId"] for c in items(fake_graph, site, "DenConversations")} >= {SAM.aad_id, MAYA.aad_id}
    finally:
        await app.stop()


async def test_two_instances_approving_the_same_step_at_once_record_one_decision(tmp_path, fake_graph, site, connector):
    first = await start(tmp_path / "a", fake_graph, site)
    second = await start(tmp_path / "b", fake_graph, site)
    try:
        one = TeamsClient(first.messages_url, connector.url, TENANT_ID)
        two = TeamsClient(second.messages_url, connector.url, TENANT_ID)
        await one.install(MAYA)
        await pitch(one)
        card = await connector.wait_for(lambda c: (approval_cards(c, MAYA) or [None])[0])
        approve = action(card, verbs.APPROVE)
        results = await asyncio.gather(one.click(MAYA, approve, {}), two.click(MAYA, approve, {}))
        shown = [texts(r.card) for r in results]
        assert sum("You decided: Approved" in t for t in shown) == 1
        assert sum("This step was already decided" in t for t in shown) == 1, "the other sees the current state"
        assert len(items(fake_graph, site, "DenDecisions")) == 1
    finally:
        await first.stop()
        await second.stop()


async def test_a_429_storm_and_a_503_burst_are_ridden_out(tmp_path, fake_graph, site, connector):
    app = await start(tmp_path, fake_graph, site)
    try:
        teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
        await teams.install(MAYA)
        fake_graph.fail_next(3, status=429, retry_after="1", path_part="/lists/DenIdeas")
        receipt = await pitch(teams)
        assert "Thanks, your idea is in!" in texts(receipt.card)
        card = await connector.wait_for(lambda c: (approval_cards(c, MAYA) or [None])[0], seconds=15)

        fake_graph.fail_next(2, status=503, retry_after=None, path_part="/lists/DenIdeas")
        decided = await teams.click(MAYA, action(card, verbs.APPROVE), {})
        assert "You decided: Approved" in texts(decided.card)
        assert not fake_graph.faults, "every injected fault was met and retried"
        assert len(items(fake_graph, site, "DenIdeas")) == 1
    finally:
        await app.stop()


async def test_graph_down_during_a_pitch_then_back_files_it_exactly_once(tmp_path, fake_graph, site, connector):
    app = await start(tmp_path, fake_graph, site, graph_max_retries=1)
    try:
        teams = await pitch_while_graph_is_down(app, connector, fake_graph)
        again = await teams.click(SAM, {"verb": verbs.PITCH_SUBMIT, "data": {"formId": None}}, VALID_PITCH)
        assert "Your idea is saved" in texts(again.card)
        await asyncio.sleep(0.5)
        assert items(fake_graph, site, "DenIdeas") == []

        fake_graph.down = False
        filed = await connector.wait_for(lambda c: cards_to(c, SAM, "Your idea is filed") or None, seconds=15)
        assert "DEN-" in texts(filed[0])
        await connector.wait_for(lambda c: len(approval_cards(c, MAYA)) >= 2 or None, seconds=15)
        await asyncio.sleep(0.5)
        assert len(items(fake_graph, site, "DenIdeas")) == 2, "each pitch filed once (two forms were sent)"
        assert len(approval_cards(connector, MAYA)) == 2
    finally:
        await app.stop()


async def test_priya_without_a_vacancy_in_entra_goes_to_her_director(tmp_path, fake_graph, site, connector):
    app = await start(tmp_path, fake_graph, site)
    try:
        teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
        receipt = await pitch(teams, user=PRIYA)
        assert "Now with Diane Tremblay (Director)" in texts(receipt.card)
    finally:
        await app.stop()


async def test_a_click_answers_within_its_budget_when_the_idea_update_is_throttled(tmp_path, fake_graph, site,
                                                                                  connector):
    app = await start(tmp_path, fake_graph, site, click_budget_seconds=1.5)
    try:
        teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
        for person in (MAYA, DIANE):
            await teams.install(person)
        await pitch(teams)
        card = await connector.wait_for(lambda c: (approval_cards(c, MAYA) or [None])[0])
        # Inside the decision's $batch, the idea's update is throttled for 30 s: longer than a click waits.
        fake_graph.fail_next(1, status=429, retry_after="30", path_part="/lists/DenIdeas/items/", method="PATCH")
        started = asyncio.get_running_loop().time()
        answered = await teams.click(MAYA, action(card, verbs.APPROVE), {})
        assert asyncio.get_running_loop().time() - started < 3
        assert "is being recorded" in answered.message
        await connector.wait_for(lambda c: approval_cards(c, DIANE) or None, seconds=15)
        [decision] = items(fake_graph, site, "DenDecisions")
        assert decision["Outcome"] == "approved" and decision["ApproverId"] == MAYA.aad_id
        again = await teams.click(MAYA, action(card, verbs.APPROVE), {})
        assert "already decided" in texts(again.card).lower() or "You decided" in texts(again.card)
        assert len(items(fake_graph, site, "DenDecisions")) == 1, "recorded once"
    finally:
        await app.stop()


async def test_a_spooled_pitch_is_filed_once_when_the_clash_is_not_a_409(tmp_path, fake_graph, site, connector):
    fake_graph.behaviours.unique_clash_status = 400
    app = await start(tmp_path, fake_graph, site, graph_max_retries=1)
    try:
        await pitch_while_graph_is_down(app, connector, fake_graph)
        # When Graph is back, the first write of the idea goes through but its answer is lost: the
        # store sends it again and meets its own row, refused with a 400.
        fake_graph.fail_next(1, status=503, retry_after="0", path_part="/lists/DenIdeas/items", method="POST",
                             applied=True)
        fake_graph.down = False

        def filed(c):
            return cards_to(c, SAM, "Your idea is filed")

        await connector.wait_for(lambda c: filed(c) or None, seconds=15)
        await connector.wait_for(lambda c: approval_cards(c, MAYA) or None, seconds=15)
        await asyncio.sleep(1.0)  # a few more spool rounds: nothing more may happen
        assert len(items(fake_graph, site, "DenIdeas")) == 1
        assert len(filed(connector)) == 1 and len(approval_cards(connector, MAYA)) == 1
        assert not fake_graph.faults
    finally:
        await app.stop()


async def test_lean_routes_on_sharepoint_with_out_of_office_from_outlook(tmp_path, fake_graph, site, connector):
    """Maya's Outlook automatic reply is on: her step moves on to Diane; Diane hands hers to an acting
    approver; Sam withdraws. Two instances share the lists, so the second sees what the first wrote."""
    fake_graph.set_automatic_replies(MAYA.aad_id, {"status": "alwaysEnabled", "externalAudience": "none"})
    first = await start(tmp_path / "a", fake_graph, site)
    second = await start(tmp_path / "b", fake_graph, site)
    try:
        one = TeamsClient(first.messages_url, connector.url, TENANT_ID)
        two = TeamsClient(second.messages_url, connector.url, TENANT_ID)
        for person in (MAYA, DIANE, DANA):
            await one.install(person)
        form = (await one.click(DIANE, {"verb": verbs.DELEGATE_OPEN, "data": {}})).card
        last_day = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
        saved = await one.click(
            DIANE, action(form, verbs.DELEGATE_SET), {"delegateId": DANA.aad_id, "lastDay": last_day}
        )
        assert "Dana Morel acts for you" in texts(saved.card)

        receipt = await pitch(two)
        assert "Maya Singh was away" in texts(receipt.card)
        assert "Dana Morel, acting for Diane Tremblay" in texts(receipt.card)
        card = await connector.wait_for(lambda c: (approval_cards(c, DANA) or [None])[0])
        assert not approval_cards(connector, MAYA)
        [delegation] = items(fake_graph, site, "DenDelegations")
        assert delegation["PrincipalId"] == DIANE.aad_id and delegation["DelegateId"] == DANA.aad_id

        withdrawn = await two.click(SAM, button(receipt.card, verbs.WITHDRAW), {"withdrawReason": ""})
        assert "is withdrawn" in texts(withdrawn.card)
        late = await one.click(DANA, action(card, verbs.APPROVE), {"comment": ""})
        assert "withdrew this idea" in texts(late.card)
        [idea] = items(fake_graph, site, "DenIdeas")
        assert idea["Status"] == "withdrawn" and idea["HolderId"] == ""
    finally:
        await first.stop()
        await second.stop()


async def test_routing_rules_uploaded_to_sharepoint_win_over_the_file(tmp_path, fake_graph, site, connector):
    import argparse

    from bot.admin.routing import run as routing_command

    rules = tmp_path / "routing.yml"
    rules.write_text("default:\n  decide: [manager]\n  inform: [director]\n  why: Managers decide everything.\n")
    settings = sharepoint_settings(tmp_path, fake_graph, site)
    out: list[str] = []
    args = argparse.Namespace(check=None, upload=str(rules), show=False, by="Den administrator")
    assert await routing_command(args, settings, graph_credential=StaticCredential(), out=out.append) == 0
    assert "default: anything else -> decide: manager; informed: director" in out
    [item] = items(fake_graph, site, "DenSettings")
    assert item["SettingKey"] == "routing" and item["UpdatedBy"] == "Den administrator"

    app = await start(tmp_path, fake_graph, site)
    try:
        teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
        receipt = await pitch(teams)
        assert "Why this route: Managers decide everything." in texts(receipt.card)
        assert "Kept informed (no decision needed): Diane Tremblay (Director)" in texts(receipt.card)
    finally:
        await app.stop()

    sp = next(sp for sp in fake_graph.sites[site].values() if sp.name == "DenSettings")
    next(iter(sp.items.values())).fields["Body"] = "default:\n  decide: [manager, drector]\n"
    with pytest.raises(SystemExit, match=r"DenSettings item 'routing'\), line 2: 'drector' is not a level"):
        await start(tmp_path / "b", fake_graph, site)


async def test_ask_to_connect_and_accept_on_sharepoint_through_two_instances(tmp_path, fake_graph, site, connector):
    """Priya asks from the tab on one instance; Sam's card comes; he accepts from the tab on the other;
    only then does Priya's card name him. The requests are items of DenConnectRequests."""
    import aiohttp

    from tests.support.tab_ideas import a_pitch, an_idea

    first = await start(tmp_path / "a", fake_graph, site, tab_index_poll_seconds=0.2)
    second = await start(tmp_path / "b", fake_graph, site, tab_index_poll_seconds=0.2)
    try:
        teams = TeamsClient(first.messages_url, connector.url, TENANT_ID)
        for person in (SAM, PRIYA):
            await teams.install(person)
        idea = an_idea(1, a_pitch("Licence renewals online", "Renewals take weeks."), approved=True, shared=True)
        await first.store.add(idea)

        def as_(user):
            return {"Authorization": f"Bearer demo:{user.aad_id}"}

        async with aiohttp.ClientSession() as session:
            async with session.post(f"{first.url}tab/api/ideas/{idea.id}/connect", headers=as_(PRIYA)) as asked:
                assert asked.status == 200
            card = await connector.wait_for(
                lambda c: next((x for s in c.to(SAM.conversation_id) for x in s.cards
                                if any(a.get("verb") == verbs.CONNECT_ACCEPT for a in x.get("actions", []))), None)
            )
            assert "Priya" not in json.dumps(card) and "Someone in another branch" in texts(card)  # no name yet
            [stored] = items(fake_graph, site, "DenConnectRequests")
            assert stored["ConnectState"] == "pending" and stored["OwnerId"] == SAM.aad_id
            async with session.get(f"{second.url}tab/api/requests", headers=as_(SAM)) as page:
                request_id = re.search(r'/tab/api/requests/([^"/]+)/answer', await page.text()).group(1)
            async with session.post(f"{second.url}tab/api/requests/{request_id}/answer", data={"accept": "true"},
                                    headers=as_(SAM)) as answered:
                assert answered.status == 200
        told = await connector.wait_for(
            lambda c: next((x for s in c.to(PRIYA.conversation_id) for x in s.cards if "Sam Chen" in texts(x)), None)
        )
        assert "Licence renewals online" in texts(told)
        assert [i["ConnectState"] for i in items(fake_graph, site, "DenConnectRequests")] == ["accepted"]
    finally:
        await first.stop()
        await second.stop()
