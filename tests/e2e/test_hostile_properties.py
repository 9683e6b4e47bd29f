"""Property-based: generated text, numbers, nesting and unicode at every card verb, every typed
command and the endpoint itself, through the real app over loopback HTTP.

Three things must hold for every example: no 5xx; nothing stored past its limit; no markdown a
person typed (link, image, heading) in any card or message the bot sends. The app and the local
connector run on their own event loop in a thread, so Hypothesis drives plain functions.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.domain.inputs import is_clean
from bot.domain.limits import REASON_MAX, TEXT_LIMITS
from bot.domain.pitch import FIELD_RULES
from cards import verbs
from cards.size_guard import TEAMS_MESSAGE_LIMIT_BYTES, card_bytes
from tests.support.fake_connector import FakeConnector
from tests.support.hostile import json_values, long_text, user_text
from tests.support.markdown_oracle import links_in, markup_in
from tests.support.people import DANA, MAYA, SAM, TENANT_ID, VALID_PITCH
from tests.support.running_app import RunningApp, settings_for_test, start_app
from tests.support.teams_client import TeamsClient, action, nodes

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ALL_VERBS = sorted(
    value for name, value in vars(verbs).items() if name.isupper() and isinstance(value, str)
)  # every verb a card can carry, today's and tomorrow's


class Harness:
    """The app, the connector and their loop, for synchronous Hypothesis tests."""

    def __init__(self, tmp_path, **overrides) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.connector = FakeConnector()
        self.run(self.connector.start())
        settings_ = settings_for_test(tmp_path / "den.sqlite3", daily_pitch_cap=100_000, **overrides)
        self.app: RunningApp = self.run(start_app(settings_))
        self.teams = TeamsClient(self.app.messages_url, self.connector.url, TENANT_ID)
        self.counter = itertools.count(1)
        self.checked_sent = 0

    def run(self, coroutine) -> Any:
        future: Future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout=60)

    def close(self) -> None:
        self.run(self.app.stop())
        self.run(self.connector.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    # ---- what must hold ------------------------------------------------------------------
    def outgoing_cards(self) -> Iterator[dict]:
        for sent in self.connector.sent[self.checked_sent :]:
            yield from sent.cards
        self.checked_sent = len(self.connector.sent)

    def check_outgoing(self, *answers: dict | None) -> None:
        """Every card sent since the last check, and the given in-place answers: no user markdown, deliverable."""
        for card in [*self.outgoing_cards(), *[a for a in answers if a]]:
            assert card_bytes(card) <= TEAMS_MESSAGE_LIMIT_BYTES
            for value in markdown_texts(card):
                assert links_in(value) == [], value
                assert not [t for t in markup_in(value) if t.startswith(("<img", "<h"))], value
        for sent in self.connector.sent:
            text = sent.activity.get("text")
            if isinstance(text, str):
                assert links_in(text) == [], text

    def check_stored(self, user_id: str) -> None:
        for idea in self.run(self.app.store.list_by_submitter(user_id, 1000)):
            for rule in FIELD_RULES:
                if rule.max_length:
                    value = getattr(idea.pitch, rule.name)
                    assert len(value) <= rule.max_length, rule.name
                    assert is_clean(value, multiline=rule.multiline), (rule.name, value)  # issue #20
            for decision in idea.decisions:
                assert len(decision.comment) <= TEXT_LIMITS["comment"] and is_clean(decision.comment)
            for entry in getattr(idea, "history", []):
                assert len(entry.reason) <= REASON_MAX and is_clean(entry.reason)

    # ---- doing things ----------------------------------------------------------------------
    def click(self, user, verb: Any, data: Any) -> tuple[int, dict | None]:
        result = self.run(self.teams.click(user, {"verb": verb, "data": {}}, data if isinstance(data, dict) else {}))
        assert result.status < 500, (verb, result)
        card = result.body.get("value") if result.body and isinstance(result.body.get("value"), dict) else None
        return result.status, card

    def fresh_idea(self) -> dict:
        """A new idea from Sam; returns Maya's approval card for it."""
        n = next(self.counter)
        fields = {**VALID_PITCH, "title": f"Idea {n}", "problem": f"Problem number {n}"}
        status, receipt = self.click(SAM, verbs.PITCH_SUBMIT, {**fields, "formId": None})
        assert status == 200 and receipt is not None

        def latest(c: FakeConnector):
            cards = [x for s in c.to(MAYA.conversation_id) for x in s.cards if f"Idea {n}" in json.dumps(x)]
            return cards[-1] if cards else None

        return self.run(self.connector.wait_for(latest, seconds=30))


def markdown_texts(card: dict) -> list[str]:
    found = [n["text"] for n in nodes(card) if n.get("type") == "TextBlock" and isinstance(n.get("text"), str)]
    found += [f.get("value", "") for n in nodes(card) if n.get("type") == "FactSet" for f in n.get("facts", [])]
    return found


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    h = Harness(tmp_path_factory.mktemp("hostile"))
    for person in (SAM, MAYA, DANA):
        h.run(h.teams.install(person))
    yield h
    h.close()


anything = st.one_of(user_text(300), long_text(1, 5000), json_values())


