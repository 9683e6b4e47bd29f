"""Pitch day's use cases: the panel scores the finalists, the room follows along, staff vote.

Each action is a read, a domain decision and one conditional write carrying its notifications
(the outbox). Two instances, two fast clicks: the loser of the write re-reads and decides again.
People's Choice votes go through the store's `cast_vote`, which keeps one vote per person per
challenge whatever the concurrency. The channel cards (People's Choice, "now pitching") are
posted and updated in place through `ChannelPosts`; they are views, so a failure to update one
is logged and never loses a vote or a score. Nothing here knows about Teams or cards: the channel
cards come from a renderer the dialogs layer provides.
"""

from __future__ import annotations

import asyncio
import copy
import enum
import logging
import time as time_module
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.domain import panel as pn
from bot.domain import voting as vt
from bot.domain.challenge import Challenge
from bot.domain.inputs import parse_day, parse_time_of_day
from bot.domain.model import Idea
from bot.domain.outbox import MessageKind, message_id
from bot.domain.panel import Conflict, FinalistResult, Panel, Scorecard
from bot.domain.pitch_day_outbox import panel_message_relevant, result_candidates, results_recipients
from bot.domain.stage import Stage
from bot.domain.voting import Poll, Vote, VoteResult
from bot.ports import (
    Challenges,
    ChannelPosts,
    Conversations,
    DeliveryFailed,
    Directory,
    Ideas,
    Organisers,
    Outbox,
    OutboxMessage,
    Panels,
    Stages,
    Votes,
    channel_recipient,
)
from bot.ports.retry import conflict_retry

log = logging.getLogger(__name__)

BALLOT_SECONDS = 60.0
POLL_SECONDS = 5.0  # an open poll as a vote's card shows it (its refresh list, whether it is open)
time_now = time_module.monotonic


class PitchDayRecords(Panels, Votes, Challenges, Stages, Ideas, Outbox, Conversations, Protocol):
    """What the pitch-day use cases need from the store."""


class Status(enum.StrEnum):
    RECORDED = "recorded"
    UNCHANGED = "unchanged"  # a second click: it is already so
    NOT_FOUND = "not_found"
    INVALID = "invalid"  # a form with errors: see `errors`
    REFUSED = "refused"  # a rule said no: see `reason` (a message-catalogue key suffix)


_REASONS: dict[type[Exception], str] = {
    pn.NotOrganiser: "not_organiser",
    pn.NotJudge: "not_judge",
    pn.NotChair: "not_chair",
    pn.ScoringClosed: "scoring_closed",
    pn.Recused: "recused",
    pn.DeclarationNeeded: "declare_first",
    pn.NotFinalist: "not_finalist",
    pn.ResultsPrivate: "results_private",
    pn.BeforePitchDay: "before_pitch_day",
    vt.NotOrganiser: "not_organiser_voting",
    vt.NotRunning: "not_running",
    vt.VotingClosed: "voting_closed",
    vt.VotingOpen: "voting_open",
    vt.BeforePitchDay: "voting_before_pitch_day",
    vt.NotFinalist: "not_finalist",
}


# Refusals that say someone may not do this (not a rule of timing): logged with ids, so the audit
# trail keeps them (bot/services/audit.py).
PERMISSION_REASONS = frozenset({"not_organiser", "not_judge", "not_chair", "results_private", "not_organiser_voting"})


def reason_of(error: Exception, actor_id: str = "", challenge_id: str = "") -> str:
    reason = "refused"
    for kind in type(error).__mro__:
        if kind in _REASONS:
            reason = _REASONS[kind]
            break
    if reason in PERMISSION_REASONS:
        log.warning("pitch day action refused", extra={"actor_id": actor_id, "reason": reason,
                                                        "challenge_id": challenge_id})  # fmt: skip
    return reason


@dataclass
class PitchDay:
    """Everything a pitch-day card shows about a challenge, read together."""

    challenge: Challenge
    finalists: list[Idea]
    panel: Panel | None
    poll: Poll | None
    cards: list[Scorecard] | None = None  # the panel's scorecards, when asked for

    def finalist(self, idea_id: str) -> Idea | None:
        return next((i for i in self.finalists if i.id == idea_id), None)

    @property
    def finalist_ids(self) -> list[str]:
        return [i.id for i in self.finalists]


