"""The ideas' use cases: pitch, resubmit, decide, track; each a read, a domain decision and an atomic write.

Handlers in `dialogs/` call these; nothing here knows about Teams or cards. Every change is written
together with the notifications it causes (the outbox), so a decision never exists without
its messages, and a message is never sent for a change that did not happen.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.domain import events
from bot.domain.limits import COMMENT_MAX, PitchQuota, check_text
from bot.domain.model import (
    CommentRequired,
    Decision,
    HistoryKind,
    Idea,
    IdeaStatus,
    NotAllowed,
    NotYourStep,
    Outcome,
    Person,
    Role,
    StaleCard,
)
from bot.domain.notice import CollectionNotice
from bot.domain.outbox import DecisionFacts, MessageKind, handoff_message_id, message_id, request_facts, step_message_id
from bot.domain.pitch import Pitch, validate_pitch
from bot.domain.routing import RoutingRules
from bot.domain.stage import ENDED_SHORT
from bot.domain.visibility import Viewer, may_see
from bot.ports import (
    ConcurrencyConflict,
    ConversationRecord,
    Conversations,
    DecisionSpool,
    Directory,
    Ideas,
    Outbox,
    OutboxMessage,
    Spool,
    SpooledDecision,
    SpooledPitch,
    StoreBusy,
    StoreUnavailable,
)
from bot.ports.retry import conflict_retry
from bot.services.assignment import StepAssigner
from bot.services.viewers import ViewerResolver

log = logging.getLogger(__name__)

CONFIRM_DUPLICATE = "duplicate"  # a form's `confirm` value: "yes, send it although I pitched this before"

class IdeaRecords(Ideas, Outbox, Conversations, Protocol):
    """What the idea use cases need from the store."""


class ActionStatus(enum.StrEnum):
    """What became of someone's action on an idea (a decision or a resubmission)."""

    RECORDED = "recorded"
    ALREADY_DECIDED = "already_decided"
    STALE = "stale"
    NOT_YOURS = "not_yours"
    COMMENT_REQUIRED = "comment_required"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    INVALID = "invalid"
    BEING_RECORDED = "being_recorded"  # the store is throttling: it is recorded in the background
    OWN_IDEA = "own_idea"  # nobody is handed their own idea
    ALREADY_USED = "already_used"  # a second look is asked for once
    UNKNOWN_PERSON = "unknown_person"  # not in the directory
    SWITCHED_OFF = "switched_off"  # the administrators turned this off


@dataclass
class SubmitResult:
    idea: Idea | None = None
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    not_in_directory: bool = False
    spooled: bool = False  # accepted while the records were unreachable: filed later
    duplicate_of: Idea | None = None  # the same title or problem pitched recently: ask before sending
    over_daily_cap: bool = False  # the person reached today's number of pitches: nothing filed


@dataclass
class DecisionResult:
    status: ActionStatus
    idea: Idea | None = None
    decision: Decision | None = None
    comment_error: str = ""  # with INVALID: the comment's error code (e.g. too_long)


