"""People's Choice flows: organisers open and close voting; anyone votes, moves their vote, and
sees their own vote on the channel's card (Universal Actions: the click's answer and the card's
refresh are that person's view; nobody else sees it).

Also the channel cards' renderer the service posts and updates with, in the channel's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.domain.panel import Panel
from bot.domain.voting import Poll
from bot.i18n import Messages
from bot.ports import channel_recipient
from bot.services.pitch_day import Outcome, PitchDay, PitchDayService, Status
from cards.bilingual import bilingual, other_language
from cards.peoples_choice import now_pitching_card, peoples_choice_card
from dialogs.panel import PanelFlows, refused
from dialogs.turn import Reply, Turn, as_key


class ChannelCards:
    """The channel's cards, in the language the channel was registered with."""

    def __init__(self, service: PitchDayService) -> None:
        self._service = service

    async def _messages(self, day: PitchDay) -> Messages:
        record = await self._service.store.get_conversation(channel_recipient(day.challenge.channel_key))
        return Messages(record.locale if record else None, self._service.tz)

    async def poll_card(self, day: PitchDay, poll: Poll) -> tuple[dict[str, Any], str]:
        def render(m: Messages) -> tuple[dict[str, Any], str]:
            return peoples_choice_card(m, day.challenge, day.finalists, poll), m.t("pc.title", name=day.challenge.name)

        return _both(await self._messages(day), render)

    async def room_card(self, day: PitchDay, panel: Panel) -> tuple[dict[str, Any], str]:
        def render(m: Messages) -> tuple[dict[str, Any], str]:
            return now_pitching_card(m, day.challenge, day.finalists, panel), m.t("room.title", name=day.challenge.name)

        return _both(await self._messages(day), render)


def _both(m: Messages, render: Callable[[Messages], tuple[dict[str, Any], str]]) -> tuple[dict[str, Any], str]:
    """The channel's card in its language, then in the other official language."""
    (first, first_summary), (second, second_summary) = render(m), render(other_language(m))
    return bilingual(first, second), f"{first_summary} · {second_summary}"


class VotingFlows:
    def __init__(self, service: PitchDayService, panel_flows: PanelFlows) -> None:
        self.service = service
        self._panel = panel_flows

    async def _view(self, turn: Turn, challenge_id: str, notice: str = "", outcome: Outcome | None = None) -> Reply:
        """This person's view of the voting card (after their vote: from what the vote read)."""
        outcome = outcome or await self.service.ballot(voter_id=turn.user_id, challenge_id=challenge_id)
        day, vote = outcome.day, outcome.vote
        if day is None or day.poll is None:
            return refused(turn, "not_found")
        organiser = day.poll.is_open and await self.service.is_organiser(turn.user_id)
        return Reply(card=peoples_choice_card(turn.messages, day.challenge, day.finalists, day.poll,
                                              my_vote=vote.finalist_id if vote and day.poll.is_open else None,
                                              personal=True, organiser=organiser, notice=notice))  # fmt: skip

    async def view(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        """The card's refresh (automatic or by hand): this person's own view."""
        return await self._view(turn, as_key(data.get("challengeId")))

    async def vote(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        challenge_id = as_key(data.get("challengeId"))
        finalist_id = as_key(data.get("finalistId"))
        result = await self.service.vote(voter_id=turn.user_id, voter_mri=turn.user_channel_id,
                                         challenge_id=challenge_id, finalist_id=finalist_id)  # fmt: skip
        m = turn.messages
        if result.status == Status.NOT_FOUND:
            return refused(turn, "not_found")
        if result.status == Status.REFUSED:
            if result.reason == "voting_closed":
                return await self._view(turn, challenge_id, m.t("pd.refused.voting_closed"), result)
            return refused(turn, result.reason)
        moved = result.vote_result is not None and result.vote_result.moved
        key = "pc.voted.unchanged" if result.status == Status.UNCHANGED else "pc.voted.moved" if moved else "pc.voted"
        return await self._view(turn, challenge_id, m.t(key), result)

    async def open(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        result = await self.service.open_voting(actor_id=turn.user_id, challenge_id=as_key(data.get("challengeId")))
        return await self._after(turn, result, "pc.opened")

    async def repost(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        result = await self.service.repost_poll_card(actor_id=turn.user_id,
                                                     challenge_id=as_key(data.get("challengeId")))  # fmt: skip
        return await self._after(turn, result, "pc.reposted")

    async def close(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        challenge_id = as_key(data.get("challengeId"))
        result = await self.service.close_voting(actor_id=turn.user_id, challenge_id=challenge_id)
        if result.status == Status.REFUSED or result.day is None:
            return refused(turn, result.reason or "not_found")
        if not turn.is_personal:  # on the channel's card: the result, as everyone now sees it
            return await self._view(turn, challenge_id, outcome=result if result.day.poll else None)
        return await self._after(turn, result, "pc.closed")

    async def _after(self, turn: Turn, result, done_key: str) -> Reply:
        m = turn.messages
        if result.status == Status.NOT_FOUND or result.day is None:
            return refused(turn, "not_found")
        if result.status == Status.REFUSED:
            return refused(turn, result.reason)
        if result.reason:  # recorded, but the channel could not be reached
            notice = m.t(f"pd.refused.{result.reason}")
        elif result.status == Status.UNCHANGED:
            notice = m.t(f"pd.refused.{result.reason}") if result.reason else ""
        else:
            notice = m.t(done_key)
        return Reply(card=await self._panel.console(turn, result.day, notice))  # as the click left it: no re-read
