"""The Den challenge's use cases: open and run a challenge, decide its stages, follow up its winners.

Each action is a read, a domain decision and one write that carries its notifications (the
outbox): stage changes to the submitter and every approver who said yes, announcements to the
challenge's channel, forms and follow-ups to people. Calls for ideas and window notices are
queued when the challenge is opened, due when the window opens and closes, so no timer is
needed and a restart loses nothing. Nothing here knows about Teams or cards.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.domain import panel as pn
from bot.domain import stage as st
from bot.domain.calendar import WorkCalendar
from bot.domain.challenge import (
    AlreadyClosed,
    AlreadyOpen,
    Challenge,
    ChallengeRefused,
    NotOrganiser,
    NotSponsor,
    next_challenge,
    open_challenge,
    parse_challenge_form,
)
from bot.domain.den_report import (
    ChallengeReport,
    build_report,
    frozen_report_key,
    stage_entry,
    stages_of,
    with_frozen,
)
from bot.domain.digest import BusinessDays
from bot.domain.model import Idea, IdeaStatus, Outcome, Person
from bot.domain.outbox import MessageKind, message_id
from bot.domain.stage import IdeaStage, ProgressStatus, Stage, StageChanged, Standing
from bot.ports import (
    Challenges,
    ChannelInfo,
    ConcurrencyConflict,
    ConversationRecord,
    Conversations,
    Directory,
    Ideas,
    Organisers,
    Outbox,
    OutboxMessage,
    Stages,
    channel_recipient,
)
from bot.ports.pitch_day import Panels, Votes
from bot.ports.retry import conflict_retry

log = logging.getLogger(__name__)



class ChallengeRecords(Challenges, Stages, Ideas, Outbox, Conversations, Panels, Votes, Protocol):
    """What the challenge use cases need from the store (the panel's ranking and the People's Choice
    result, for winners)."""


class Status(enum.StrEnum):
    """What became of someone's action on a challenge or a stage."""

    RECORDED = "recorded"
    ALREADY = "already"  # a second click: it is already so
    STALE = "stale"  # an old card: the idea or challenge moved on
    NOT_ORGANISER = "not_organiser"
    NOT_SPONSOR = "not_sponsor"
    NOT_OWNER = "not_owner"
    NOT_FOUND = "not_found"
    INVALID = "invalid"  # the form has errors: see `errors`
    REFUSED = "refused"  # a rule said no: see `reason`


@dataclass
class ChallengeResult:
    status: Status
    challenge: Challenge | None = None
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class StageResult:
    status: Status
    challenge: Challenge | None = None
    stage: IdeaStage | None = None
    idea: Idea | None = None
    reason: str = ""  # a message-catalogue key suffix saying why, when refused
    errors: dict[str, str] = field(default_factory=dict)
    pool: list[PoolEntry] | None = None  # the sponsor's pool as this click left it (None: not read)
    pitch_day: PitchDayFigures | None = None  # the panel's results and the votes, read with it


@dataclass
class PitchTarget:
    """Where a new pitch goes: the open challenge, nowhere in particular, or refused as late."""

    challenge: Challenge | None = None
    late: bool = False
    next_one: Challenge | None = None


@dataclass(frozen=True)
class PoolEntry:
    idea: Idea
    stage: IdeaStage


PitchDayFigures = tuple[dict[str, pn.FinalistResult], dict[str, int] | None]


def pool_rows(ideas: Sequence[Idea], stages: Mapping[str, IdeaStage]) -> list[PoolEntry]:
    """The pool card's rows: every approved idea with its stage, the shortlisted first, then by reference."""
    rows = [PoolEntry(i, stages[i.id]) for i in ideas if i.id in stages]
    rows.sort(key=lambda r: (r.stage.stage != Stage.SHORTLISTED, r.idea.reference))
    return rows


