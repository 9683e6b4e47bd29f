"""Routing: a typed command or a card verb to the flow that handles it, in the reader's language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from bot.domain.calendar import WorkCalendar
from bot.domain.limits import TYPED_TEXT_SHOWN_MAX
from bot.domain.model import Outcome, Role
from bot.domain.pitch import clean_text
from bot.domain.stage import Standing
from bot.ports import ConversationRecord, StoreUnavailable
from bot.services.access import AccessService
from bot.services.challenge import ChallengeService
from bot.services.digest import DigestService
from bot.services.ideas import IdeaService
from bot.services.language import Languages
from bot.services.pitch_day import PitchDayService
from bot.services.report_links import ReportLinks
from cards import help_card, my_ideas_card, verbs
from cards.approval_routes import MY_APPROVALS_LIST
from cards.challenge import challenge_preface, pitch_privately_card
from cards.common import in_language
from cards.details import idea_details_card
from cards.lesson import lesson_form_card, lesson_thanks_card
from cards.my_information import COUNTED, my_information_card
from cards.safe_text import plain
from cards.tab_links import TabLinks, with_tab_links
from cards.welcome import Audience, welcome_card
from dialogs import approval, digest, pitch, read
from dialogs.approvals import ApprovalFlows, decision_comment
from dialogs.challenge import ChallengeFlows
from dialogs.commands import Command, recognise
from dialogs.connect import ConnectFlows
from dialogs.pitch_day import PitchDayFlows
from dialogs.turn import Reply, Turn, as_id, as_key

MY_IDEAS_LIMIT = 20
_AUDIENCE = {
    Role.MANAGER: Audience.APPROVER,
    Role.DIRECTOR: Audience.APPROVER,
    Role.ADM: Audience.APPROVER,
    Role.DM: Audience.DM,
}

Route = Callable[[Turn, str, Mapping[str, Any]], Awaitable[Reply]]
DataFlow = Callable[[Turn, Mapping[str, Any]], Awaitable[Reply]]
TurnFlow = Callable[[Turn], Awaitable[Reply]]
View = Callable[[Turn, Mapping[str, Any]], Awaitable[dict[str, Any] | None]]


class MainDialog:
    def __init__(
        self,
        service: IdeaService,
        clock: Callable[[], datetime],
        digests: DigestService | None = None,
        approvals: ApprovalFlows | None = None,
        *,
        languages: Languages | None = None,
        organiser_ids: frozenset[str] = frozenset(),
        digest_on_request: bool = False,
        challenges: ChallengeService | None = None,
        pitch_day: PitchDayService | None = None,
        tab_links: TabLinks | None = None,
        connect: ConnectFlows | None = None,
        report_links: ReportLinks | None = None,
        access: AccessService | None = None,
    ) -> None:
        self._service = service
        self._access = access
        self._connect = connect  # similar ideas and asking to connect (the embedded store keeps the requests)
        self._tab_links = tab_links or TabLinks()  # an idea's page in the Den tab (a Teams deep link)
        self._clock = clock
        self._digests = digests
        self._approvals = approvals
        self._languages = languages or Languages(service.store, clock)
        self._calendar = digests.calendar if digests is not None else WorkCalendar.of()
        self._organisers = organiser_ids
        self._digest_on_request = digest_on_request
        self._challenges = challenges
        self._den = ChallengeFlows(challenges, report_links) if challenges is not None else None
        self._pitch_day = PitchDayFlows(pitch_day) if pitch_day is not None else None
        # Buttons that open another view: the view is posted as a new card and the card the button
        # was on stays as it was (a receipt keeps its route; a digest stays a digest).
        self._views: dict[str, View] = {
            verbs.PITCH_OPEN: self._form_view,
            verbs.MY_IDEAS: self._my_ideas_view,
            verbs.HELP: self._help_view,
            verbs.VIEW_IDEA: self._details_view,
            verbs.REVISE_OPEN: self._revise_view,
        }
        # Every verb the bot answers, declared in one table (as the Agents SDK's routes are).
        self._routes: dict[str, Route] = {
            verbs.PITCH_SUBMIT: self._submit,
            verbs.IDEA_READ: self._read,
            verbs.PITCH_RESUBMIT: self._resubmit,
            verbs.PITCH_CANCEL: self._cancel_pitch,
            **dict.fromkeys(verbs.DECISION_VERBS, self._decide),
            **dict.fromkeys(self._views, self._navigate),
            verbs.LANGUAGE: self._language_button,
            verbs.IDEA_SHARE: self._share,
            verbs.LESSON_OPEN: self._lesson_form,
            verbs.LESSON_SAVE: self._lesson_save,
        }
        if digests is not None:
            self._routes.update(dict.fromkeys((verbs.DIGEST_SHORTLIST, verbs.DIGEST_NUDGE), self._digest_button))
        if approvals is not None:
            self._routes.update(approval_routes(approvals))
            self._routes[verbs.WITHDRAW] = self._withdraw
        if self._den is not None:
            self._routes.update(challenge_routes(self._den))
            self._routes[verbs.CHALLENGES] = self._challenges_button
        self._routes[verbs.DIGEST_OPEN] = self._digest_button_open
        if self._pitch_day is not None:
            self._routes.update(pitch_day_routes(self._pitch_day))
        if connect is not None:
            self._routes.update(connect.routes())
        else:  # a store that keeps no requests to connect: the buttons say so rather than "unknown"
            self._routes.update(dict.fromkeys(ConnectFlows.VERBS, self._connect_unavailable))

    # ---- language and welcome -----------------------------------------------------------------
    async def localise(self, turn: Turn) -> Turn:
        """The turn in the language the person chose (the switch), else their Teams locale."""
        locale = await self._languages.locale_for(turn.user_id, turn.locale) or turn.locale
        return replace(turn, locale=locale, tz=self._calendar.tz)

    async def welcome(self, turn: Turn) -> dict[str, Any]:
        """The first card someone sees: what the Den is for them (staff, approver, DM, organiser)."""
        turn = await self.localise(turn)
        return await self._welcome_card(turn)

    async def _welcome_card(self, turn: Turn) -> dict[str, Any]:
        audience, approver = await self._audience(turn.user_id)
        return in_language(welcome_card(turn.messages, audience, approver=approver), turn.messages)

    async def _audience(self, user_id: str) -> tuple[Audience, bool]:
        """Who the welcome speaks to, and whether they decide approval steps: their directory role is
        manager, director or ADM, or a step waits with them (passed to them, or acting for someone)."""
        person = await self._service.directory.get_person(user_id)
        by_role = _AUDIENCE.get(person.role, Audience.STAFF) if person is not None else Audience.STAFF
        approver = by_role == Audience.APPROVER or (
            self._approvals is not None and await self._approvals.service.decides_steps(user_id)
        )
        if user_id in self._organisers or (self._challenges and await self._challenges.is_organiser(user_id)):
            return Audience.ORGANISER, approver
        return by_role, approver

    # ---- entry points -------------------------------------------------------------------------
    async def on_text(self, turn: Turn, text: str | None) -> Reply:
        """A typed message: answer with a new card."""
        turn = await self.localise(turn)
        return self._in_language(turn, await self._answer_text(turn, text))

    async def _answer_text(self, turn: Turn, text: str | None) -> Reply:
        if not turn.is_personal:
            # In a channel or group chat nothing private is shown: pitching happens in the 1:1 chat.
            return Reply(card=await self._pitch_privately(turn))
        command = recognise(text)
        if command == Command.PITCH:
            return Reply(card=await self._pitch_form(turn))
        if command == Command.CHALLENGES and self._den is not None:
            return await self._den.list(turn)
        if command == Command.MY_IDEAS:
            return Reply(card=await self._my_ideas(turn))
        if command == Command.HELP:
            return Reply(card=help_card(turn.messages))
        if command == Command.MY_APPROVALS and self._approvals is not None:
            return await self._approvals.my_approvals(turn)
        if command == Command.DELEGATE and self._approvals is not None:
            return await self._approvals.delegation_form(turn)
        if command == Command.BACK and self._approvals is not None:
            return await self._approvals.end_delegation(turn)
        if command == Command.DIGEST:
            return await self._digest_so_far(turn)
        if command == Command.MY_INFORMATION and self._access is not None:
            return Reply(card=await self._my_information(turn))
        if command in (Command.FRENCH, Command.ENGLISH):
            return await self._choose_language(turn, "fr" if command == Command.FRENCH else "en", typed=True)
        shown = plain((text or "").strip()[:TYPED_TEXT_SHOWN_MAX])  # quoted back as text, never as markdown
        return Reply(message=turn.messages.t("unknown.text", text=shown), follow_ups=[help_card(turn.messages)])

    async def _my_information(self, turn: Turn) -> dict[str, Any]:
        """An access request made in chat: what is held, counted, and the request recorded."""
        info = await self._access.information_about(turn.user_id)
        reference = await self._access.record_request(turn.user_id, by=turn.user_id, channel="chat")
        counts = {key: len(info[key]) for key in COUNTED}
        download = self._tab_links.information(reader_id=turn.user_id, locale=turn.messages.language)
        return my_information_card(turn.messages, counts, reference=reference, download=download)

    async def on_action(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        """A card button (Action.Execute): answer with the card that replaces it in place, or, for a
        button that opens another view, post that view as a new card."""
        turn = await self.localise(turn)
        handler = self._routes.get(verb)
        if handler is None:
            return Reply(message=turn.messages.t("error.unknown_action"))
        return self._in_language(turn, await handler(turn, verb, data))

    def _in_language(self, turn: Turn, reply: Reply) -> Reply:
        """Every card of a reply says which language it is written in (for screen readers), and its
        View buttons open the idea in the Den tab (in a channel, only where that link exists)."""
        m = turn.messages
        link = self._tab_links.for_reader(turn.user_id, m.language)

        def finished(card: dict[str, Any]) -> dict[str, Any]:
            return with_tab_links(in_language(card, m), link, keep_without=turn.is_personal)

        reply.card = finished(reply.card) if reply.card is not None else None
        reply.follow_ups = [finished(card) for card in reply.follow_ups]
        return reply

    # ---- the flows each verb leads to ---------------------------------------------------------
    async def _submit(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        return await pitch.submit(self._service, turn, data, self._challenges, self._connect)

    async def _resubmit(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        return await pitch.resubmit(self._service, turn, data)

    async def _cancel_pitch(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        return pitch.cancelled(turn)

    async def _withdraw(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        """Withdrawn from "my ideas": the list comes back, with the idea withdrawn and saying so."""
        reply = await self._approvals.withdraw(turn, data)
        if data.get("view") != "my_ideas" or reply.card is None:
            return reply
        idea = await self._service.store.get(as_id(data.get("ideaId")))
        notice = turn.messages.t("withdraw.done", reference=idea.reference) if idea else ""
        return Reply(card=await self._my_ideas(turn, notice=notice))

    async def _decide(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        outcome = Outcome(verbs.DECISION_VERBS[verb])
        if data.get("list") == MY_APPROVALS_LIST and self._approvals is not None:  # the list stays a list
            result = await approval.record(self._service, turn, outcome, data)
            problem = approval.problem_in_list(turn.messages, result, outcome, decision_comment(data))
            return await self._approvals.decided_from_list(turn, problem, data)
        return await approval.decide(self._service, turn, outcome, data)

    async def _digest_button(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        return await digest.act(self._digests, turn, verb, data, self._challenges)

    async def _read(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        return await read.read(self._service, turn, data)

    async def _navigate(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        view = await self._views[verb](turn, data)
        if view is None:
            return Reply(message=turn.messages.t("approval.not_found"))
        return Reply(message=turn.messages.t("nav.posted_below"), follow_ups=[view])

    async def _share(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        """My ideas' Share / Stop sharing: the consent changes, and My ideas shows it as it is now."""
        shared = data.get("shared") is True or str(data.get("shared")).lower() == "true"
        idea = await self._service.set_sharing(actor_id=turn.user_id, idea_id=as_id(data.get("ideaId")), shared=shared)
        if idea is None:
            return Reply(message=turn.messages.t("approval.not_found"))
        return Reply(card=await self._my_ideas(turn))

    async def _connect_unavailable(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        return Reply(message=turn.messages.t("connect.unavailable"))

    async def _lesson_form(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        """The invitation's *Share what you learned*: a short form (its submitter's, once the idea ended)."""
        idea = await self._service.view(turn.user_id, as_id(data.get("ideaId")))
        if idea is None or idea.submitter.id != turn.user_id or not await self._service.ended_without_going_ahead(idea):
            return Reply(message=turn.messages.t("approval.not_found"))
        return Reply(message=turn.messages.t("nav.posted_below"), follow_ups=[lesson_form_card(turn.messages, idea)])

    async def _lesson_save(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        text = clean_text(data.get("lesson"), multiline=True)
        idea_id = as_id(data.get("ideaId"))
        if not text:
            idea = await self._service.view(turn.user_id, idea_id)
            if idea is not None:
                return Reply(card=lesson_form_card(turn.messages, idea, error=turn.messages.t("lesson.required")))
        shared = str(data.get("shareLesson", "")).lower() == "true"
        idea = await self._service.record_lesson(actor_id=turn.user_id, idea_id=idea_id, text=text, shared=shared)
        if idea is None:
            return Reply(message=turn.messages.t("approval.not_found"))
        return Reply(card=lesson_thanks_card(turn.messages, idea))

    async def _challenges_button(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        """The welcome's *Challenges*: the list is posted below; the welcome stays."""
        return self._posted_below(turn, await self._den.list(turn))

    async def _digest_button_open(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        """A deputy minister's welcome's *Digest*: the week so far, posted below (as typing `digest`)."""
        return self._posted_below(turn, await self._digest_so_far(turn))

    @staticmethod
    def _posted_below(turn: Turn, reply: Reply) -> Reply:
        if reply.card is None:
            return reply
        return Reply(message=turn.messages.t("nav.posted_below"), follow_ups=[reply.card, *reply.follow_ups])

    async def _language_button(self, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
        """The button names the language it switches to; without one (an older card) it switches to the other."""
        language = as_key(data.get("language"))
        if language not in ("en", "fr"):
            language = "en" if turn.messages.language == "fr" else "fr"
        return await self._choose_language(turn, language, typed=False)

    # ---- views --------------------------------------------------------------------------------
    async def _form_view(self, turn: Turn, data: Mapping[str, Any]) -> dict[str, Any]:
        return await self._pitch_form(turn)

    async def _my_ideas_view(self, turn: Turn, data: Mapping[str, Any]) -> dict[str, Any]:
        return await self._my_ideas(turn)

    async def _help_view(self, turn: Turn, data: Mapping[str, Any]) -> dict[str, Any]:
        return help_card(turn.messages)

    async def _details_view(self, turn: Turn, data: Mapping[str, Any]) -> dict[str, Any] | None:
        idea = await self._service.view(turn.user_id, as_id(data.get("ideaId")))
        if idea is None:
            return None
        standing = (await self._standings([idea])).get(idea.id)
        tab = self._tab_links.for_reader(turn.user_id, turn.messages.language)
        link = tab(idea.id) if tab is not None else ""
        return idea_details_card(turn.messages, idea, standing, viewer_id=turn.user_id, tab_link=link)

    async def _revise_view(self, turn: Turn, data: Mapping[str, Any]) -> dict[str, Any] | None:
        """A returned idea's form, filled in with what was sent, under the comment that returned it."""
        return await pitch.revise_form(self._service, turn, as_id(data.get("ideaId")))

    async def _my_ideas(self, turn: Turn, *, notice: str = "") -> dict[str, Any]:
        ideas = await self._service.my_ideas(turn.user_id, MY_IDEAS_LIMIT)
        standings = await self._standings(ideas)
        return my_ideas_card(
            turn.messages,
            ideas,
            self._clock(),
            limit=MY_IDEAS_LIMIT,
            calendar=self._calendar,
            standings=standings,
            notice=notice,
        )

    # ---- the Den challenge --------------------------------------------------------------------
    async def on_channel_added(self, record: ConversationRecord, team_name: str, channel_name: str) -> bool:
        """The bot is in a team's channel: remember it (calls for ideas go there). False if no Den."""
        if self._challenges is None:
            return False
        await self._challenges.register_channel(record, team_name, channel_name)
        return True

    async def _pitch_form(self, turn: Turn) -> dict[str, Any]:
        """The form, showing the open challenge's question when one is open."""
        if self._challenges is None:
            return pitch.new_form(turn, collection=self._service.collection_notice)
        try:
            target = await self._challenges.target_for_pitch()
        except StoreUnavailable:
            # the records are down: the pitch is spooled, as any other
            return pitch.new_form(turn, collection=self._service.collection_notice)
        if target.challenge is None:
            return pitch.new_form(turn, collection=self._service.collection_notice)
        preface = challenge_preface(turn.messages, target.challenge, tz=self._challenges.tz)
        return pitch.new_form(
            turn, preface=preface, challenge_id=target.challenge.id, collection=self._service.collection_notice
        )

    async def _pitch_privately(self, turn: Turn) -> dict[str, Any]:
        target = await self._challenges.target_for_pitch() if self._challenges is not None else None
        challenge_id = target.challenge.id if target and target.challenge else ""
        return pitch_privately_card(turn.messages, challenge_id)

    async def _standings(self, ideas: list) -> dict[str, Standing]:
        """For ideas pitched to a challenge: where each stands in it."""
        return await self._challenges.standings(ideas) if self._challenges is not None else {}

    async def _digest_so_far(self, turn: Turn) -> Reply:
        """A DM's digest for the week so far, in their chat, when DEN_DIGEST_ON_REQUEST allows it."""
        dm = await self._digests.deputy_minister(turn.user_id) if self._digests is not None else None
        if dm is None:
            return Reply(message=turn.messages.t("digest.only_dms"), follow_ups=[help_card(turn.messages)])
        if not self._digest_on_request:
            return Reply(message=turn.messages.t("digest.on_mondays"))
        card = await self._digests.for_chat(dm, turn.locale)
        return Reply(card=card, follow_ups=await self._den.sponsor_digests(turn) if self._den is not None else [])

    async def _choose_language(self, turn: Turn, language: str, *, typed: bool) -> Reply:
        """The Français / English switch: remembered, then the welcome again in the new language."""
        await self._languages.choose(turn.user_id, language)
        turn = await self.localise(turn)
        welcome = await self._welcome_card(turn)
        if typed:
            return Reply(message=turn.messages.t("language.chosen"), card=welcome)
        return Reply(message=turn.messages.t("language.chosen"), follow_ups=[welcome])


def approval_routes(flows: ApprovalFlows) -> dict[str, Route]:
    """The verbs of lean approval routes: hand-overs, withdrawal, a second look, acting approvers."""
    return {
        **_with_data(
            {
                verbs.REFRESH: flows.refresh,
                verbs.REASSIGN: flows.reassign,
                verbs.WITHDRAW: flows.withdraw,
                verbs.SECOND_LOOK: flows.second_look,
                verbs.COMMENT: flows.comment,
                verbs.OPEN_APPROVAL: flows.open_approval,
                verbs.DELEGATE_SET: flows.delegate,
            }
        ),
        **_turn_only(
            {
                verbs.MY_APPROVALS: flows.my_approvals,
                verbs.DELEGATE_OPEN: flows.delegation_form,
                verbs.DELEGATE_END: flows.end_delegation,
            }
        ),
    }


def pitch_day_routes(flows: PitchDayFlows) -> dict[str, Route]:
    """The verbs of pitch day: the panel, the room and People's Choice."""
    return dict.fromkeys(verbs.PITCH_DAY_VERBS, lambda turn, verb, data: flows.on_action(turn, verb, data))


def challenge_routes(den: ChallengeFlows) -> dict[str, Route]:
    """The verbs of the Den challenge: organisers, the channel's button, sponsors, owners."""
    return {
        **_turn_only({verbs.CHALLENGES: den.list, verbs.CHALLENGE_NEW: den.new_form}),
        **_with_data(
            {
                verbs.CHALLENGE_OPEN: den.open,
                verbs.CHALLENGE_SHOW: den.show,
                verbs.CHALLENGE_EDIT_FORM: den.edit_form,
                verbs.CHALLENGE_EDIT: den.edit,
                verbs.CHALLENGE_CLOSE: den.close,
                verbs.CHALLENGE_PITCH: den.pitch_from_channel,
                verbs.DEN_POOL: den.pool,
                verbs.DEN_VIEW: den.view,
                verbs.DEN_SHORTLIST: den.shortlist,
                verbs.DEN_UNSHORTLIST: partial(den.shortlist, undo=True),
                verbs.DEN_FINALISTS: den.finalists,
                verbs.DEN_WINNERS: den.winners,
                verbs.DEN_FUND_FORM: den.fund_form,
                verbs.DEN_FUND: den.fund,
                verbs.DEN_CONSENT: den.consent,
                verbs.DEN_PROGRESS: den.progress,
                verbs.DEN_REPORT: den.report,
            }
        ),
    }


def _with_data(flows: Mapping[str, DataFlow]) -> dict[str, Route]:
    """Routes to flows that read the card's data but not the verb (one verb, one flow)."""

    def route(flow: DataFlow) -> Route:
        return lambda turn, verb, data: flow(turn, data)

    return {verb: route(flow) for verb, flow in flows.items()}


def _turn_only(flows: Mapping[str, TurnFlow]) -> dict[str, Route]:
    """Routes to flows that need only who asked (a list, an empty form)."""

    def route(flow: TurnFlow) -> Route:
        return lambda turn, verb, data: flow(turn)

    return {verb: route(flow) for verb, flow in flows.items()}
