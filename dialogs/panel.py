"""Pitch day's panel flows: organisers name the panel, judges declare and score, the chair closes
scoring, moves the room's card and reads the results.

Every click answers with the card as it now stands; a click by someone the rule does not allow
(not an organiser, not a judge, not the chair) changes nothing and says who can, in a short
message. A judge only ever sees their own scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.services.pitch_day import Outcome, PitchDay, PitchDayService, Status
from cards.peoples_choice import now_pitching_card
from cards.scorecard import (
    my_scorecards_card,
    panel_form_card,
    pitch_day_card,
    results_card,
    scorecard_card,
)
from dialogs.turn import Reply, Turn, as_key, as_text


def refused(turn: Turn, reason: str) -> Reply:
    m = turn.messages
    key = f"pd.refused.{reason}"
    return Reply(message=m.t(key) if m.has(key) else m.t("pd.refused.refused"))


def _ids(value: Any) -> list[str]:
    """A multi-select ChoiceSet answers 'a,b,c'; the people picker the same, with object ids."""
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p for p in (s.strip() for s in str(value or "").split(",")) if p]


class PanelFlows:
    def __init__(self, service: PitchDayService) -> None:
        self.service = service

    async def show(self, turn: Turn, data: Mapping[str, Any], notice: str = "") -> Reply:
        day = await self.service.day(as_key(data.get("challengeId")), with_cards=True)
        if day is None:
            return Reply(message=turn.messages.t("pd.refused.not_found"))
        return Reply(card=await self.console(turn, day, notice))

    async def console(self, turn: Turn, day: PitchDay, notice: str = "") -> dict[str, Any]:
        organiser = await self.service.is_organiser(turn.user_id)
        if organiser and not notice and await self.service.in_the_running(turn.user_id, day):
            notice = turn.messages.t("pd.refused.in_the_running_panel")  # said before they try
        panel = day.panel
        names = await self.service.names(panel.judge_ids if panel else [])
        _, done = await self.service.progress(day) if panel else (None, None)
        today = self.service.clock().astimezone(self.service.tz).date()
        return pitch_day_card(turn.messages, day.challenge, day.finalists, panel, day.poll, viewer_id=turn.user_id,
                              organiser=organiser, names=names, done=done, notice=notice, today=today)  # fmt: skip

    # ---- organisers: the panel ------------------------------------------------------------
    async def form(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        day = await self.service.day(as_key(data.get("challengeId")))
        refusal = await self._may_not_name(turn, day)
        if refusal is not None or day is None:
            return refusal or Reply(message=turn.messages.t("pd.refused.not_found"))
        panel = day.panel
        remind = (panel.remind_at if panel else None) or self.service.default_reminder(day.challenge)
        local = remind.astimezone(self.service.tz) if remind else None
        values = {
            "judges": ",".join(panel.judge_ids) if panel else "",
            "chair": panel.chair_id if panel else "",
            "remind_on": local.date().isoformat() if local else "",
            "remind_time": local.strftime("%H:%M") if local else "",
        }
        known = await self._known(turn, day, panel.judge_ids if panel else [])
        return Reply(card=panel_form_card(turn.messages, day.challenge, values=values, known=known))

    async def _may_not_name(self, turn: Turn, day: PitchDay | None) -> Reply | None:
        """Why this person may not name the panel, if they may not."""
        if day is None:
            return Reply(message=turn.messages.t("pd.refused.not_found"))
        if not await self.service.is_organiser(turn.user_id):
            return refused(turn, "not_organiser")
        if await self.service.in_the_running(turn.user_id, day):
            return refused(turn, "in_the_running_panel")
        return None

    async def _known(self, turn: Turn, day: PitchDay, ids: list[str]) -> list[tuple[str, str]]:
        """The static choices beside Teams' people picker: the judges so far, the sponsors and the
        organiser (so the list is never empty, and a client without the picker can still choose)."""
        names = await self.service.names([*ids, *day.challenge.sponsor_ids, turn.user_id])
        return [(person_id, name) for person_id, name in names.items() if name]

    async def name(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        challenge_id = as_key(data.get("challengeId"))
        judges, chair = _ids(data.get("judges")), as_key(data.get("chair"))
        remind_at, bad_time = self._remind_at(data)
        values = {k: as_text(data.get(k)) for k in ("judges", "chair", "remind_on", "remind_time")}
        if bad_time:
            return await self._form_again(turn, challenge_id, values, "bad_time")
        if judges and len(judges) < self.service.quorum and data.get("belowQuorumConfirmed") is not True:
            # A warning she can confirm: a small panel may be on purpose, but its results will say so.
            refusal = await self._may_not_name(turn, await self.service.day(challenge_id))
            return refusal or await self._form_again(turn, challenge_id, values, "", below_quorum=len(judges))
        result = await self.service.name_panel(actor_id=turn.user_id, challenge_id=challenge_id, judge_ids=judges,
                                               chair_id=chair, remind_at=remind_at)  # fmt: skip
        if result.status == Status.INVALID:
            return await self._form_again(turn, challenge_id, values, result.errors.get("judges", "invalid"))
        if result.status != Status.RECORDED or result.day is None:
            return self._refusal(turn, result)
        notice = turn.messages.t("pd.named.done", count=len(result.day.panel.judge_ids))
        return Reply(card=await self.console(turn, result.day, notice))

    async def _form_again(
        self, turn: Turn, challenge_id: str, values: dict[str, str], code: str, *, below_quorum: int | None = None
    ) -> Reply:
        day = await self.service.day(challenge_id)
        if day is None:
            return Reply(message=turn.messages.t("pd.refused.not_found"))
        known = await self._known(turn, day, _ids(values.get("judges")))
        warning = (below_quorum, self.service.quorum) if below_quorum is not None else None
        card = panel_form_card(turn.messages, day.challenge, values=values, errors={"judges": code} if code else {},
                               known=known, below_quorum=warning)  # fmt: skip
        return Reply(card=card)

    def _remind_at(self, data: Mapping[str, Any]) -> tuple[datetime | None, bool]:
        return self.service.reminder_at(data.get("remind_on"), data.get("remind_time"))

    # ---- judges -------------------------------------------------------------------------------
    async def mine(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        day, cards = await self.service.my_scorecards(judge_id=turn.user_id,
                                                      challenge_id=as_key(data.get("challengeId")))  # fmt: skip
        if day is None:
            return Reply(message=turn.messages.t("pd.refused.not_found"))
        if day.panel is None or not day.panel.is_judge(turn.user_id):
            return refused(turn, "not_judge")
        return Reply(card=my_scorecards_card(turn.messages, day.challenge, day.finalists, cards, day.panel))

    async def open_card(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        result = await self.service.scorecard(judge_id=turn.user_id, challenge_id=as_key(data.get("challengeId")),
                                              finalist_id=as_key(data.get("finalistId")))  # fmt: skip
        return self._scorecard_reply(turn, result, "")

    async def declare(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        result = await self.service.declare(actor_id=turn.user_id, challenge_id=as_key(data.get("challengeId")),
                                            finalist_id=as_key(data.get("finalistId")),
                                            conflict=as_text(data.get("conflict")))  # fmt: skip
        recused = result.card is not None and result.card.conflict.value == "recused"
        notice = "" if recused else turn.messages.t("pd.coi.recorded_none")
        return self._scorecard_reply(turn, result, notice)

    async def score(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        result = await self.service.score(actor_id=turn.user_id, challenge_id=as_key(data.get("challengeId")),
                                          finalist_id=as_key(data.get("finalistId")), form=data)  # fmt: skip
        m = turn.messages
        changed = result.card is not None and result.card.changes > 0
        notice = m.t("pd.scorecard.changed") if changed else m.t("pd.scorecard.saved")
        if result.status == Status.UNCHANGED:
            notice = m.t("pd.scorecard.unchanged")
        return self._scorecard_reply(turn, result, notice, values=data)

    def _scorecard_reply(self, turn: Turn, result: Outcome, notice: str, values: Mapping[str, Any] | None = None):
        m, day = turn.messages, result.day
        if result.status == Status.NOT_FOUND or day is None or day.panel is None:
            return Reply(message=m.t("pd.refused.not_found"))
        card = result.card
        finalist = day.finalist(card.finalist_id) if card is not None else None
        if result.status == Status.REFUSED and (card is None or result.reason in ("not_judge", "not_finalist")):
            return refused(turn, result.reason)
        if card is None or finalist is None:
            return Reply(message=m.t("pd.refused.not_found"))
        if result.status == Status.INVALID:
            fix = m.t("pd.scorecard.fix")
            return Reply(card=scorecard_card(m, day.challenge, finalist, card, day.panel, notice=fix,
                                             errors=result.errors, values=values))  # fmt: skip
        if result.status == Status.REFUSED:
            notice = m.t(f"pd.refused.{result.reason}") if m.has(f"pd.refused.{result.reason}") else ""
        return Reply(card=scorecard_card(m, day.challenge, finalist, card, day.panel, notice=notice))

    # ---- the chair ------------------------------------------------------------------------------
    async def close_scoring(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        result = await self.service.close_scoring(actor_id=turn.user_id, challenge_id=as_key(data.get("challengeId")))
        if result.status == Status.REFUSED or result.day is None:
            return self._refusal(turn, result)
        key = "pd.scoring.closed_now" if result.status == Status.RECORDED else "pd.refused.scoring_closed"
        return Reply(card=await self.console(turn, result.day, turn.messages.t(key)))

    async def results(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        result = await self.service.results(viewer_id=turn.user_id, challenge_id=as_key(data.get("challengeId")))
        day = result.day
        if result.status != Status.RECORDED or day is None or day.panel is None:
            return self._refusal(turn, result)
        return Reply(card=results_card(turn.messages, day.challenge, day.finalists, result.results,
                                       quorum=self.service.quorum, closed_at=day.panel.scoring_closed_at))  # fmt: skip

    async def room(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        step = -1 if str(data.get("step")) == "-1" else 1
        result = await self.service.advance_room(actor_id=turn.user_id, challenge_id=as_key(data.get("challengeId")),
                                                 step=step)  # fmt: skip
        day = result.day
        if result.status != Status.RECORDED or day is None or day.panel is None:
            return self._refusal(turn, result)
        if not turn.is_personal:  # clicked on the channel's card: answer with the card as it now is
            return Reply(card=now_pitching_card(turn.messages, day.challenge, day.finalists, day.panel))
        notice = turn.messages.t("room.moved") if not result.reason else turn.messages.t(f"pd.refused.{result.reason}")
        return Reply(card=await self.console(turn, day, notice))

    @staticmethod
    def _refusal(turn: Turn, result: Outcome) -> Reply:
        if result.status == Status.NOT_FOUND:
            return refused(turn, "not_found")
        return refused(turn, result.reason or "refused")
