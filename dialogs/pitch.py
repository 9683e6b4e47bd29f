"""Pitching and revising an idea."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from bot.domain.model import IdeaStatus
from bot.domain.notice import CollectionNotice
from bot.ports import StoreUnavailable
from bot.services.challenge import ChallengeService
from bot.services.ideas import CONFIRM_DUPLICATE, ActionStatus, IdeaService
from cards import idea_status_card, notice_card, pitch_form_card, receipt_card, returned_card
from cards.challenge import challenge_preface, late_pitch_card
from cards.common import when
from cards.idea import where_now
from cards.receipt import spooled_card
from cards.safe_text import plain
from dialogs.connect import ConnectFlows
from dialogs.turn import Reply, Turn, as_id, as_int, as_key


def new_form(
    turn: Turn,
    *,
    preface: list[dict[str, Any]] | None = None,
    challenge_id: str = "",
    collection: CollectionNotice | None = None,
) -> dict[str, Any]:
    return pitch_form_card(
        turn.messages, form_id=str(uuid.uuid4()), preface=preface, challenge_id=challenge_id, collection=collection
    )


async def submit(
    service: IdeaService,
    turn: Turn,
    data: Mapping[str, Any],
    challenges: ChallengeService | None = None,
    connect: ConnectFlows | None = None,
) -> Reply:
    m = turn.messages
    form_id = as_id(data.get("formId")) or str(uuid.uuid4())
    preface, challenge_id = None, ""
    target = None
    if challenges is not None:
        # The pitch goes to the open challenge; a form from a challenge that has closed is late.
        # With the records unreachable, the form keeps the challenge it names and is spooled.
        try:
            target = await challenges.target_for_pitch(as_key(data.get("challengeId")))
        except StoreUnavailable:
            target = None
    if target is not None:
        if target.late:
            return Reply(card=late_pitch_card(m, target.next_one, now=challenges.clock(), tz=challenges.tz))
        if target.challenge is not None:
            challenge_id = target.challenge.id
            preface = challenge_preface(m, target.challenge, tz=challenges.tz)
        data = {**data, "challengeId": challenge_id}
    # the form comes back for the same challenge, with the ministry's notice of collection
    again = {"preface": preface, "challenge_id": challenge_id, "collection": service.collection_notice}
    result = await service.submit_pitch(submitter_id=turn.user_id, submitter_name=turn.user_name, form=data)
    if result.errors:
        return Reply(card=pitch_form_card(m, form_id=form_id, values=result.values, errors=result.errors, **again))
    if result.over_daily_cap:
        notice = m.t("pitch.daily_cap", cap=service.quota.daily_cap)
        return Reply(card=pitch_form_card(m, form_id=form_id, values=result.values, notice=notice, **again))
    if result.duplicate_of is not None:
        earlier = result.duplicate_of
        notice = m.t(
            "pitch.duplicate",
            when=when(m, earlier.created_at),
            reference=earlier.reference,
            title=plain(earlier.pitch.title),
        )
        form = pitch_form_card(
            m, form_id=form_id, values=result.values, notice=notice, confirm=CONFIRM_DUPLICATE, **again
        )
        return Reply(card=form)
    if result.spooled:
        return Reply(card=spooled_card(m, result.values))
    if result.not_in_directory:
        notice = m.t("error.not_in_directory")
        return Reply(card=pitch_form_card(m, form_id=form_id, values=result.values, notice=notice, **again))
    similar = []
    if connect is not None:  # shared ideas like this one, each with "Ask to connect"
        p = result.idea.pitch
        similar = await connect.similar_for(turn, f"{p.title} {p.problem} {p.solution}", exclude_id=result.idea.id)
    return Reply(card=receipt_card(m, result.idea, similar=similar))


async def revise_form(service: IdeaService, turn: Turn, idea_id: str) -> dict[str, Any] | None:
    """The form to revise a returned idea, for its submitter (from "my ideas" or its details);
    an idea no longer waiting for changes says where it is instead. None: not theirs to see."""
    idea = await service.view(turn.user_id, idea_id)
    if idea is None or turn.user_id != idea.submitter.id:
        return None
    m = turn.messages
    returned = idea.decisions[-1] if idea.decisions else None
    if idea.status != IdeaStatus.RETURNED or returned is None:
        return idea_status_card(m, idea, headline=m.t("resubmit.not_allowed"))
    return returned_card(m, idea, returned, form_id=str(uuid.uuid4()))


def cancelled(turn: Turn) -> Reply:
    """The duplicate warning's Cancel: nothing was sent; the form gives way to a short note."""
    m = turn.messages
    return Reply(card=notice_card(m, m.t("pitch.cancelled"), with_menu=True))


async def resubmit(service: IdeaService, turn: Turn, data: Mapping[str, Any]) -> Reply:
    m = turn.messages
    idea_id = as_id(data.get("ideaId"))
    revision = as_int(data.get("revision"))
    kind, result = await service.resubmit(actor_id=turn.user_id, idea_id=idea_id, revision=revision, form=data)
    idea = result.idea
    if kind == ActionStatus.RECORDED:
        # The form may sit far up the chat (under the card that returned the idea): it becomes a
        # one-line note, and the receipt is posted as a new card where the person is reading.
        sent = notice_card(m, m.t("resubmit.sent_below", reference=idea.reference, where=where_now(m, idea)))
        return Reply(card=sent, follow_ups=[receipt_card(m, idea, resubmitted=True)])
    if kind == ActionStatus.UNCHANGED and idea is not None and idea.decisions:
        # Nothing was sent: the form comes back as it was, with what they typed and why, at the button.
        returned = idea.decisions[-1]
        notice = m.t("resubmit.unchanged", name=plain(returned.approver_name))
        return Reply(card=returned_card(m, idea, returned, form_id=str(uuid.uuid4()), values=result.values,
                                        notice=notice))  # fmt: skip
    if kind == ActionStatus.INVALID and idea is not None:
        approver = idea.chain[idea.current_step].approver_name if idea.chain else ""
        return Reply(
            card=pitch_form_card(
                m,
                form_id=str(uuid.uuid4()),
                values=result.values,
                errors=result.errors,
                revise=(idea.id, revision, idea.reference, approver),
                collection=service.collection_notice,
            )
        )
    if kind == ActionStatus.ALREADY_DECIDED and idea is not None:
        return Reply(card=receipt_card(m, idea, resubmitted=True))
    if kind == ActionStatus.NOT_YOURS:
        return Reply(message=m.t("resubmit.not_yours"))
    if idea is None:
        return Reply(message=m.t("approval.not_found"))
    return Reply(card=idea_status_card(m, idea, headline=m.t("resubmit.not_allowed")))