# ---- typed commands ------------------------------------------------------------------------------
@EXAMPLES
@given(text=st.one_of(user_text(500), long_text(1, 20_000)))
@example(text="[Approve all](https://evil.example)")
@example(text="pitch")
def test_any_typed_message_is_answered_without_user_markdown(harness, text):
    status = harness.run(harness.teams.say(SAM, text))
    assert status < 500
    harness.check_outgoing()


# ---- the pitch form ------------------------------------------------------------------------------
pitch_values = st.fixed_dictionaries(
    {},
    optional={rule.name: st.one_of(anything, st.sampled_from(rule.choices or ("",))) for rule in FIELD_RULES}
    | {"formId": json_values(), "confirm": st.one_of(st.just("duplicate"), json_values())},
)


@EXAMPLES
@given(values=pitch_values, verb=st.sampled_from([verbs.PITCH_SUBMIT, verbs.PITCH_RESUBMIT]))
@example(values={**VALID_PITCH, "title": "[Click here to approve](https://evil.example)"}, verb=verbs.PITCH_SUBMIT)
@example(values={**VALID_PITCH, "problem": "x" * 900_00}, verb=verbs.PITCH_SUBMIT)
def test_any_pitch_form_is_stored_within_limits_or_refused_politely(harness, values, verb):
    status, card = harness.click(SAM, verb, values)
    assert status == 200
    harness.check_outgoing(card)
    harness.check_stored(SAM.aad_id)


# ---- the approver's buttons ------------------------------------------------------------------------
@EXAMPLES
@given(
    comment=st.one_of(user_text(300), long_text(900, 3000), json_values()),
    verb=st.sampled_from(sorted(verbs.DECISION_VERBS)),
    tamper=st.dictionaries(st.sampled_from(["ideaId", "step", "revision"]), json_values(), max_size=2),
)
@example(comment="[Fix it here](https://evil.example)", verb=verbs.RETURN, tamper={})
@example(comment="x" * 5000, verb=verbs.REJECT, tamper={})
def test_any_decision_is_recorded_within_limits_or_refused_politely(harness, comment, verb, tamper):
    card = harness.fresh_idea()
    data = {**action(card, verb)["data"], **tamper, "comment": comment}
    status, answer = harness.click(MAYA, verb, data)
    assert status == 200
    harness.check_outgoing(answer)
    harness.check_stored(SAM.aad_id)


# ---- every verb, any data --------------------------------------------------------------------------
@EXAMPLES
@given(
    verb=st.one_of(st.sampled_from(ALL_VERBS), json_values()),
    data=st.one_of(st.dictionaries(st.sampled_from(["ideaId", "dmId", "weekKey", "weekStart", "weekEnd", "part",
                                                    "step", "revision", "formId", "comment", "reassignTo",
                                                    "reassignReason", "withdrawReason", "secondLookReason",
                                                    "delegateId", "lastDay", "language", "view", "commentField"]),
                                   st.one_of(json_values(), long_text(400, 3000))), json_values()),  # fmt: skip
    who=st.sampled_from([SAM, MAYA, DANA]),
)
@example(
    verb=verbs.DIGEST_SHORTLIST,
    data={"dmId": DANA.aad_id, "weekKey": "2026-W48", "weekStart": "2026-11-16T00:00:00", "weekEnd": "x"},
    who=DANA,
)
def test_any_verb_with_any_data_never_fails(harness, verb, data, who):
    status, answer = harness.click(who, verb, data)
    assert status == 200
    harness.check_outgoing(answer)


@EXAMPLES
@given(part=json_values(), who=st.sampled_from([SAM, MAYA, DANA]))
def test_reading_an_idea_in_full_is_for_its_people_only(harness, part, who):
    card = harness.fresh_idea()
    idea_id = action(card, verbs.APPROVE)["data"]["ideaId"]
    status, answer = harness.click(who, verbs.IDEA_READ, {"ideaId": idea_id, "part": part})
    assert status == 200
    harness.check_outgoing(answer)


# ---- the endpoint itself ---------------------------------------------------------------------------
async def _post_raw(url: str, body: bytes) -> int:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
            return response.status


@EXAMPLES
@given(
    body=st.one_of(
        st.binary(max_size=300),
        json_values().map(lambda v: json.dumps(v).encode()),
        st.dictionaries(
            st.sampled_from(["type", "serviceUrl", "from", "conversation", "text", "value", "name", "locale",
                             "channelData", "membersAdded", "timestamp", "recipient", "entities"]),
            json_values(),
        ).map(lambda v: json.dumps(v).encode()),  # fmt: skip
    )
)
def test_any_request_body_is_answered_below_500(harness, body):
    assert harness.run(_post_raw(harness.app.messages_url, body)) < 500


@EXAMPLES
@given(overrides=st.dictionaries(
    st.sampled_from(["text", "locale", "name", "value", "channelData", "entities", "timestamp", "textFormat"]),
    json_values(),
    min_size=1,
))  # fmt: skip
def test_a_teams_shaped_activity_with_odd_fields_is_answered_below_500(harness, overrides):
    activity = harness.teams._base(SAM, "message")
    activity["text"] = "help"
    activity.update(overrides)
    status, _ = harness.run(harness.teams.post(activity))
    assert status < 500
    harness.check_outgoing()