_REFUSALS: dict[type[ChallengeRefused], tuple[Status, str]] = {
    NotOrganiser: (Status.NOT_ORGANISER, "not_organiser"),
    NotSponsor: (Status.NOT_SPONSOR, "not_sponsor"),
    st.NotOwner: (Status.NOT_OWNER, "not_owner"),
    st.AlreadyDone: (Status.ALREADY, "already"),
    st.StageStale: (Status.STALE, "stale"),
    AlreadyOpen: (Status.REFUSED, "already_open"),
    AlreadyClosed: (Status.ALREADY, "already_closed"),
    st.WindowStillOpen: (Status.REFUSED, "window_open"),
    st.FinalistsChosen: (Status.REFUSED, "finalists_chosen"),
    st.TooManyFinalists: (Status.REFUSED, "too_many"),
    st.NothingPicked: (Status.REFUSED, "nothing_picked"),
    st.ReasonRequired: (Status.REFUSED, "reason_required"),
    st.BeforePitchDay: (Status.REFUSED, "before_pitch_day"),
    st.InvalidFunding: (Status.REFUSED, "invalid_funding"),
    st.NoteRequired: (Status.REFUSED, "note_required"),
    st.NoteTooLong: (Status.REFUSED, "note_too_long"),
    st.ReasonTooLong: (Status.REFUSED, "reason_too_long"),
}


def _not_organiser(
    actor_id: str, action: str, challenge: Challenge | None = None, error: ChallengeRefused | None = None
) -> ChallengeResult:
    """A refusal of an organiser's action; one for lack of the right is logged with ids (the audit keeps it)."""
    status = refusal(error)[0] if error is not None else Status.NOT_ORGANISER
    if status == Status.NOT_ORGANISER:
        log.warning("challenge action refused", extra={"actor_id": actor_id, "reason": f"not_organiser:{action}",
                                                       "challenge_id": challenge.id if challenge else ""})  # fmt: skip
    return ChallengeResult(status, challenge)


def refusal(error: ChallengeRefused) -> tuple[Status, str]:
    for kind in type(error).__mro__:
        if kind in _REFUSALS:
            return _REFUSALS[kind]
    return Status.REFUSED, "refused"


def approvers_of(idea: Idea) -> list[str]:
    """Everyone who said yes on the idea's way up, in chain order, once each (never the submitter)."""
    seen: dict[str, None] = {}
    for decision in idea.decisions:
        if decision.outcome == Outcome.APPROVED and decision.approver_id != idea.submitter.id:
            seen.setdefault(decision.approver_id, None)
    return list(seen)


def stage_messages(idea: Idea, raised: Iterable[object], now: datetime) -> list[OutboxMessage]:
    """Each stage change goes to the submitter and to the approvers who said yes."""
    messages: list[OutboxMessage] = []
    for event in raised:
        if not isinstance(event, StageChanged) or event.idea_id != idea.id:
            continue
        if event.to_stage == Stage.POOL and event.from_stage == Stage.SHORTLISTED:
            recipients = [idea.submitter.id]  # an undone shortlisting: the submitter was told, so tell them
        else:
            recipients = [idea.submitter.id, *approvers_of(idea)]
        for recipient in recipients:
            messages.append(
                OutboxMessage.due_now(
                    message_id(MessageKind.STAGE_UPDATE, idea.id, event.seq, recipient),
                    recipient_id=recipient,
                    kind=MessageKind.STAGE_UPDATE,
                    idea_id=idea.id,
                    now=now,
                    payload={"seq": event.seq, "role": "submitter" if recipient == idea.submitter.id else "approver"},
                )
            )
    return messages


def window_messages(challenge: Challenge, now: datetime) -> list[OutboxMessage]:
    """The call for ideas at the opening, the closing notice and the sponsors' pool at the close."""
    opens, closes = challenge.opens_at.isoformat(), challenge.closed_at.isoformat()
    messages: list[OutboxMessage] = []
    if challenge.channel_key:
        channel = channel_recipient(challenge.channel_key)
        if challenge.closed_early_at is None:
            messages.append(
                OutboxMessage(
                    message_id(MessageKind.CALL_FOR_IDEAS, challenge.id, opens),
                    channel,
                    MessageKind.CALL_FOR_IDEAS,
                    challenge.id,
                    created_at=now,
                    not_before=max(now, challenge.opens_at),
                    payload={"opensAt": opens},
                )
            )
        messages.append(
            OutboxMessage(
                message_id(MessageKind.WINDOW_CLOSED, challenge.id, closes),
                channel,
                MessageKind.WINDOW_CLOSED,
                challenge.id,
                created_at=now,
                not_before=max(now, challenge.closed_at),
                payload={"closesAt": closes},
            )
        )
    for sponsor in challenge.sponsor_ids:
        messages.append(
            OutboxMessage(
                message_id(MessageKind.POOL_READY, challenge.id, closes, sponsor),
                sponsor,
                MessageKind.POOL_READY,
                challenge.id,
                created_at=now,
                not_before=max(now, challenge.closed_at),
                payload={"closesAt": closes},
            )
        )
    return messages


