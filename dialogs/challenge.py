"""The Den challenge's flows: organisers open and close challenges, sponsors decide, owners report.

Every click answers with the card as things now stand; a refused click (someone else's, a
second one, an old card) changes nothing and says why in a short message.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from bot.domain.challenge import Challenge, ChallengePhase, draft_from_challenge
from bot.domain.stage import Stage, funding_form_errors
from bot.services.challenge import ChallengeService, PoolEntry, StageResult, Status
from bot.services.report_links import ReportLinks
from cards.challenge import (
    Choosing,
    challenge_card,
    challenge_digest_card,
    challenge_form_card,
    challenges_card,
    consent_card,
    follow_up_card,
    funding_form_card,
    idea_view_card,
    pool_card,
    progress_filed_card,
    report_card,
)
from dialogs.turn import Reply, Turn, as_key, as_text


def _picks(value: Any) -> list[str]:
    """A multi-select ChoiceSet answers 'a,b,c'."""
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [p for p in (s.strip() for s in str(value or "").split(",")) if p]


# Refusals of a sponsor's choice that the sponsor fixes on the same card, keeping what they ticked.
KEPT_CHOICE = frozenset({"too_many", "nothing_picked", "reason_required", "before_pitch_day"})


def _refused(turn: Turn, reason: str) -> Reply:
    m = turn.messages
    key = f"den.refused.{reason}"
    return Reply(message=m.t(key) if m.has(key) else m.t("den.refused.refused"))


class ChallengeFlows:
    def __init__(self, service: ChallengeService, report_links: ReportLinks | None = None) -> None:
        self.service = service
        self.report_links = report_links  # the CSV download link on the report card

    @property
    def tz(self):
        return self.service.tz

    # ---- sponsors' digests --------------------------------------------------------------------
    async def sponsor_digests(self, turn: Turn) -> list[dict[str, Any]]:
        """The challenge cards a sponsor's weekly digest carries (the funnel, funded ideas' latest
        status), one per challenge they sponsor that has opened: part of the digest asked for too."""
        now = self.service.clock()
        cards = []
        for challenge in await self.service.challenges():
            if challenge.is_sponsor(turn.user_id) and challenge.opens_at <= now:
                report = await self.service.report(challenge.id)
                if report is not None:
                    cards.append(challenge_digest_card(turn.messages, report))
        return cards

    # ---- organisers --------------------------------------------------------------------------
    async def list(self, turn: Turn) -> Reply:
        challenges = await self.service.challenges()
        organiser = await self.service.is_organiser(turn.user_id)
        return Reply(
            card=challenges_card(
                turn.messages,
                challenges,
                now=self.service.clock(),
                tz=self.tz,
                organiser=organiser,
                user_id=turn.user_id,
            )
        )

    async def new_form(self, turn: Turn, *, values=None, errors=None, challenge_id: str = "") -> Reply:
        if not await self.service.is_organiser(turn.user_id):
            return Reply(message=turn.messages.t("den.form.not_organiser"))
        sponsors = await self.service.sponsors_available()
        channels = [(c.key, f"{c.team_name} › {c.channel_name}") for c in await self.service.channels()]
        card = challenge_form_card(
            turn.messages,
            form_id=str(uuid.uuid4()),
            sponsors=sponsors,
            channels=channels,
            values=values,
            errors=errors,
            challenge_id=challenge_id,
        )
        return Reply(card=card)

    async def show(self, turn: Turn, data: Mapping[str, Any], headline: str = "") -> Reply:
        challenge = await self.service.get(as_key(data.get("challengeId")))
        if challenge is None:
            return _refused(turn, "not_found")
        names = await self.service.names(challenge.sponsor_ids)
        organiser = await self.service.is_organiser(turn.user_id)
        return Reply(
            card=challenge_card(
                turn.messages,
                challenge,
                now=self.service.clock(),
                tz=self.tz,
                sponsor_names=names,
                organiser=organiser,
                sponsor=challenge.is_sponsor(turn.user_id),
                headline=headline,
            )
        )

    async def open(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        result = await self.service.open(actor_id=turn.user_id, form=data)
        if result.status == Status.NOT_ORGANISER:
            return Reply(message=turn.messages.t("den.form.not_organiser"))
        if result.status == Status.INVALID:
            return await self.new_form(turn, values=result.values, errors=result.errors)
        headline = turn.messages.t("den.form.opened") if result.status == Status.RECORDED else ""
        return await self.show(turn, {"challengeId": result.challenge.id}, headline)

    async def edit_form(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        challenge = await self.service.get(as_key(data.get("challengeId")))
        if challenge is None:
            return _refused(turn, "not_found")
        if challenge.phase(self.service.clock()) != ChallengePhase.SCHEDULED:
            return Reply(message=turn.messages.t("den.form.already_open"))
        values = {**draft_from_challenge(challenge, self.tz), "channel": challenge.channel_key}
        return await self.new_form(turn, values=values, challenge_id=challenge.id)

    async def edit(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        challenge_id = as_key(data.get("challengeId"))
        result = await self.service.edit(actor_id=turn.user_id, challenge_id=challenge_id, form=data)
        if result.status == Status.NOT_ORGANISER:
            return Reply(message=turn.messages.t("den.form.not_organiser"))
        if result.status == Status.INVALID:
            return await self.new_form(turn, values=result.values, errors=result.errors, challenge_id=challenge_id)
        if result.status == Status.NOT_FOUND:
            return _refused(turn, "not_found")
        if result.status != Status.RECORDED:
            return Reply(message=turn.messages.t("den.form.already_open"))
        return await self.show(turn, data, turn.messages.t("den.form.saved"))

    async def close(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        result = await self.service.close(actor_id=turn.user_id, challenge_id=as_key(data.get("challengeId")))
        m = turn.messages
        if result.status == Status.NOT_ORGANISER:
            return Reply(message=m.t("den.form.not_organiser"))
        if result.status == Status.NOT_FOUND:
            return _refused(turn, "not_found")
        headline = m.t("den.form.closed_now") if result.status == Status.RECORDED else m.t("den.form.already_closed")
        return await self.show(turn, data, headline)

    async def report(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        challenge = await self.service.get(as_key(data.get("challengeId")))
        if challenge is None:
            return _refused(turn, "not_found")
        if not challenge.is_sponsor(turn.user_id) and not await self.service.is_organiser(turn.user_id):
            return _refused(turn, "report_private")
        report = await self.service.report(challenge.id)
        links = self.report_links
        url = links.link(turn.user_id, challenge.id) if links is not None else ""
        return Reply(card=report_card(turn.messages, report, csv_url=url, csv_minutes=links.minutes if links else 0))

    # ---- the channel's button ---------------------------------------------------------------
    async def pitch_from_channel(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        status = await self.service.request_form(user_id=turn.user_id, challenge_id=as_key(data.get("challengeId")))
        return Reply(message=turn.messages.t("den.call.sent" if status == Status.RECORDED else "den.call.already_sent"))

    # ---- sponsors ------------------------------------------------------------------------------
    async def pool(
        self, turn: Turn, data: Mapping[str, Any], headline: str = "", *, picked: Sequence[str] = (),
        reason: str = "", problem: str = "",
    ) -> Reply:  # fmt: skip
        """The sponsor's pool card. `picked`, `reason`, `problem`: a refused choice comes back with the
        boxes still ticked, the reason still typed, and why it was refused beside them."""
        challenge, rows = await self.service.pool(as_key(data.get("challengeId")))
        if challenge is None:
            return _refused(turn, "not_found")
        if not challenge.is_sponsor(turn.user_id):
            return _refused(turn, "not_sponsor")
        finalist_ids = [r.idea.id for r in rows if r.stage.stage == Stage.FINALIST]
        figures = await self.service.pitch_day_results(challenge, finalist_ids) if finalist_ids else None
        return self._pool_card(turn, challenge, rows, headline, figures=figures, picked=picked, reason=reason,
                               problem=problem)  # fmt: skip

    def _pool_card(
        self, turn: Turn, challenge: Challenge, rows: Sequence[PoolEntry], headline: str, *, figures=None,
        picked: Sequence[str] = (), reason: str = "", problem: str = "",
    ) -> Reply:  # fmt: skip
        """The sponsor's pool card from what was read (the panel's results and votes beside the finalists)."""
        if not challenge.is_sponsor(turn.user_id):
            return _refused(turn, "not_sponsor")
        has_finalists = any(r.stage.stage == Stage.FINALIST for r in rows)
        panel, votes = figures if figures is not None and has_finalists else ({}, None)
        choosing = Choosing(today=self.service.today(), picked=picked, reason=reason, problem=problem, panel=panel,
                            votes=votes)  # fmt: skip
        card = pool_card(turn.messages, challenge, [(r.idea, r.stage) for r in rows], now=self.service.clock(),
                         headline=headline, choosing=choosing)  # fmt: skip
        return Reply(card=card)

    async def view(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        idea, stage, challenge = await self.service.view(as_key(data.get("ideaId")), as_key(data.get("challengeId")))
        if idea is None or challenge is None:
            return _refused(turn, "not_found")
        if not challenge.is_sponsor(turn.user_id):
            return _refused(turn, "not_sponsor")
        names = await self.service.names(c.by for c in (stage.history if stage else []))
        return Reply(card=idea_view_card(turn.messages, idea, stage, challenge, names))

    async def _after(self, turn: Turn, result: StageResult, recorded_key: str) -> Reply:
        if result.status == Status.RECORDED and result.pool is not None and result.challenge is not None:
            return self._pool_card(turn, result.challenge, result.pool, turn.messages.t(recorded_key),
                                   figures=result.pitch_day)  # as the click left it: nothing read again
        if result.status == Status.RECORDED:
            challenge_id = result.challenge.id if result.challenge else ""
            return await self.pool(turn, {"challengeId": challenge_id}, turn.messages.t(recorded_key))
        if result.status == Status.NOT_FOUND:
            return _refused(turn, "not_found")
        if result.status in (Status.ALREADY, Status.STALE) and result.challenge is not None:
            if result.challenge.is_sponsor(turn.user_id):
                shown = await self.pool(
                    turn, {"challengeId": result.challenge.id}, turn.messages.t(f"den.refused.{result.reason}")
                )
                return shown
        return _refused(turn, result.reason or "refused")

    async def shortlist(self, turn: Turn, data: Mapping[str, Any], *, undo: bool = False) -> Reply:
        result = await self.service.shortlist(actor_id=turn.user_id, idea_id=as_key(data.get("ideaId")), undo=undo,
                                              challenge_id=as_key(data.get("challengeId")))  # fmt: skip
        return await self._after(turn, result, "den.recorded.unshortlisted" if undo else "den.recorded.shortlisted")

    async def finalists(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        picks = _picks(data.get("picks"))
        result = await self.service.choose_finalists(
            actor_id=turn.user_id, challenge_id=as_key(data.get("challengeId")), picks=picks
        )
        if result.status == Status.REFUSED and result.reason in KEPT_CHOICE and result.challenge is not None:
            return await self._choice_again(turn, data, result, picks)
        return await self._after(turn, result, "den.recorded.finalists")

    async def _choice_again(self, turn: Turn, data: Mapping[str, Any], result: StageResult, picks: list[str]) -> Reply:
        """A refused choice (too many finalists, none, a reason missing, before pitch day): the pool
        card again with the boxes as ticked and the reason as typed, and why beside them."""
        problem = turn.messages.t(f"den.refused.{result.reason}")
        return await self.pool(turn, {"challengeId": result.challenge.id}, picked=picks,
                               reason=as_text(data.get("reason")), problem=problem)  # fmt: skip

    async def winners(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        picks = _picks(data.get("picks"))
        result = await self.service.choose_winners(
            actor_id=turn.user_id,
            challenge_id=as_key(data.get("challengeId")),
            picks=picks,
            reason=as_text(data.get("reason")),
            ranking=_picks(data.get("ranking")),
        )
        if result.status == Status.REFUSED and result.reason in KEPT_CHOICE and result.challenge is not None:
            return await self._choice_again(turn, data, result, picks)
        return await self._after(turn, result, "den.recorded.winners")

    async def fund_form(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        idea, stage, challenge = await self.service.view(as_key(data.get("ideaId")), as_key(data.get("challengeId")))
        if idea is None or challenge is None or stage is None:
            return _refused(turn, "not_found")
        if not challenge.is_sponsor(turn.user_id):
            return _refused(turn, "not_sponsor")
        if stage.stage != Stage.WINNER:
            return await self.pool(turn, {"challengeId": challenge.id}, turn.messages.t("den.refused.already"))
        return Reply(card=funding_form_card(turn.messages, idea))

    async def fund(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        errors = funding_form_errors(data.get("amount"), data.get("branch"), data.get("conditions"))
        if errors:  # each at its field, with what was typed
            idea, _, challenge = await self.service.view(as_key(data.get("ideaId")), as_key(data.get("challengeId")))
            if idea is not None and challenge is not None and challenge.is_sponsor(turn.user_id):
                values = {k: as_text(data.get(k)) for k in ("amount", "branch", "conditions")}
                notice = turn.messages.t("form.errors_summary")
                return Reply(card=funding_form_card(turn.messages, idea, values=values, notice=notice, errors=errors))
        result = await self.service.record_funding(
            actor_id=turn.user_id,
            idea_id=as_key(data.get("ideaId")),
            amount=data.get("amount"),
            branch=as_text(data.get("branch")),
            conditions=as_text(data.get("conditions")),
            challenge_id=as_key(data.get("challengeId")),
        )
        if result.status == Status.REFUSED and result.idea is not None:
            values = {k: as_text(data.get(k)) for k in ("amount", "branch", "conditions")}
            notice = turn.messages.t(f"den.refused.{result.reason}")
            return Reply(card=funding_form_card(turn.messages, result.idea, values=values, notice=notice))
        return await self._after(turn, result, "den.recorded.funded")

    # ---- the owner ---------------------------------------------------------------------------
    async def consent(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        consent = str(data.get("consent")).lower() == "true"
        result = await self.service.give_consent(
            actor_id=turn.user_id, idea_id=as_key(data.get("ideaId")), consent=consent,
            challenge_id=as_key(data.get("challengeId")),
        )
        if result.status in (Status.RECORDED, Status.ALREADY) and result.stage and result.challenge:
            return Reply(card=consent_card(turn.messages, result.idea, result.stage, result.challenge))
        return _refused(turn, result.reason or "not_found")

    async def progress(self, turn: Turn, data: Mapping[str, Any]) -> Reply:
        result = await self.service.file_progress(
            actor_id=turn.user_id,
            idea_id=as_key(data.get("ideaId")),
            status=as_text(data.get("status")),
            note=as_text(data.get("note")),
        )
        m = turn.messages
        if result.status == Status.RECORDED:
            return Reply(card=progress_filed_card(m, result.idea, result.stage))
        if result.status == Status.REFUSED and result.stage is not None and result.idea is not None:
            values = {"status": as_text(data.get("status")), "note": as_text(data.get("note"))}
            notice = m.t(f"den.refused.{result.reason}")
            return Reply(card=follow_up_card(m, result.idea, result.stage, notice=notice, values=values))
        if result.status == Status.REFUSED:
            return _refused(turn, result.reason)
        if result.status == Status.STALE and result.idea is not None and result.stage is not None:
            return Reply(card=progress_filed_card(m, result.idea, result.stage))
        return _refused(turn, result.reason or "not_found")
