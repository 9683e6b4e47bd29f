"""The pilot rehearsal's pitch-day defects, over HTTP: an organiser with an idea in the running
(Olga pitched a finalist) never sees the panel's scores or results and is told another organiser
must handle the panel; a judge in a finalist's team cannot sit; and the judges' reminder, due at a
local time later the same day, arrives then (it was leased hours early and dropped)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.model import Person
from bot.domain.outbox import MessageKind, message_id
from bot.domain.pitch import Pitch
from bot.ports import ConversationRecord, channel_recipient
from cards import verbs
from tests.e2e.test_pitch_day_panel import scorecards
from tests.support.inbox import cards_to
from tests.support.people import AMIR, DANA, DIANE, MAYA, SAM, TENANT_ID
from tests.support.pitch_day import CHANNEL_KEY, OLGA_ID, T0, a_challenge, finalist_ideas, finalist_stage
from tests.support.running_app import FakeClock, settings_for_test, start_app
from tests.support.teams_client import TeamsClient, User, button, nodes, texts

OLGA = User(OLGA_ID, "Olga Kowalski")
NOON_ON_PITCH_DAY = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)  # 12:00 in Toronto
IN_THE_RUNNING = "You have an idea in the running in this challenge, so another organiser must handle the panel"


async def seed_with_olga_in_the_running(store, connector_url: str):
    """Two finalists: Olga (an organiser) pitched the first; Diane is named in the second's team."""
    challenge = a_challenge()
    await store.add_challenge(challenge)
    ideas = finalist_ideas(challenge, 2)
    ideas[0].submitter = Person(OLGA_ID, "Olga Kowalski")
    ideas[1].pitch = Pitch(**{**ideas[1].pitch.as_dict(), "people": "Raj Patel and Diane Tremblay (Policy)"})
    for idea in ideas:
        await store.add(idea)
    await store.write_stages(challenge, [finalist_stage(i, challenge) for i in ideas])
    await store.save_conversation(ConversationRecord(
        user_id=channel_recipient(CHANNEL_KEY), user_name="General", conversation_id=CHANNEL_KEY,
        service_url=connector_url, tenant_id="", channel_id="msteams", bot_id="28:deputys-den-bot",
        bot_name="Deputy's Den", user_channel_id="", locale="en-CA", updated_at=T0,
    ))  # fmt: skip
    return challenge, ideas


async def test_an_organiser_in_the_running_never_sees_results_and_the_reminder_comes_at_its_time(tmp_path, connector):
    clock = FakeClock(NOON_ON_PITCH_DAY)
    settings = settings_for_test(tmp_path / "den.sqlite3", organiser_ids=f"{OLGA_ID},{AMIR.aad_id}")
    app = await start_app(settings, clock=clock)
    try:
        challenge, ideas = await seed_with_olga_in_the_running(app.store, connector.url)
        teams = TeamsClient(app.messages_url, connector.url, TENANT_ID)
        for person in (MAYA, DIANE, AMIR, DANA, SAM, OLGA):
            await teams.install(person)
        ref = {"challengeId": challenge.id}

        # Olga is told before she tries, and cannot name the panel.
        console = await teams.click(OLGA, {"verb": verbs.PITCH_DAY, "data": ref})
        assert IN_THE_RUNNING in texts(console.card)
        assert IN_THE_RUNNING in (await teams.click(OLGA, {"verb": verbs.PANEL_FORM, "data": ref})).message
        named_by_olga = await teams.click(OLGA, {"verb": verbs.PANEL_NAME, "data": ref},
                                          {"judges": MAYA.aad_id, "chair": MAYA.aad_id})  # fmt: skip
        assert IN_THE_RUNNING in named_by_olga.message and await app.store.get_panel(challenge.id) is None

        # Amir, the other organiser, names it; Diane is in a finalist's team, so she cannot judge.
        form = {"chair": MAYA.aad_id, "remind_on": "2026-11-20", "remind_time": "16:30"}
        with_diane = await teams.click(AMIR, {"verb": verbs.PANEL_NAME, "data": {**ref, "belowQuorumConfirmed": True}},
                                       {**form, "judges": f"{MAYA.aad_id},{DIANE.aad_id}"})  # fmt: skip
        assert "One of the judges has an idea among the finalists" in texts(with_diane.card)
        named = await teams.click(AMIR, {"verb": verbs.PANEL_NAME, "data": {**ref, "belowQuorumConfirmed": True}},
                                  {**form, "judges": f"{MAYA.aad_id},{SAM.aad_id}"})  # fmt: skip
        assert "The panel is named" in texts(named.card)
        # The scorecards went out in the same pass that would have leased the reminder early.
        for judge in (MAYA, SAM):
            await connector.wait_for(lambda c, j=judge: len(scorecards(c, j)) == 2 or None)

        # Maya scores both finalists; Sam nothing. At 16:30 in Toronto, Sam gets his reminder.
        for finalist in ideas:
            declared = await teams.click(MAYA, button(scorecards(connector, MAYA)[finalist.id], verbs.DECLARE))
            scores = {n["id"]: "4" for n in nodes(declared.card) if str(n.get("id", "")).startswith("score_")}
            assert "saved" in texts((await teams.click(MAYA, button(declared.card, verbs.SCORE), scores)).card)
        clock.now = datetime(2026, 11, 20, 21, 31, tzinfo=UTC)
        teams_reminder = await connector.wait_for(
            lambda c: next(iter(cards_to(c, SAM, "A reminder about scoring")), None))
        assert "2 finalist" in texts(teams_reminder)
        assert cards_to(connector, MAYA, "A reminder about scoring") == []  # she had finished

        # Results: the chair, Amir and the sponsor; never Olga, whatever her role.
        closed = await teams.click(MAYA, {"verb": verbs.CLOSE_SCORING, "data": ref})
        assert "Scoring is closed." in texts(closed.card)
        for person in (MAYA, AMIR, DANA):
            await connector.wait_for(lambda c, p=person: cards_to(c, p, "Panel results") or None)
        queued = [message_id(MessageKind.PANEL_RESULTS, challenge.id, p) for p in (OLGA_ID, MAYA.aad_id)]
        assert await app.store.existing_outbox_ids(queued) == {queued[1]}
        asked = await teams.click(OLGA, {"verb": verbs.RESULTS, "data": ref})
        assert "stay hidden from you until the winners are announced" in asked.message
    finally:
        await app.stop()