def outbox_for(idea: Idea, raised: Sequence[events.Event], now: datetime) -> list[OutboxMessage]:
    """Turn domain events into notifications. Ids are deterministic, so a retried write can't duplicate one."""
    messages: list[OutboxMessage] = []

    def add(message_id_: str, kind: MessageKind, recipient: str, payload: dict[str, Any] | None = None) -> None:
        messages.append(
            OutboxMessage.due_now(
                message_id_, recipient_id=recipient, kind=kind, idea_id=idea.id, now=now, payload=payload or {}
            )
        )

    for event in raised:
        if isinstance(event, events.ApprovalRequested):
            if not _still_holds(idea, event):
                continue  # handed on within the same change (a delegate, someone away): ask only the holder
            kind = MessageKind.APPROVAL_REQUEST
            add(
                handoff_message_id(kind, idea.id, event.revision, event.step_index, event.handoff),
                kind,
                event.approver_id,
                {"step": event.step_index, "revision": event.revision, "facts": request_facts(idea, event.step_index)},
            )
        elif isinstance(event, events.StepDecided):
            payload: dict[str, Any] = {"step": event.step_index, "revision": event.revision}
            decision = idea.decision_for(event.step_index, event.revision)
            if decision is not None:  # the row says what was decided, not what the idea is when it is sent
                payload["facts"] = DecisionFacts.of(idea, decision, just_decided=True).as_payload()
            add(
                step_message_id(MessageKind.DECISION_UPDATE, idea.id, event.revision, event.step_index),
                MessageKind.DECISION_UPDATE,
                idea.submitter.id,
                payload,
            )
        elif isinstance(event, events.Informed):
            add(message_id(MessageKind.INFORMED, idea.id, event.person_id), MessageKind.INFORMED, event.person_id)
        elif isinstance(event, events.IdeaWithdrawn) and event.approver_id:
            add(
                message_id(MessageKind.WITHDRAWN, idea.id),
                MessageKind.WITHDRAWN,
                event.approver_id,
                {"step": event.step_index, "revision": event.revision},
            )
        elif isinstance(event, events.CommentAdded):
            add(
                message_id(MessageKind.COMMENT, idea.id, event.number),
                MessageKind.COMMENT,
                idea.submitter.id,
                {"number": event.number},
            )
        if isinstance(event, (events.IdeaApproved, events.IdeaRejected, events.IdeaWithdrawn)):
            # How it ended, to the levels kept informed who heard of it before: one message each per
            # ending (a second look can end it again, at another step).
            outcome, step, revision = idea.status.value, idea.current_step, idea.revision
            for person_id in _told_before(idea, raised):
                add(
                    message_id(MessageKind.INFORMED_OUTCOME, idea.id, person_id, outcome, revision, step),
                    MessageKind.INFORMED_OUTCOME,
                    person_id,
                    {"outcome": outcome, "step": step, "revision": revision},
                )
    return messages


def _told_before(idea: Idea, raised: Sequence[events.Event]) -> list[str]:
    """The levels the route kept informed who heard of the idea before it ended: they are told how
    it ended. Not those informed by this very change (their card already shows it), nor whoever
    held the step (they get their own withdrawn card)."""
    now_informed = {e.person_id for e in raised if isinstance(e, events.Informed)}
    holders = {e.approver_id for e in raised if isinstance(e, events.IdeaWithdrawn)}
    told = dict.fromkeys(h.to_id for h in idea.history if h.kind == HistoryKind.INFORMED)
    return [p for p in told if p and p not in now_informed | holders and p != idea.submitter.id]


def _still_holds(idea: Idea, event: events.ApprovalRequested) -> bool:
    return (
        idea.is_open
        and idea.current_step == event.step_index
        and idea.revision == event.revision
        and idea.chain[event.step_index].approver_id == event.approver_id
    )