@dataclass
class Outcome:
    status: Status
    day: PitchDay | None = None
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    card: Scorecard | None = None
    results: list[FinalistResult] = field(default_factory=list)
    vote: Vote | None = None
    vote_result: VoteResult | None = None


@dataclass(frozen=True)
class _Ballot:
    """What a voting card shows, kept by one instance: the challenge and finalists until `until`,
    the poll (while open) for POLL_SECONDS after `read_at`."""

    until: float
    challenge: Challenge
    finalists: list[Idea]
    poll: Poll
    read_at: float

    @property
    def poll_until(self) -> float:
        return self.read_at + POLL_SECONDS if self.poll.is_open else self.read_at


class ChannelCardRenderer(Protocol):
    """The channel's cards as things stand (built by the dialogs layer, which knows cards)."""

    async def poll_card(self, day: PitchDay, poll: Poll) -> tuple[dict[str, Any], str]: ...
    async def room_card(self, day: PitchDay, panel: Panel) -> tuple[dict[str, Any], str]: ...


class PitchDayService:
    def __init__(
        self,
        store: PitchDayRecords,
        directory: Directory,
        organisers: Organisers,
        *,
        clock: Callable[[], datetime],
        tz: ZoneInfo,
        quorum: int = pn.DEFAULT_QUORUM,
        reminder_time: time = time(9, 0),
        organiser_ids: Iterable[str] = (),
        posts: ChannelPosts | None = None,
        refresh_delay: float = 1.0,
        on_outbox: Callable[[], None] | None = None,
        refresh_list: bool = True,
    ) -> None:
        self.store = store
        self.refresh_list = refresh_list  # list voters on the card for Teams' per-user refresh
        self.directory = directory
        self.organisers = organisers
        self.clock = clock
        self.tz = tz
        self.quorum = quorum
        self.reminder_time = reminder_time
        self.organiser_ids = [i.strip() for i in organiser_ids if i.strip()]
        self.posts = posts
        self.renderer: ChannelCardRenderer | None = None  # set by the dialogs layer
        self._refresh_delay = refresh_delay
        self._ballots: dict[str, _Ballot] = {}
        self._pitches: dict[str, tuple[float, Idea]] = {}  # finalists' pitches: (kept until, idea)
        self._finalist_ids: dict[str, list[str]] = {}  # each challenge's finalists as last read
        self._ballot_locks: dict[str, asyncio.Lock] = {}
        self._pending_refresh: dict[str, set[str]] = {}
        self._refreshing: dict[str, asyncio.Task] = {}
        self._on_outbox = on_outbox or (lambda: None)

    # ---- reading ------------------------------------------------------------------------
    async def is_organiser(self, user_id: str) -> bool:
        return await self.organisers.is_organiser(user_id)

    async def day(self, challenge_id: str, *, with_cards: bool = False) -> PitchDay | None:
        """The challenge, its finalists, panel and poll (and, asked for, the panel's scorecards).

        One round trip to the store: the records are read together, and the finalists' pitches,
        which do not change while a pitch day runs, come from this instance's copy while it is less
        than a minute old; an older copy is read again with the records (the stages, read every
        time, say who the finalists are: one new since is read after them)."""
        if not challenge_id:  # a card without one (forged, or from another version): nothing to look up
            return None
        now = time_now()
        stale = [i for i in self._finalist_ids.get(challenge_id, ()) if self._pitch_stale(i, now)]
        challenge, stages, panel, poll, cards, *pitches = await asyncio.gather(
            self.store.get_challenge(challenge_id), self.store.list_stages(challenge_id),
            self.store.get_panel(challenge_id), self.store.get_poll(challenge_id),
            self.store.list_scorecards(challenge_id) if with_cards else asyncio.sleep(0, []),
            *(self.store.get(i) for i in stale),
        )
        self._keep_pitches(pitches, now)
        if challenge is None:
            return None
        chosen = [s.idea_id for s in stages if s.reached(Stage.FINALIST)]
        self._finalist_ids[challenge_id] = chosen
        finalists = await self._finalists(chosen)
        finalists.sort(key=lambda i: i.reference)  # the pitching order: by reference
        return PitchDay(challenge, finalists, panel, poll, cards if with_cards else None)

    def _pitch_stale(self, idea_id: str, now: float) -> bool:
        kept = self._pitches.get(idea_id)
        return kept is None or kept[0] < now

    def _keep_pitches(self, ideas: Iterable[Idea | None], now: float) -> None:
        for idea in ideas:
            if idea is not None:
                self._pitches[idea.id] = (now + BALLOT_SECONDS, idea)

    async def _finalists(self, idea_ids: Sequence[str]) -> list[Idea]:
        """The finalists' pitches: kept a minute per instance, the missing ones read together."""
        now = time_now()
        missing = [i for i in idea_ids if self._pitch_stale(i, now)]
        self._keep_pitches(await asyncio.gather(*(self.store.get(i) for i in missing)), now)
        return [self._pitches[i][1] for i in idea_ids if i in self._pitches]

    async def in_the_running(self, person_id: str, day: PitchDay) -> bool:
        """Whether the person submitted a finalist or is named in a finalist's team."""
        if any(i.submitter.id == person_id for i in day.finalists):
            return True
        person = await self.directory.get_person(person_id) if person_id else None
        return person is not None and pn.in_the_running(person_id, person.name, day.finalists)

    async def names(self, ids: Iterable[str]) -> dict[str, str]:
        unique = list(dict.fromkeys(ids))
        people = await asyncio.gather(*(self.directory.get_person(i) for i in unique))  # looked up together
        return {user_id: person.name if person else "" for user_id, person in zip(unique, people, strict=True)}

    def reminder_at(self, day_text: Any, time_text: Any) -> tuple[datetime | None, bool]:
        """The panel form's reminder date and time (the card's and the tab console's), by the one rule for
        dates (within ten years) and times: (when, or None for the default; whether what was typed is invalid)."""
        day = parse_day(day_text, today=self.clock().astimezone(self.tz).date(), required=False)
        hour = parse_time_of_day(time_text, required=False)
        if not day.ok or not hour.ok:
            return None, True
        if day.value is None:
            return None, False
        return datetime.combine(day.value, hour.value or self.reminder_time, tzinfo=self.tz), False

    def default_reminder(self, challenge: Challenge) -> datetime | None:
        """Judges who have not scored by the morning after pitch day get one reminder."""
        if challenge.pitch_day is None:
            return None
        try:
            return datetime.combine(challenge.pitch_day + timedelta(days=1), self.reminder_time, tzinfo=self.tz)
        except OverflowError:  # a pitch day no form accepts any more (within ten years), stored before that rule
            return None

    # ---- the panel ------------------------------------------------------------------------
    async def name_panel(
        self, *, actor_id: str, challenge_id: str, judge_ids: Sequence[str], chair_id: str, remind_at: datetime | None
    ) -> Outcome:
        ids = [j for j in dict.fromkeys(judge_ids) if j]
        # The organiser, the judges (and whether the organiser is in the running) and the day, read together.
        is_organiser, people, first = await asyncio.gather(
            self.is_organiser(actor_id), asyncio.gather(*(self.directory.get_person(p) for p in [*ids, actor_id])),
            self.day(challenge_id, with_cards=True),
        )
        known = [j for j, person in zip(ids, people, strict=False) if person is not None]
        async for attempt in conflict_retry():
            with attempt:
                day, first = first or await self.day(challenge_id, with_cards=True), None
                if day is None:
                    return Outcome(Status.NOT_FOUND)
                if is_organiser and await self.in_the_running(actor_id, day):
                    return Outcome(Status.REFUSED, day, reason="in_the_running_panel")  # another organiser must
                if any(await asyncio.gather(*(self.in_the_running(j, day) for j in known))):
                    return Outcome(Status.INVALID, day, errors={"judges": "judge_in_the_running"})
                now = self.clock()
                try:
                    panel = Panel.name(challenge=day.challenge, judge_ids=judge_ids, chair_id=chair_id,
                                       known_ids=known, actor_id=actor_id, is_organiser=is_organiser, now=now,
                                       remind_at=remind_at or self.default_reminder(day.challenge),
                                       current=day.panel)  # fmt: skip
                except pn.InvalidPanel as error:
                    return Outcome(Status.INVALID, day, errors={"judges": error.code})
                except pn.PanelRefused as error:
                    return Outcome(Status.REFUSED, day, reason=reason_of(error, actor_id, challenge_id))
                if not day.finalists:
                    return Outcome(Status.REFUSED, day, reason="no_finalists")
                await self.store.save_panel(panel, self._panel_named(panel, day.finalist_ids, now))
                day.panel = panel
        self._on_outbox()
        return Outcome(Status.RECORDED, day)

    @staticmethod
    def _panel_named(panel: Panel, finalist_ids: Sequence[str], now: datetime) -> list[OutboxMessage]:
        """Each judge: the news (with the pitch-day date), a scorecard per finalist, the reminder.
        Ids are stable, so renaming the panel tells only the judges who are new to it."""
        cid = panel.challenge_id
        messages: list[OutboxMessage] = []
        for judge in panel.judge_ids:
            messages.append(OutboxMessage.due_now(message_id(MessageKind.PANEL_NAMED, cid, judge), recipient_id=judge,
                                                  kind=MessageKind.PANEL_NAMED, idea_id=cid, now=now))  # fmt: skip
            messages += [
                OutboxMessage.due_now(message_id(MessageKind.SCORECARD, cid, judge, f), recipient_id=judge,
                                      kind=MessageKind.SCORECARD, idea_id=cid, now=now, payload={"finalistId": f})
                for f in finalist_ids
            ]  # fmt: skip
            if panel.remind_at is not None and panel.remind_at > now:  # a time already past: they just got them
                at = panel.remind_at.isoformat()
                reminder_id = message_id(MessageKind.PANEL_REMINDER, cid, judge, at)
                messages.append(OutboxMessage(reminder_id, judge, MessageKind.PANEL_REMINDER, cid, created_at=now,
                                              not_before=panel.remind_at, payload={"remindAt": at}))  # fmt: skip
        return messages

    async def scorecard(self, *, judge_id: str, challenge_id: str, finalist_id: str) -> Outcome:
        """A judge's own scorecard for a finalist (never anyone else's)."""
        day = await self.day(challenge_id)
        if day is None or day.panel is None:
            return Outcome(Status.NOT_FOUND, day)
        if not day.panel.is_judge(judge_id):
            return Outcome(Status.REFUSED, day, reason="not_judge")
        if day.finalist(finalist_id) is None:
            return Outcome(Status.REFUSED, day, reason="not_finalist")
        card = await self.store.get_scorecard(challenge_id, finalist_id, judge_id)
        return Outcome(Status.RECORDED, day, card=card or Scorecard(challenge_id, finalist_id, judge_id))

    async def my_scorecards(self, *, judge_id: str, challenge_id: str) -> tuple[PitchDay | None, list[Scorecard]]:
        day = await self.day(challenge_id)
        if day is None or day.panel is None or not day.panel.is_judge(judge_id):
            return day, []
        mine = {c.finalist_id: c for c in await self.store.list_scorecards(challenge_id) if c.judge_id == judge_id}
        return day, [mine.get(f) or Scorecard(challenge_id, f, judge_id) for f in day.finalist_ids]

    async def declare(self, *, actor_id: str, challenge_id: str, finalist_id: str, conflict: str) -> Outcome:
        try:
            declared = Conflict(conflict)
        except ValueError:
            return Outcome(Status.INVALID, errors={"conflict": "required"})
        return await self._change_card(
            actor_id, challenge_id, finalist_id,
            lambda card, panel, day, now: card.declare(panel=panel, actor_id=actor_id, conflict=declared, now=now),
        )  # fmt: skip

    async def score(self, *, actor_id: str, challenge_id: str, finalist_id: str, form: Mapping[str, Any]) -> Outcome:
        return await self._change_card(
            actor_id, challenge_id, finalist_id,
            lambda card, panel, day, now: card.score(panel=panel, criteria=day.challenge.criteria,
                                                     actor_id=actor_id, form=form, now=now),
        )  # fmt: skip

    async def _change_card(self, actor_id: str, challenge_id: str, finalist_id: str, change) -> Outcome:
        async for attempt in conflict_retry():
            with attempt:
                day, stored = await asyncio.gather(  # read together: one round trip less
                    self.day(challenge_id), self.store.get_scorecard(challenge_id, finalist_id, actor_id)
                )
                if day is None or day.panel is None:
                    return Outcome(Status.NOT_FOUND, day)
                if day.finalist(finalist_id) is None:
                    return Outcome(Status.REFUSED, day, reason="not_finalist")
                card = stored or Scorecard(challenge_id, finalist_id, actor_id)
                try:
                    changed = change(card, day.panel, day, self.clock())
                except pn.InvalidScores as error:
                    return Outcome(Status.INVALID, day, errors=error.errors, card=card)
                except pn.PanelRefused as error:
                    return Outcome(Status.REFUSED, day, reason=reason_of(error, actor_id, challenge_id), card=stored)
                if not changed:
                    return Outcome(Status.UNCHANGED, day, card=card)
                try:
                    await self.store.save_scorecard(card)  # refused in the write if scoring closed meanwhile
                except pn.ScoringClosed as error:
                    day = await self.day(challenge_id) or day
                    return Outcome(Status.REFUSED, day, reason=reason_of(error, actor_id, challenge_id), card=stored)
        return Outcome(Status.RECORDED, day, card=card)

    async def close_scoring(self, *, actor_id: str, challenge_id: str) -> Outcome:
        async for attempt in conflict_retry():
            with attempt:
                day = await self.day(challenge_id, with_cards=True)
                if day is None or day.panel is None:
                    return Outcome(Status.NOT_FOUND, day)
                now = self.clock()
                try:
                    reached = day.challenge.pitch_day_reached(now.astimezone(self.tz).date())
                    day.panel.close_scoring(actor_id=actor_id, now=now, pitch_day_reached=reached)
                except pn.ScoringClosed:
                    return Outcome(Status.UNCHANGED, day, reason="scoring_closed")
                except pn.PanelRefused as error:
                    return Outcome(Status.REFUSED, day, reason=reason_of(error, actor_id, challenge_id))
                candidates = result_candidates(day.panel, day.challenge, self.organiser_ids)
                running = await asyncio.gather(*(self.in_the_running(c, day) for c in candidates))
                conflicted = [c for c, is_running in zip(candidates, running, strict=True) if is_running]
                recipients = results_recipients(day.panel, day.challenge, self.organiser_ids, conflicted)
                messages = [
                    OutboxMessage.due_now(message_id(MessageKind.PANEL_RESULTS, challenge_id, r), recipient_id=r,
                                          kind=MessageKind.PANEL_RESULTS, idea_id=challenge_id, now=now)
                    for r in recipients
                ]  # fmt: skip
                await self.store.save_panel(day.panel, messages)
        self._on_outbox()
        return Outcome(Status.RECORDED, day)

    async def results(self, *, viewer_id: str, challenge_id: str) -> Outcome:
        """The panel's results, for the chair, organisers and sponsors, once scoring is closed."""
        day = await self.day(challenge_id)
        if day is None or day.panel is None:
            return Outcome(Status.NOT_FOUND, day)
        organiser = await self.is_organiser(viewer_id)
        running = await self.in_the_running(viewer_id, day)
        if not pn.may_see_results(day.panel, day.challenge, viewer_id, is_organiser=organiser, in_the_running=running):
            reason = "results_private" if day.panel.scoring_closed else "scoring_open"
            if running and day.panel.scoring_closed:
                reason = "in_the_running"
            return Outcome(Status.REFUSED, day, reason=reason)
        cards = await self.store.list_scorecards(challenge_id)
        ranked = pn.results(day.panel, day.challenge.criteria, day.finalist_ids, cards, quorum=self.quorum)
        return Outcome(Status.RECORDED, day, results=ranked)

    async def progress(self, challenge_id: str | PitchDay) -> tuple[PitchDay | None, dict[str, int]]:
        """How many finalists each judge has finished (scored or recused): counts, never scores.
        Given a pitch day read with its cards, nothing is read again."""
        day = challenge_id if isinstance(challenge_id, PitchDay) else await self.day(challenge_id, with_cards=True)
        if day is None or day.panel is None:
            return day, {}
        if day.cards is None:
            day.cards = await self.store.list_scorecards(day.challenge.id)
        done: dict[str, int] = dict.fromkeys(day.panel.judge_ids, 0)
        for card in day.cards:
            if card.judge_id in done and card.finalist_id in day.finalist_ids and card.is_done:
                done[card.judge_id] += 1
        return day, done

    async def panel_message_relevant(self, message: OutboxMessage) -> PitchDay | None:
        """The pitch day a queued panel message is about, if it still matters; else None."""
        day = await self.day(message.idea_id)
        if day is None:
            return None
        cards = await self.store.list_scorecards(day.challenge.id) if message.kind == MessageKind.PANEL_REMINDER else []
        relevant = panel_message_relevant(message.kind, message.recipient_id, message.payload, day.panel,
                                          day.finalist_ids, cards, self.clock())  # fmt: skip
        return day if relevant else None

    # ---- the room: "now pitching" -------------------------------------------------------------
    async def advance_room(self, *, actor_id: str, challenge_id: str, step: int) -> Outcome:
        """The chair moves the channel's "now pitching" card; the first move posts it."""
        async for attempt in conflict_retry():
            with attempt:
                day = await self.day(challenge_id)
                if day is None or day.panel is None:
                    return Outcome(Status.NOT_FOUND, day)
                try:
                    day.panel.advance(actor_id=actor_id, finalist_count=len(day.finalists), step=step)
                except pn.PanelRefused as error:
                    return Outcome(Status.REFUSED, day, reason=reason_of(error, actor_id, challenge_id))
                await self.store.save_panel(day.panel)
        panel = day.panel
        if not day.challenge.channel_key:
            return Outcome(Status.RECORDED, day, reason="no_channel")
        recipient = channel_recipient(day.challenge.channel_key)
        rendered = await self._render(lambda r: r.room_card(day, panel))
        if rendered is None or self.posts is None:
            return Outcome(Status.RECORDED, day)
        card, summary = rendered
        try:
            if panel.room_card_id:
                await self.posts.update_card(recipient, panel.room_card_id, card, summary=summary)
            else:
                panel.room_card_id = await self.posts.post_card(recipient, card, summary=summary)
                await self._keep_card_id(challenge_id, panel.room_card_id)
        except DeliveryFailed as failure:
            log.warning("the room card could not be posted or updated", extra={"reason": failure.reason})
            return Outcome(Status.RECORDED, day, reason="channel_unreachable")
        return Outcome(Status.RECORDED, day)

    async def _keep_card_id(self, challenge_id: str, card_id: str) -> None:
        async for attempt in conflict_retry():
            with attempt:
                panel = await self.store.get_panel(challenge_id)
                if panel is None or panel.room_card_id:
                    return
                panel.room_card_id = card_id
                await self.store.save_panel(panel)

    async def _render(self, build: Callable[[ChannelCardRenderer], Awaitable[tuple[dict[str, Any], str]]]):
        return await build(self.renderer) if self.renderer is not None else None

    # ---- People's Choice ------------------------------------------------------------------
    async def open_voting(self, *, actor_id: str, challenge_id: str) -> Outcome:
        is_organiser = await self.is_organiser(actor_id)
        async for attempt in conflict_retry():
            with attempt:
                day = await self.day(challenge_id, with_cards=True)
                if day is None:
                    return Outcome(Status.NOT_FOUND)
                now = self.clock()
                reached = day.challenge.pitch_day_reached(now.astimezone(self.tz).date())
                try:
                    poll = Poll.open(challenge=day.challenge, finalist_ids=day.finalist_ids, actor_id=actor_id,
                                     is_organiser=is_organiser, now=now, current=day.poll,
                                     pitch_day_reached=reached)  # fmt: skip
                except vt.VotingOpen:
                    return Outcome(Status.UNCHANGED, day, reason="voting_open")
                except vt.VotingRefused as error:
                    return Outcome(Status.REFUSED, day, reason=reason_of(error, actor_id, challenge_id))
                if not poll.channel_key:
                    return Outcome(Status.REFUSED, day, reason="no_channel")
                await self.store.save_poll(poll)
                day.poll = poll
        reason = await self._post_poll_card(day, poll)
        return Outcome(Status.RECORDED, day, reason=reason)

    async def _post_poll_card(self, day: PitchDay, poll: Poll) -> str:
        """Post (or re-post) the People's Choice card in the channel; '' or why it failed."""
        rendered = await self._render(lambda r: r.poll_card(day, poll))
        if rendered is None or self.posts is None:
            return ""
        card, summary = rendered
        try:
            card_id = await self.posts.post_card(channel_recipient(poll.channel_key), card, summary=summary)
        except DeliveryFailed as failure:
            log.warning("the People's Choice card could not be posted", extra={"reason": failure.reason})
            return "channel_unreachable"
        known: Poll | None = copy.deepcopy(poll)  # as this click wrote it: re-read only if it changed since
        async for attempt in conflict_retry():
            with attempt:
                stored, known = known or await self.store.get_poll(poll.challenge_id), None
                if stored is None:
                    return ""
                stored.card_id = card_id
                await self.store.save_poll(stored)
                poll.card_id, poll.version = card_id, stored.version
        return ""

    async def repost_poll_card(self, *, actor_id: str, challenge_id: str) -> Outcome:
        """An organiser posts the card again (after the channel was unreachable)."""
        if not await self.is_organiser(actor_id):
            return Outcome(Status.REFUSED, reason="not_organiser_voting")
        day = await self.day(challenge_id)
        if day is None or day.poll is None:
            return Outcome(Status.NOT_FOUND, day)
        return Outcome(Status.RECORDED, day, reason=await self._post_poll_card(day, day.poll))

    async def _ballot(self, challenge_id: str) -> PitchDay | None:
        """The challenge, its finalists and the poll as a voting card shows them.

        Hundreds of people vote within seconds, so what cannot change while voting is open (a
        challenge that has closed its window, its finalists' approved pitches) is kept for a
        minute per app instance, and an open poll for a few seconds: a vote's write is refused
        by the store once voting has closed (its gate), whatever this copy says, and each vote
        is read from the store."""
        if not challenge_id:
            return None
        async with self._ballot_locks.setdefault(challenge_id, asyncio.Lock()):  # one read for a burst of clicks
            cached, now = self._ballots.get(challenge_id), time_now()
            if cached is None or cached.until < now:
                day = await self.day(challenge_id)
                if day is None or day.poll is None:
                    return None
                cached = _Ballot(now + BALLOT_SECONDS, day.challenge, day.finalists, day.poll, now)
            elif cached.poll_until < now:
                poll = await self.store.get_poll(challenge_id)
                if poll is None:
                    return None
                cached = _Ballot(cached.until, cached.challenge, cached.finalists, poll, now)
            self._ballots[challenge_id] = cached
        return PitchDay(cached.challenge, cached.finalists, None, copy.deepcopy(cached.poll))

    def _forget_ballot(self, challenge_id: str) -> None:
        self._ballots.pop(challenge_id, None)

    async def vote(self, *, voter_id: str, voter_mri: str, challenge_id: str, finalist_id: str) -> Outcome:
        day = await self._ballot(challenge_id)
        if day is None or day.poll is None:
            return Outcome(Status.NOT_FOUND)
        poll = day.poll
        try:
            poll.check_vote(finalist_id)
        except vt.VotingRefused as error:
            vote = await self.store.get_vote(challenge_id, voter_id)
            return Outcome(Status.REFUSED, day, reason=reason_of(error, voter_id, challenge_id), vote=vote)
        try:  # refused in the write if voting closed while this click was on its way
            result = await self.store.cast_vote(challenge_id, voter_id, finalist_id, self.clock())
        except vt.VotingClosed:
            self._forget_ballot(challenge_id)
            day.poll = await self.store.get_poll(challenge_id) or poll
            vote = await self.store.get_vote(challenge_id, voter_id)
            return Outcome(Status.REFUSED, day, reason="voting_closed", vote=vote)
        if self.refresh_list and poll.needs_refresh_entry(voter_mri):
            self._queue_refresh(challenge_id, voter_mri)
        status = Status.UNCHANGED if result.unchanged else Status.RECORDED
        return Outcome(status, day, vote=result.vote, vote_result=result)

    async def ballot(self, *, voter_id: str, challenge_id: str) -> Outcome:
        """What one person's view of the voting card shows: the finalists, the poll, their vote."""
        day = await self._ballot(challenge_id)
        if day is None or day.poll is None:
            return Outcome(Status.NOT_FOUND)
        vote = await self.store.get_vote(challenge_id, voter_id) if day.poll.is_open else None
        return Outcome(Status.RECORDED, day, vote=vote)

    async def close_voting(self, *, actor_id: str, challenge_id: str) -> Outcome:
        is_organiser = await self.is_organiser(actor_id)
        async for attempt in conflict_retry():
            with attempt:
                day, counts = await asyncio.gather(  # the votes counted while the day is read
                    self.day(challenge_id, with_cards=True),
                    self.store.count_votes(challenge_id) if is_organiser else asyncio.sleep(0, {}),
                )
                if day is None or day.poll is None:
                    return Outcome(Status.NOT_FOUND, day)
                poll = day.poll
                if not poll.is_open and is_organiser:
                    return Outcome(Status.UNCHANGED, day, reason="voting_closed")
                try:
                    poll.close(actor_id=actor_id, is_organiser=is_organiser, counts=counts, now=self.clock())
                except vt.VotingRefused as error:
                    return Outcome(Status.REFUSED, day, reason=reason_of(error, actor_id, challenge_id))
                announce = OutboxMessage.due_now(
                    message_id(MessageKind.PEOPLES_CHOICE_RESULT, challenge_id),
                    recipient_id=channel_recipient(poll.channel_key),
                    kind=MessageKind.PEOPLES_CHOICE_RESULT,
                    idea_id=challenge_id,
                    now=self.clock(),
                )
                await self.store.save_poll(poll, [announce])
                self._forget_ballot(challenge_id)
        self._on_outbox()
        await self._update_poll_card(day, poll)
        return Outcome(Status.RECORDED, day)

    async def _update_poll_card(self, day: PitchDay, poll: Poll) -> None:
        if not poll.card_id or self.posts is None:
            return
        rendered = await self._render(lambda r: r.poll_card(day, poll))
        if rendered is None:
            return
        card, summary = rendered
        try:
            await self.posts.update_card(channel_recipient(poll.channel_key), poll.card_id, card, summary=summary)
        except DeliveryFailed as failure:
            log.warning("the People's Choice card could not be updated", extra={"reason": failure.reason})

    # ---- keeping the channel card's refresh list ----------------------------------------------
    def _queue_refresh(self, challenge_id: str, voter_mri: str) -> None:
        """Add a voter to the card's automatic-refresh list soon: votes arriving together make one
        poll write and one card update, not one each."""
        self._pending_refresh.setdefault(challenge_id, set()).add(voter_mri)
        task = self._refreshing.get(challenge_id)
        if task is None or task.done():
            self._refreshing[challenge_id] = asyncio.create_task(self._refresh_later(challenge_id))

    async def _refresh_later(self, challenge_id: str) -> None:
        await asyncio.sleep(self._refresh_delay)
        pending = self._pending_refresh.pop(challenge_id, set())
        try:
            await self._add_to_refresh_list(challenge_id, pending)
        except Exception:  # a view, not a record: never let it take anything down
            log.exception("the People's Choice refresh list could not be updated")

    async def _add_to_refresh_list(self, challenge_id: str, mris: set[str]) -> None:
        async for attempt in conflict_retry():
            with attempt:
                day = await self.day(challenge_id)
                if day is None or day.poll is None or not day.poll.is_open:
                    return
                poll = day.poll
                changed = [m for m in sorted(mris) if poll.remember_for_refresh(m)]
                if not changed:
                    return
                await self.store.save_poll(poll)
        await self._update_poll_card(day, poll)

    async def settle(self) -> None:
        """Wait for queued refresh-list updates (tests, and a clean shutdown)."""
        while any(not t.done() for t in self._refreshing.values()):
            await asyncio.gather(*self._refreshing.values(), return_exceptions=True)