CONSENT_WINDOW = timedelta(days=1)
FORM_REQUEST_WINDOW = timedelta(minutes=1)  # presses of "Pitch an idea" within it send one form


def announcement(kind: MessageKind, challenge: Challenge, now: datetime) -> list[OutboxMessage]:
    """The channel hears the finalists a day later, so each can say on their card whether to be
    named; winners (asked as finalists already) at once."""
    if not challenge.channel_key:
        return []
    when = now + CONSENT_WINDOW if kind == MessageKind.FINALISTS_ANNOUNCED else now
    channel = channel_recipient(challenge.channel_key)
    return [OutboxMessage(message_id(kind, challenge.id), channel, kind, challenge.id, created_at=now, not_before=when)]


class ChallengeService:
    def __init__(
        self,
        store: ChallengeRecords,
        directory: Directory,
        organisers: Organisers,
        *,
        clock: Callable[[], datetime],
        tz: ZoneInfo,
        calendar: WorkCalendar | None = None,
        follow_up_days: int = 30,
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.directory = directory
        self.organisers = organisers
        self.clock = clock
        self.tz = tz
        self.calendar = calendar or WorkCalendar(tz)  # the report's business days: the dashboard's and digest's
        self.follow_up_after = timedelta(days=follow_up_days)
        self._on_outbox = on_outbox or (lambda: None)

    # ---- who is who -----------------------------------------------------------------------
    async def is_organiser(self, user_id: str) -> bool:
        return await self.organisers.is_organiser(user_id)

    async def sponsors_available(self) -> list[Person]:
        return await self.directory.deputy_ministers()

    async def names(self, ids: Iterable[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for user_id in dict.fromkeys(ids):
            person = await self.directory.get_person(user_id)
            found[user_id] = person.name if person else ""
        return found

    # ---- channels ------------------------------------------------------------------------
    async def register_channel(self, record: ConversationRecord, team_name: str, channel_name: str) -> None:
        """The bot was added to a team (or a channel spoke to it): remember how to post there."""
        now = self.clock()
        record.user_id = channel_recipient(record.conversation_id)
        record.updated_at = now
        await self.store.save_conversation(record)
        await self.store.save_channel(ChannelInfo(record.conversation_id, team_name, channel_name, now))
        log.info("channel registered", extra={"channel": record.conversation_id})

    async def channels(self) -> list[ChannelInfo]:
        return await self.store.list_channels()

    # ---- the organisers' part -------------------------------------------------------------
    async def challenges(self) -> list[Challenge]:
        return await self.store.list_challenges()

    async def get(self, challenge_id: str) -> Challenge | None:
        return await self.store.get_challenge(challenge_id)

    async def _parse(self, form: Mapping[str, Any]):
        known = [p.id for p in await self.sponsors_available()]
        return parse_challenge_form(
            form, tz=self.tz, known_sponsors=known, today=self.clock().astimezone(self.tz).date()
        )

    async def _channel_key(self, form: Mapping[str, Any]) -> tuple[str, str | None]:
        key = str(form.get("channel") or "").strip()
        if key and key not in {c.key for c in await self.channels()}:
            return "", "invalid_choice"
        return key, None

    async def open(self, *, actor_id: str, form: Mapping[str, Any]) -> ChallengeResult:
        if not await self.is_organiser(actor_id):
            return _not_organiser(actor_id, "open")
        draft, values, errors = await self._parse(form)
        channel, channel_error = await self._channel_key(form)
        values["channel"] = str(form.get("channel") or "")
        if channel_error:
            errors["channel"] = channel_error
        if draft is None or errors:
            return ChallengeResult(Status.INVALID, values=values, errors=errors)
        challenge_id = _id_from(form.get("formId"))
        existing = await self.store.get_challenge(challenge_id)
        if existing is not None:
            return ChallengeResult(Status.ALREADY, existing, values)  # the same form sent twice
        now = self.clock()
        challenge = Challenge.open_new(
            challenge_id=challenge_id, draft=draft, actor_id=actor_id, is_organiser=True, now=now
        )
        challenge.channel_key = channel
        try:
            await self.store.add_challenge(challenge, window_messages(challenge, now))
        except ConcurrencyConflict:
            return ChallengeResult(Status.ALREADY, await self.store.get_challenge(challenge_id), values)
        log.info("challenge opened", extra={"challenge_id": challenge.id})
        self._on_outbox()
        return ChallengeResult(Status.RECORDED, challenge, values)

    async def edit(self, *, actor_id: str, challenge_id: str, form: Mapping[str, Any]) -> ChallengeResult:
        organiser = await self.is_organiser(actor_id)
        draft, values, errors = await self._parse(form)
        channel, channel_error = await self._channel_key(form)
        if channel_error:
            errors["channel"] = channel_error
        async for attempt in conflict_retry():
            with attempt:
                challenge = await self.store.get_challenge(challenge_id)
                if challenge is None:
                    return ChallengeResult(Status.NOT_FOUND)
                if not organiser:
                    return _not_organiser(actor_id, "edit", challenge)
                if draft is None or errors:
                    return ChallengeResult(Status.INVALID, challenge, values, errors)
                now = self.clock()
                try:
                    challenge.edit(draft=draft, is_organiser=True, now=now)
                except ChallengeRefused as refused:
                    return ChallengeResult(refusal(refused)[0], challenge, values, {"_": refusal(refused)[1]})
                challenge.channel_key = channel
                await self.store.update_challenge(challenge, window_messages(challenge, now))
        self._on_outbox()
        return ChallengeResult(Status.RECORDED, challenge, values)

    async def close(self, *, actor_id: str, challenge_id: str) -> ChallengeResult:
        organiser = await self.is_organiser(actor_id)
        async for attempt in conflict_retry():
            with attempt:
                challenge = await self.store.get_challenge(challenge_id)
                if challenge is None:
                    return ChallengeResult(Status.NOT_FOUND)
                now = self.clock()
                try:
                    challenge.close_early(actor_id=actor_id, is_organiser=organiser, now=now)
                except ChallengeRefused as refused:
                    return _not_organiser(actor_id, "close", challenge, refused)
                await self.store.update_challenge(challenge, window_messages(challenge, now))
        log.info("challenge closed early", extra={"challenge_id": challenge.id})
        self._on_outbox()
        return ChallengeResult(Status.RECORDED, challenge)

    # ---- pitching into a challenge ----------------------------------------------------------
    async def target_for_pitch(self, form_challenge_id: str = "") -> PitchTarget:
        """The open challenge a new pitch belongs to. A form from a challenge whose window has
        closed is late (refused, naming the next challenge if one is scheduled). With no
        challenge open and none named, the pitch is an idea outside any challenge, as before."""
        now = self.clock()
        challenges = await self.store.list_challenges()
        named = next((c for c in challenges if c.id == form_challenge_id), None) if form_challenge_id else None
        if named is not None:
            if named.accepts_pitches(now):
                return PitchTarget(named)
            if named.opens_at <= now:
                return PitchTarget(
                    late=True, next_one=open_challenge(challenges, now) or next_challenge(challenges, now)
                )
        return PitchTarget(open_challenge(challenges, now))

    async def request_form(self, *, user_id: str, challenge_id: str) -> Status:
        """'Pitch an idea' pressed in a channel: the form goes to the person's 1:1 chat, once per
        FORM_REQUEST_WINDOW however many times they press it (on any instance): the message's
        id is the person's, the challenge's and the window's, and the store keeps one message
        per id. A press just after a window turned finds the previous window's form and sends
        none. ALREADY: the form is already on its way (or there)."""
        now = self.clock()
        key = challenge_id or "none"
        slot = int(now.timestamp() // FORM_REQUEST_WINDOW.total_seconds())
        this, previous = (message_id(MessageKind.PITCH_FORM, key, user_id, f"w{s}") for s in (slot, slot - 1))
        existing = await self.store.existing_outbox_ids([this, previous])
        if existing:
            return Status.ALREADY
        message = OutboxMessage.due_now(
            this, recipient_id=user_id, kind=MessageKind.PITCH_FORM, idea_id=challenge_id, now=now
        )
        await self.store.enqueue([message])
        self._on_outbox()
        return Status.RECORDED

    # ---- reading the pool --------------------------------------------------------------------
    async def entries(self, challenge_id: str) -> tuple[list[Idea], dict[str, IdeaStage]]:
        """Every idea pitched to the challenge and every approved one's stage: two queries, together."""
        ideas, stored = await asyncio.gather(
            self.store.list_challenge_ideas(challenge_id), self.store.list_stages(challenge_id)
        )
        return ideas, stages_of(ideas, stored)

    async def pool(self, challenge_id: str) -> tuple[Challenge | None, list[PoolEntry]]:
        challenge, (ideas, stages) = await asyncio.gather(
            self.store.get_challenge(challenge_id), self.entries(challenge_id)
        )
        if challenge is None:
            return None, []
        return challenge, pool_rows(ideas, stages)

    async def view(
        self, idea_id: str, challenge_id: str = "", *, with_challenge: bool = True
    ) -> tuple[Idea | None, IdeaStage | None, Challenge | None]:
        """An idea, its stage and its challenge, read together. `challenge_id` (from the card) lets the
        challenge be read with them; without it, or if the idea is in another, it is read after."""
        hinted = challenge_id if with_challenge else ""
        idea, stored, challenge = await asyncio.gather(
            self.store.get(idea_id), self.store.get_stage(idea_id),
            self.store.get_challenge(hinted) if hinted else _nothing(),
        )
        if idea is None:
            return None, None, None
        stage = stored or stage_entry(idea)
        if with_challenge and idea.challenge and (challenge is None or challenge.id != idea.challenge):
            challenge = await self.store.get_challenge(idea.challenge)
        elif not idea.challenge:
            challenge = None
        return idea, stage, challenge

    async def stages_for(self, ideas: Sequence[Idea]) -> dict[str, IdeaStage]:
        """The stage of each of these ideas (for 'my ideas'), one read per idea with a challenge."""
        found: dict[str, IdeaStage] = {}
        for idea in ideas:
            if idea.challenge:
                stage = await self.store.get_stage(idea.id) or stage_entry(idea)
                if stage is not None:
                    found[idea.id] = stage
        return found

    async def standings(self, ideas: Sequence[Idea]) -> dict[str, Standing]:
        """Where each idea pitched to a challenge stands in it ('my ideas', the details card)."""
        if not any(i.challenge for i in ideas):
            return {}
        stages = await self.stages_for(ideas)
        names = {c.id: c.name for c in await self.challenges()}
        now = self.clock()
        found: dict[str, Standing] = {}
        for idea in ideas:
            if idea.challenge in names:
                stage = stages.get(idea.id)
                due = stage is not None and stage.update_due(now, self.follow_up_after)
                found[idea.id] = Standing(names[idea.challenge], stage, due)
        return found

    async def report(self, challenge_id: str) -> ChallengeReport | None:
        challenge = await self.store.get_challenge(challenge_id)
        if challenge is None:
            return None
        ideas = await self.store.list_challenge_summaries(challenge_id)  # a light read: thousands of ideas
        report = build_report(challenge, ideas, await self.store.list_stages(challenge_id), self.clock(),
                              days=BusinessDays(self.calendar))
        get_setting = getattr(self.store, "get_setting", None)  # the figures kept when records were disposed of
        kept = await get_setting(frozen_report_key(challenge_id)) if get_setting else None
        return with_frozen(report, json.loads(kept.text)) if kept is not None else report

    # ---- the sponsors' decisions -------------------------------------------------------------
    async def shortlist(
        self, *, actor_id: str, idea_id: str, undo: bool = False, challenge_id: str = ""
    ) -> StageResult:
        action = st.undo_shortlist if undo else st.shortlist
        result = await self._move_stage(
            idea_id, actor_id, lambda challenge, stage, now: action(challenge, stage, actor_id=actor_id, now=now),
            challenge_id=challenge_id,
        )
        if result.status == Status.RECORDED and result.stage is not None:
            log.info("stage changed", extra={"idea_id": idea_id, "stage": result.stage.stage.value})
        return result

    async def shortlist_from_digest(self, *, dm_id: str, idea_id: str) -> StageResult:
        """A deputy minister's digest button: the challenge's own shortlist (there is one shortlist).

        An approved idea pitched outside any challenge first enters the challenge this DM sponsors
        that still takes a shortlist (already opened, finalists not chosen; the latest opened if
        several), then is shortlisted there; with no such challenge nothing changes (reason
        `no_challenge`). Ideas a DM flagged with the old button stay flagged: nothing is moved.
        """
        idea = await self.store.get(idea_id)
        if idea is None or idea.status != IdeaStatus.APPROVED:
            return StageResult(Status.NOT_FOUND, idea=idea)
        if not idea.challenge:
            now = self.clock()
            open_to_it = [
                c for c in await self.store.list_challenges()
                if c.is_sponsor(dm_id) and c.opens_at <= now and c.finalists_chosen_at is None
            ]  # fmt: skip
            if not open_to_it:
                return StageResult(Status.REFUSED, idea=idea, reason="no_challenge")
            target = max(open_to_it, key=lambda c: c.opens_at)
            async for attempt in conflict_retry():
                with attempt:
                    idea = await self.store.get(idea_id)
                    if idea is None:
                        return StageResult(Status.NOT_FOUND)
                    if not idea.challenge:  # else another click entered it first: shortlist it there
                        idea.challenge = target.id
                        await self.store.update(idea, [])
            log.info("idea entered a challenge from the digest", extra={"idea_id": idea_id, "challenge_id": target.id})
        return await self.shortlist(actor_id=dm_id, idea_id=idea_id)

    async def choose_finalists(self, *, actor_id: str, challenge_id: str, picks: Sequence[str]) -> StageResult:
        return await self._choose(actor_id, challenge_id, picks, finalists=True)

    async def choose_winners(
        self, *, actor_id: str, challenge_id: str, picks: Sequence[str], reason: str = "", ranking: Sequence[str] = ()
    ) -> StageResult:
        return await self._choose(actor_id, challenge_id, picks, finalists=False, reason=reason, ranking=ranking)

    async def _choose(
        self,
        actor_id: str,
        challenge_id: str,
        picks: Sequence[str],
        *,
        finalists: bool,
        reason: str = "",
        ranking: Sequence[str] = (),
    ) -> StageResult:
        async for attempt in conflict_retry():
            with attempt:
                challenge, (ideas, stages), (panel, cards, poll) = await asyncio.gather(
                    self.store.get_challenge(challenge_id), self.entries(challenge_id),
                    self._pitch_day_records(challenge_id),
                )  # one round trip: the answer (the pool card) is built from them too
                if challenge is None:
                    return StageResult(Status.NOT_FOUND)
                now = self.clock()
                try:
                    if finalists:
                        changed, raised = st.choose_finalists(
                            challenge, stages.values(), picks, actor_id=actor_id, now=now
                        )
                    else:
                        changed, raised = st.choose_winners(
                            challenge,
                            stages.values(),
                            picks,
                            actor_id=actor_id,
                            now=now,
                            ranking=ranking or self._panel_ranking(challenge, stages.values(), picks, panel, cards),
                            reason=reason,
                            today=now.astimezone(self.tz).date(),
                        )
                except ChallengeRefused as refused:
                    return self._refused(refused, challenge, None, None, actor_id)
                by_id = {i.id: i for i in ideas}
                outbox = [m for s in changed for m in stage_messages(by_id[s.idea_id], raised, now)]
                kind = MessageKind.FINALISTS_ANNOUNCED if finalists else MessageKind.WINNERS_ANNOUNCED
                outbox += announcement(kind, challenge, now)
                await self.store.write_stages(challenge, changed, outbox)
        log.info("finalists chosen" if finalists else "winners chosen", extra={"challenge_id": challenge_id})
        self._on_outbox()
        rows = pool_rows(ideas, stages)
        figures = self._figures(challenge, [r.idea.id for r in rows if r.stage.stage == Stage.FINALIST], panel, cards,
                                poll)  # fmt: skip
        return StageResult(Status.RECORDED, challenge, pool=rows, pitch_day=figures)

    async def pitch_day_results(
        self, challenge: Challenge, finalist_ids: Sequence[str]
    ) -> tuple[dict[str, pn.FinalistResult], dict[str, int] | None]:
        """What the sponsor sees beside each finalist when choosing winners: the panel's result once the
        chair has closed scoring (else none), and the People's Choice votes once voting has closed
        (else None). Both are final by then, so nothing shown can still change."""
        panel, cards, poll = await self._pitch_day_records(challenge.id)
        return self._figures(challenge, finalist_ids, panel, cards, poll)

    async def _pitch_day_records(self, challenge_id: str) -> tuple[Any, list[Any], Any]:
        """The panel, its scorecards and the poll, read together (scorecards whether or not scoring
        is closed, the poll whether or not the challenge has People's Choice: one round trip, not three)."""
        panel, cards, poll = await asyncio.gather(
            self.store.get_panel(challenge_id), self.store.list_scorecards(challenge_id),
            self.store.get_poll(challenge_id),
        )
        return panel, cards, poll

    @staticmethod
    def _figures(challenge: Challenge, finalist_ids: Sequence[str], panel, cards, poll) -> PitchDayFigures:
        ranked: dict[str, pn.FinalistResult] = {}
        if panel is not None and panel.scoring_closed:
            ranked = {r.finalist_id: r for r in pn.results(panel, challenge.criteria, finalist_ids, cards)}
        shown = poll if challenge.peoples_choice else None
        votes = dict(shown.counts) if shown is not None and not shown.is_open else None
        return ranked, votes

    def today(self) -> date:
        """The date in the ministry's time zone (pitch day is a local date)."""
        return self.clock().astimezone(self.tz).date()

    @staticmethod
    def _panel_ranking(
        challenge: Challenge, stages: Iterable[IdeaStage], picks: Sequence[str], panel, cards
    ) -> list[str]:
        """The panel's order of the finalists, best first, once the chair has closed scoring (else
        none: winners need no reason). Among tied finalists the picked ones come first, so picking
        any of a tie for the top places is not a departure from the ranking."""
        if panel is None or not panel.scoring_closed:
            return []
        finalist_ids = [s.idea_id for s in stages if s.challenge_id == challenge.id and s.stage == Stage.FINALIST]
        ranked = [r for r in pn.results(panel, challenge.criteria, finalist_ids, cards) if r.rank is not None]
        picked = set(picks)
        return [r.finalist_id for r in sorted(ranked, key=lambda r: (r.rank, r.finalist_id not in picked))]

    async def record_funding(
        self, *, actor_id: str, idea_id: str, amount: Any, branch: str, conditions: str, challenge_id: str = ""
    ) -> StageResult:
        def fund(challenge: Challenge, stage: IdeaStage, now: datetime) -> list[st.StageEvent]:
            return st.record_funding(
                challenge,
                stage,
                actor_id=actor_id,
                amount=st.parse_amount(amount),
                branch=str(branch or ""),
                conditions=str(conditions or ""),
                now=now,
            )

        result = await self._move_stage(idea_id, actor_id, fund, challenge_id=challenge_id, with_results=True)
        if result.status == Status.RECORDED:
            log.info("funding recorded", extra={"idea_id": idea_id})
        return result

    # ---- the owner's part ------------------------------------------------------------------
    async def file_progress(self, *, actor_id: str, idea_id: str, status: str, note: str) -> StageResult:
        try:
            progress = ProgressStatus(status)
        except ValueError:
            return StageResult(Status.REFUSED, reason="invalid_status")
        result = await self._move_stage(
            idea_id,
            actor_id,
            lambda _, stage, now: st.file_progress(stage, actor_id=actor_id, status=progress, note=note, now=now),
            by_owner=True,
            owner_sees_challenge=False,
        )
        if result.status == Status.RECORDED:
            log.info("progress filed", extra={"idea_id": idea_id, "status": progress.value})
        return result

    async def give_consent(self, *, actor_id: str, idea_id: str, consent: bool, challenge_id: str = "") -> StageResult:
        def answer(_: Challenge | None, stage: IdeaStage, now: datetime) -> list[st.StageEvent]:
            st.give_consent(stage, actor_id=actor_id, consent=consent)
            return []

        return await self._move_stage(idea_id, actor_id, answer, by_owner=True, challenge_id=challenge_id)

    async def _move_stage(
        self,
        idea_id: str,
        actor_id: str,
        move: Callable[[Any, IdeaStage, datetime], Sequence[object]],  # (challenge, stage, now) -> events
        *,
        by_owner: bool = False,
        challenge_id: str = "",
        with_results: bool = False,
        owner_sees_challenge: bool = True,
    ) -> StageResult:
        """One person's move on one idea's stage, retried on a conflict and written with the notices
        it raises. A sponsor's move (the default) passes the challenge's gate, so two clicks on two
        instances make one change; an owner's changes only their own stage, which must be stored."""
        pool: tuple[list[Idea], dict[str, IdeaStage]] | None = None
        records = None
        async for attempt in conflict_retry():
            with attempt:
                if by_owner:  # their own stage (the challenge only if the answer shows it)
                    idea, stage, challenge = await self.view(idea_id, challenge_id, with_challenge=owner_sees_challenge)
                elif challenge_id:  # the card says which: the sponsor's pool, read at once, holds the idea
                    idea, stage, challenge, pool, records = await self._in_pool(idea_id, challenge_id, with_results)
                else:
                    idea, stage, challenge = await self.view(idea_id)
                missing = stage is not None and stage.version == 0 if by_owner else challenge is None
                if idea is None or stage is None or missing:
                    return StageResult(Status.NOT_FOUND, challenge, stage, idea)
                now = self.clock()
                try:
                    raised = move(challenge, stage, now)
                except ChallengeRefused as refused:
                    return self._refused(refused, challenge, stage, idea, actor_id)
                outbox = stage_messages(idea, raised, now)
                if by_owner:
                    await self.store.update_stage(stage, outbox)
                else:
                    challenge.updated_at = now
                    await self.store.write_stages(challenge, [stage], outbox)
        if outbox:
            self._on_outbox()
        result = StageResult(Status.RECORDED, challenge, stage, idea)
        if pool is not None and challenge is not None:
            ideas, stages = pool
            result.pool = pool_rows(ideas, {**stages, stage.idea_id: stage})  # as this click left it
            finalist_ids = [r.idea.id for r in result.pool if r.stage.stage == Stage.FINALIST]
            result.pitch_day = self._figures(challenge, finalist_ids, *records) if records else ({}, None)
        return result

    async def _in_pool(self, idea_id: str, challenge_id: str, with_results: bool):
        """A sponsor's move: the challenge, its pool (the idea and its stage among them) and, after the
        finalists, the panel's results and votes, read together for the decision and the answer. An idea
        not in that challenge's pool (a card from elsewhere) is read on its own, and no pool is kept."""
        challenge, (ideas, stages), records = await asyncio.gather(
            self.store.get_challenge(challenge_id), self.entries(challenge_id),
            self._pitch_day_records(challenge_id) if with_results else _nothing(),
        )
        idea = next((i for i in ideas if i.id == idea_id), None)
        if challenge is None or idea is None:
            viewed = await self.view(idea_id)
            return (*viewed, None, None)
        return idea, stages.get(idea_id) or stage_entry(idea), challenge, (ideas, stages), records

    # ---- scheduled passes --------------------------------------------------------------------
    async def queue_follow_ups(self) -> int:
        """Ask each funded idea's owner for an update when the last one (or the funding) is a
        month old; at most one request per idea per calendar month, however often this runs."""
        now = self.clock()
        month = now.astimezone(self.tz).strftime("%Y-%m")
        due = []
        for stage in await self.store.list_stages_in(Stage.IMPLEMENTING):
            if stage.update_due(now, self.follow_up_after):
                due.append(
                    OutboxMessage.due_now(
                        message_id(MessageKind.FOLLOW_UP, stage.idea_id, month),
                        recipient_id=stage.owner_id,
                        kind=MessageKind.FOLLOW_UP,
                        idea_id=stage.idea_id,
                        now=now,
                        payload={"month": month},
                    )
                )
        return await self._queue(due)

    async def queue_sponsor_digests(self, week_key: str = "") -> int:
        """Each sponsor's weekly challenge digest: the funnel and funded ideas' latest status,
        one per sponsor per challenge per week (the id makes a second run a no-op)."""
        now = self.clock()
        if not week_key:
            year, week, _ = now.astimezone(self.tz).isocalendar()
            week_key = f"{year}-W{week:02d}"
        messages = []
        for challenge in await self.store.list_challenges():
            if challenge.opens_at > now:
                continue
            for sponsor in challenge.sponsor_ids:
                messages.append(
                    OutboxMessage.due_now(
                        message_id(MessageKind.CHALLENGE_DIGEST, challenge.id, week_key, sponsor),
                        recipient_id=sponsor,
                        kind=MessageKind.CHALLENGE_DIGEST,
                        idea_id=challenge.id,
                        now=now,
                        payload={"week": week_key},
                    )
                )
        return await self._queue(messages)

    # ---- helpers ---------------------------------------------------------------------------
    async def _queue(self, messages: list[OutboxMessage]) -> int:
        """A scheduled pass's messages, queued at once and the dispatcher woken; how many there were."""
        if messages:
            await self.store.enqueue(messages)
            self._on_outbox()
        return len(messages)

    @staticmethod
    def _refused(
        error: ChallengeRefused, challenge: Challenge | None, stage: IdeaStage | None, idea: Idea | None, actor: str
    ) -> StageResult:
        status, reason = refusal(error)
        if status in (Status.NOT_SPONSOR, Status.NOT_OWNER):
            log.warning(
                "stage action refused", extra={"actor_id": actor, "reason": reason, "idea_id": idea.id if idea else ""}
            )
        return StageResult(status, challenge, stage, idea, reason)


def _id_from(form_id: Any) -> str:
    try:
        return str(uuid.UUID(str(form_id)))
    except (ValueError, TypeError):
        return str(uuid.uuid4())


async def _nothing() -> None:
    """Nothing to read, in a gather beside what is."""
    return None