class IdeaService:
    def __init__(
        self,
        store: IdeaRecords,
        directory: Directory,
        *,
        clock: Callable[[], datetime],
        top_role: Role = Role.ADM,
        on_outbox: Callable[[], None] | None = None,
        spool: Spool | None = None,
        decision_spool: DecisionSpool | None = None,
        routes: RoutingRules | None = None,
        assigner: StepAssigner | None = None,
        quota: PitchQuota = PitchQuota(),
        collection_notice: CollectionNotice | None = None,
    ) -> None:
        self.store = store
        self.directory = directory
        self.collection_notice = collection_notice  # the ministry's notice of collection, shown on the form
        self.clock = clock
        self.top_role = top_role
        self.spool = spool
        self.decision_spool = decision_spool
        self.routes = routes or RoutingRules.every_level_up_to(top_role)
        self.assigner = assigner
        self.quota = quota
        self._on_outbox = on_outbox or (lambda: None)
        # Told of each decision click's outcome and status (telemetry counts them; nothing by default).
        self.on_decision: Callable[[str, str], None] = lambda outcome, status: None
        self.viewers: ViewerResolver | None = None  # organisers and sponsors (set by the bootstrap)

    # ---- people and conversations ------------------------------------------------------
    async def remember_conversation(self, record: ConversationRecord) -> None:
        record.updated_at = self.clock()
        await self.store.save_conversation(record)

    # ---- pitching ----------------------------------------------------------------------
    async def submit_pitch(self, *, submitter_id: str, submitter_name: str, form: Mapping[str, Any]) -> SubmitResult:
        pitch, values, errors = validate_pitch(form)
        values["share"] = "true" if wants_shared(form) else "false"
        if pitch is None:
            return SubmitResult(values=values, errors=errors)
        form = {**form, "formId": _idea_id_from(form.get("formId"))}
        try:
            existing, refused = await self._flood_check(submitter_id, form, pitch, values)
            if refused is not None:
                return refused
            return await self._file(submitter_id, submitter_name, form, pitch, values, existing=existing)
        except StoreUnavailable:
            if self.spool is None:
                raise
            await self.spool.put(SpooledPitch(form["formId"], submitter_id, submitter_name, dict(form), self.clock()))
            log.warning("pitch spooled while the records are unreachable", extra={"form_id": form["formId"]})
            return SubmitResult(values=values, spooled=True)

    async def _flood_check(
        self, submitter_id: str, form: Mapping[str, Any], pitch: Pitch, values: dict[str, str]
    ) -> tuple[Idea | None, SubmitResult | None]:
        """Today's cap, then a recent pitch with the same title or problem (unless confirmed).
        Returns (the idea already filed from this form, if any; the refusal, if any).

        A retried submit of a form already filed is neither: `_file` returns that idea again. One
        read: a form's idea is its submitter's, so it is among their latest pitches; one filed
        longer ago (the person pitched `lookback` times since) is found when `_file` writes it
        again and the unique idea id refuses the copy.
        """
        recent = await self.store.list_by_submitter(submitter_id, self.quota.lookback)
        existing = next((idea for idea in recent if idea.id == form["formId"]), None)
        if existing is not None:
            return existing, None
        now = self.clock()
        if self.quota.over_daily_cap(recent, now):
            log.warning("pitch refused: daily cap reached", extra={"submitter_id": submitter_id})
            return existing, SubmitResult(values=values, over_daily_cap=True)
        if form.get("confirm") != CONFIRM_DUPLICATE:
            earlier = self.quota.earlier_duplicate(pitch, recent, now)
            if earlier is not None:
                return existing, SubmitResult(values=values, duplicate_of=earlier)
        return existing, None

    async def file_spooled(self) -> int:
        """File the pitches accepted during an outage; each one's submitter then gets the receipt.
        (Then record the decisions kept while the store was throttling.)"""
        await self.record_spooled_decisions()
        if self.spool is None:
            return 0
        filed = 0
        for spooled in await self.spool.waiting():
            pitch, values, _ = validate_pitch(spooled.form)
            try:
                result = await self._file(spooled.submitter_id, spooled.submitter_name, spooled.form, pitch, values)
            except StoreUnavailable:
                break  # still down: try again later
            if result.idea is not None:
                receipt = OutboxMessage.due_now(
                    message_id(MessageKind.FILED_RECEIPT, result.idea.id),
                    recipient_id=spooled.submitter_id,
                    kind=MessageKind.FILED_RECEIPT,
                    idea_id=result.idea.id,
                    now=self.clock(),
                )
                await self.store.enqueue([receipt])
                self._on_outbox()
                filed += 1
            else:
                log.error("a spooled pitch could not be filed", extra={"form_id": spooled.form_id})
            await self.spool.remove(spooled.form_id)
        return filed

    async def _file(
        self, submitter_id: str, submitter_name: str, form: Mapping[str, Any], pitch, values: dict[str, str],
        *, existing: Idea | None | bool = True,
    ) -> SubmitResult:
        """File a valid pitch. `existing`: the idea the form already filed, as just read (None: none);
        True (not read yet): it is read here."""
        idea_id = _idea_id_from(form.get("formId"))
        if existing is True:
            existing = await self.store.get(idea_id)
        if existing is not None:
            if existing.submitter.id == submitter_id:
                return SubmitResult(idea=existing, values=values)  # a retried or double submit
            idea_id = str(uuid.uuid4())

        submitter = await self.directory.get_person(submitter_id)
        if submitter is None:
            return SubmitResult(values=values, not_in_directory=True)
        if submitter_name and not submitter.name:
            submitter = Person(submitter.id, submitter_name, submitter.role, submitter.job_title, submitter.email)
        line = await self.directory.line_of_management(submitter_id)
        route = self.routes.route(submitter, line, pitch)
        chain = route.deciders

        now = self.clock()
        reference = await self.store.next_reference(now.year)
        idea, raised = Idea.submit(
            idea_id=idea_id,
            reference=reference,
            submitter=submitter,
            pitch=pitch,
            chain=chain,
            now=now,
            line_ids=[p.id for p in line if p is not None],
            informed=route.informed,
            route_rule=route.rule,
            route_why=dict(route.why),
            route_nearest_decides=route.nearest_manager_decides,
        )
        idea.challenge = str(form.get("challengeId") or "")[:64]  # the Den challenge it was pitched to, if any
        idea.shared = wants_shared(form)  # consent to share, asked on the form (off unless ticked)
        raised += await self.settle(idea, now)
        try:
            await self.store.add(idea, outbox_for(idea, raised, now))
        except ConcurrencyConflict:
            # The same form arrived twice at once and the other copy was stored first (or the form's
            # idea was filed before the person's latest pitches read: see _flood_check).
            stored = await self.store.get(idea_id)
            if stored is None:
                raise
            if stored.submitter.id != submitter_id:  # a form naming someone else's idea: a new one
                return await self._file(submitter_id, submitter_name, {**form, "formId": str(uuid.uuid4())}, pitch,
                                        values, existing=None)
            return SubmitResult(idea=stored, values=values)
        log.info("idea submitted", extra={"idea_id": idea.id, "reference": idea.reference, "steps": len(chain)})
        self._on_outbox()
        return SubmitResult(idea=idea, values=values)

    async def resubmit(
        self, *, actor_id: str, idea_id: str, revision: int, form: Mapping[str, Any]
    ) -> tuple[ActionStatus, SubmitResult]:
        pitch, values, errors = validate_pitch(form)
        if pitch is None:
            idea = await self.store.get(idea_id)
            return ActionStatus.INVALID, SubmitResult(idea=idea, values=values, errors=errors)
        async for attempt in conflict_retry():
            with attempt:
                idea = await self.store.get(idea_id)
                if idea is None:
                    return ActionStatus.NOT_FOUND, SubmitResult(values=values)
                now = self.clock()
                try:
                    raised = idea.resubmit(actor_id=actor_id, pitch=pitch, revision=revision, now=now)
                except NotYourStep:
                    return ActionStatus.NOT_YOURS, SubmitResult(idea=idea, values=values)
                except (NotAllowed, StaleCard):
                    already = idea.revision == revision + 1 and actor_id == idea.submitter.id
                    kind = ActionStatus.ALREADY_DECIDED if already else ActionStatus.NOT_ALLOWED
                    return kind, SubmitResult(idea=idea, values=values)
                await self.store.update(idea, outbox_for(idea, raised, now))
        log.info("idea resubmitted", extra={"idea_id": idea.id, "revision": idea.revision})
        self._on_outbox()
        return ActionStatus.RECORDED, SubmitResult(idea=idea, values=values)

    async def set_sharing(self, *, actor_id: str, idea_id: str, shared: bool) -> Idea | None:
        """The submitter gives or withdraws consent to share their idea (from My ideas or the tab).
        None when the idea is not theirs (or not found): nobody else may change it."""
        async for attempt in conflict_retry():
            with attempt:
                idea = await self.store.get(idea_id) if idea_id else None
                if idea is None or idea.submitter.id != actor_id:
                    return None
                if idea.set_shared(actor_id=actor_id, shared=shared, now=self.clock()):
                    await self.store.update(idea)
        log.info("sharing changed", extra={"idea_id": idea.id, "shared": shared})
        return idea

    async def ended_without_going_ahead(self, idea: Idea) -> bool:
        """Not approved, withdrawn, not selected in its challenge, or funded and its implementation
        stopped: a lesson may be written."""
        if idea.status in (IdeaStatus.REJECTED, IdeaStatus.WITHDRAWN):
            return True
        get_stage = getattr(self.store, "get_stage", None)
        stage = await get_stage(idea.id) if get_stage is not None and idea.status == IdeaStatus.APPROVED else None
        return stage is not None and stage.stage in ENDED_SHORT

    async def record_lesson(self, *, actor_id: str, idea_id: str, text: str, shared: bool) -> Idea | None:
        """The submitter's lesson learned (optional, a few lines; shown with consent). None: not theirs,
        not found, or the idea has not ended without going ahead."""
        async for attempt in conflict_retry():
            with attempt:
                idea = await self.store.get(idea_id) if idea_id else None
                if idea is None or idea.submitter.id != actor_id or not await self.ended_without_going_ahead(idea):
                    return None
                idea.record_lesson(actor_id=actor_id, text=text, shared=shared, now=self.clock())
                await self.store.update(idea)
        log.info("lesson recorded", extra={"idea_id": idea.id, "shared": shared})
        return idea

    # ---- deciding ----------------------------------------------------------------------
    async def decide(
        self, *, actor_id: str, idea_id: str, step_index: int, revision: int, outcome: Outcome, comment: str
    ) -> DecisionResult:
        """Decide a step. When the store throttles the write past the click's time budget, the
        click is kept (on disk) and answered BEING_RECORDED; `record_spooled_decisions` finishes it."""
        checked = check_text(comment, COMMENT_MAX)  # the card's maxLength is only a hint to the client
        if not checked.ok:
            idea = await self.store.get(idea_id)
            status = ActionStatus.INVALID if idea is not None else ActionStatus.NOT_FOUND
            return DecisionResult(status, idea, comment_error=checked.error or "")
        comment = checked.value
        try:
            result = await self._decide_now(actor_id=actor_id, idea_id=idea_id, step_index=step_index,
                                            revision=revision, outcome=outcome, comment=comment)
            self.on_decision(outcome.value, result.status.value)
            return result
        except StoreBusy:
            if self.decision_spool is None:
                raise
            spooled = SpooledDecision(actor_id, idea_id, step_index, revision, outcome.value, comment, self.clock())
            await self.decision_spool.put_decision(spooled)
            log.warning("decision kept to record in the background: the store is throttling",
                        extra={"idea_id": idea_id, "step": step_index, "revision": revision})
            self.on_decision(outcome.value, ActionStatus.BEING_RECORDED.value)
            return DecisionResult(ActionStatus.BEING_RECORDED)

    async def record_spooled_decisions(self) -> int:
        """Record the clicks the store could not take in time. Deciding again is safe: a decision
        already recorded comes back ALREADY_DECIDED and nothing is written twice."""
        if self.decision_spool is None:
            return 0
        recorded = 0
        for spooled in await self.decision_spool.waiting_decisions():
            try:
                result = await self._decide_now(
                    actor_id=spooled.actor_id, idea_id=spooled.idea_id, step_index=spooled.step_index,
                    revision=spooled.revision, outcome=Outcome(spooled.outcome), comment=spooled.comment,
                )
            except StoreUnavailable:
                break  # still throttled or down: try again at the next round
            if result.status in (ActionStatus.RECORDED, ActionStatus.ALREADY_DECIDED):
                recorded += 1
            else:
                log.warning("a kept decision was overtaken", extra={"idea_id": spooled.idea_id,
                                                                    "status": result.status.value})
            await self.decision_spool.remove_decision(spooled.key)
        return recorded

    async def _decide_now(
        self, *, actor_id: str, idea_id: str, step_index: int, revision: int, outcome: Outcome, comment: str
    ) -> DecisionResult:
        async for attempt in conflict_retry():
            with attempt:
                idea = await self.store.get(idea_id)
                if idea is None:
                    return DecisionResult(ActionStatus.NOT_FOUND)
                now = self.clock()
                try:
                    raised = idea.decide(
                        actor_id=actor_id,
                        step_index=step_index,
                        revision=revision,
                        outcome=outcome,
                        comment=comment,
                        now=now,
                    )
                except StaleCard:
                    earlier = idea.decision_for(step_index, revision)
                    if earlier is not None and earlier.approver_id == actor_id:
                        return DecisionResult(ActionStatus.ALREADY_DECIDED, idea, earlier)
                    if _is_someone_elses(idea, actor_id, step_index):
                        self._log_refused(idea, actor_id, "not the approver of this step")
                        return DecisionResult(ActionStatus.NOT_YOURS, idea)
                    return DecisionResult(ActionStatus.STALE, idea, earlier)
                except NotYourStep:
                    self._log_refused(idea, actor_id, "not the current approver")
                    return DecisionResult(ActionStatus.NOT_YOURS, idea)
                except CommentRequired:
                    return DecisionResult(ActionStatus.COMMENT_REQUIRED, idea)
                await self.store.update(idea, outbox_for(idea, raised, now))
        decision = idea.decisions[-1]
        log.info(
            "step decided",
            extra={"idea_id": idea.id, "step": step_index, "revision": revision, "outcome": outcome.value},
        )
        self._on_outbox()
        return DecisionResult(ActionStatus.RECORDED, idea, decision)

    async def settle(self, idea: Idea, now: datetime) -> list[events.Event]:
        """A new idea's first step goes to whoever acts for its approver, if anyone, so the receipt
        is right. Later steps are settled just before their request is delivered (off the click's
        path: see ApprovalService.settle_before_delivery)."""
        return await self.assigner.settle(idea, now) if self.assigner else []

    # ---- reading -----------------------------------------------------------------------
    async def my_ideas(self, user_id: str, limit: int = 20) -> list[Idea]:
        return await self.store.list_by_submitter(user_id, limit)

    async def view(self, viewer_id: str, idea_id: str, *, member: bool = True) -> Idea | None:
        """The idea, if `viewer_id` may see it (bot/domain/visibility.py: the rule the tab uses too);
        None otherwise, as if it did not exist."""
        idea = await self.store.get(idea_id) if idea_id else None
        if self.viewers is not None:
            viewer = await self.viewers.of(viewer_id, member=member)
        else:
            viewer = Viewer(viewer_id, member=member)
        if idea is None or not may_see(idea, viewer):
            if idea is not None:
                log.warning("idea view refused", extra={"idea_id": idea.id, "actor_id": viewer_id})
            return None
        return idea

    @staticmethod
    def _log_refused(idea: Idea, actor_id: str, why: str) -> None:
        # Ids only: no names, no pitch text, no comment.
        log.warning("decision refused", extra={"idea_id": idea.id, "actor_id": actor_id, "reason": why})


def _is_someone_elses(idea: Idea, actor_id: str, step_index: int) -> bool:
    """True when the clicker never held the step the card is for."""
    if 0 <= step_index < len(idea.chain):
        step = idea.chain[step_index]
        return actor_id not in (step.approver_id, step.on_behalf_of_id)
    return True


def wants_shared(form: Mapping[str, Any]) -> bool:
    """The form's consent toggle: shared only when explicitly ticked (Teams sends "true")."""
    return str(form.get("share", "")).strip().lower() == "true"


def _idea_id_from(form_id: Any) -> str:
    """The form's own id becomes the idea's id, so the same form submitted twice is one idea."""
    try:
        return str(uuid.UUID(str(form_id)))
    except (ValueError, TypeError):
        return str(uuid.uuid4())
