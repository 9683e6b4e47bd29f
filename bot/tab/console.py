"""The organisers' console in the Den tab: create, edit and close a challenge, name its panel, open and
close People's Choice, move *Now pitching* on, and download the report's CSV.

Every action calls the same use case as its card (bot/services/challenge.py, bot/services/pitch_day.py):
the same domain rules, the same records, history and notifications, the same refusals. A page shows
the state it was drawn from (the challenge's and the panel's stored versions, the poll's state, the
finalist on screen); an action sent from a page older than the records is refused, changes nothing,
and the page comes back as things now stand. Only organisers have a console: anyone else's request,
to read or to act, answers as a page that does not exist (404).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.domain.challenge import CRITERIA_KEYS, ChallengePhase, draft_from_challenge
from bot.domain.pitch import PROGRAM_AREAS
from bot.formatting import format_date
from bot.services.challenge import ChallengeService
from bot.services.challenge import Status as ChallengeStatus
from bot.services.pitch_day import PitchDay, PitchDayService
from bot.services.pitch_day import Status as DayStatus
from bot.services.report_links import ReportLinks
from bot.tab.pages import Reader, _render, not_found_page
from bot.tab.routes import TabRoutes, _html

# The people the panel form offers: (search text, ids to keep offering) -> [(id, name)], then how
# many the search found (bot/tab/wiring.py: the directory port's people search).
People = Callable[[str, Iterable[str]], Awaitable[tuple[list[tuple[str, str]], int]]]
SEARCH_MAX = 100


@dataclass
class Notice:
    """What the page says at its top about the action just taken: done, or refused and why."""

    text: str
    refused: bool = False


@dataclass
class FormState:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


class ConsoleRoutes:
    def __init__(
        self,
        tab: TabRoutes,
        challenges: ChallengeService,
        pitch_day: PitchDayService | None,
        *,
        people: People,
        report_links: ReportLinks | None = None,
    ) -> None:
        self.tab = tab
        self.challenges = challenges
        self.pitch_day = pitch_day
        self.people = people
        self.report_links = report_links

    def mount(self, app: web.Application) -> None:
        signed = self.tab.signed_in
        app.router.add_get("/tab/api/console", signed(self.organisers_only(self.home)))
        app.router.add_post("/tab/api/console/new", signed(self.organisers_only(self.create)))
        app.router.add_get("/tab/api/console/{cid}", signed(self.organisers_only(self.challenge_page)))
        for action in ("edit", "close", "panel", "voting", "room"):
            handler = signed(self.organisers_only(getattr(self, action)))
            app.router.add_post(f"/tab/api/console/{{cid}}/{action}", handler)

    def organisers_only(self, handler):
        async def check(request: web.Request, reader: Reader) -> web.StreamResponse:
            if not reader.user.member or not await self.challenges.is_organiser(reader.user.id):
                return _html(not_found_page(reader), status=404)
            return await handler(request, reader)

        return check

    # ---- the list and the new challenge -----------------------------------------------------
    async def home(self, request: web.Request, reader: Reader, form: FormState | None = None,
                   notice: Notice | None = None) -> web.StreamResponse:
        now = self.challenges.clock()
        rows = sorted(await self.challenges.challenges(), key=lambda c: c.opens_at, reverse=True)
        return _html(_render(
            "console.html", reader, section="console", rows=[(c, c.phase(now).value) for c in rows],
            form=await self._form(reader, form or FormState(_new_values())), notice=notice, new_id=str(uuid.uuid4()),
        ), status=422 if form and form.errors else 200)

    async def create(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        form = _values(await request.post())
        result = await self.challenges.open(actor_id=reader.user.id, form=form)
        m = reader.messages
        if result.status == ChallengeStatus.INVALID:
            return await self.home(request, reader, FormState({**form, **result.values}, result.errors),
                                   Notice(m.t("console.fix_form"), refused=True))
        if result.challenge is None:
            return await self.home(request, reader, notice=self._challenge_refusal(m, result.status.value))
        done = m.t("den.form.opened") if result.status == ChallengeStatus.RECORDED else m.t("console.already_done")
        return await self._page(reader, result.challenge.id, Notice(done))

    # ---- one challenge ----------------------------------------------------------------------
    async def challenge_page(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        """The challenge's page; `people`: a search of the directory for judges to name."""
        search = " ".join(request.query.get("people", "").split())[:SEARCH_MAX]
        return await self._page(reader, request.match_info["cid"], search=search)

    async def _page(self, reader: Reader, challenge_id: str, notice: Notice | None = None,
                    form: FormState | None = None, panel_form: FormState | None = None,
                    search: str = "") -> web.StreamResponse:
        challenge = await self.challenges.get(challenge_id)
        if challenge is None:
            return _html(not_found_page(reader), status=404)
        m = reader.messages
        now = self.challenges.clock()
        phase = challenge.phase(now)
        day = await self.pitch_day.day(challenge_id) if self.pitch_day is not None else None
        editable = phase == ChallengePhase.SCHEDULED
        edit = None
        if editable:
            values = draft_from_challenge(challenge, self.challenges.tz)
            values["channel"] = challenge.channel_key
            edit = await self._form(reader, form or FormState(values))
        pitch = self._pitch_day(reader, day, panel_form) if day is not None and day.finalists else None
        if pitch is not None:  # the judges and chair on the page stay offered, whoever found them
            pitch["people"], pitch["found"] = await self.people(search, [*pitch["judges"], pitch["chair"]])
            pitch["search"] = search
        csv = self.report_links.link(reader.user.id, challenge.id) if self.report_links is not None else ""
        names = await self.challenges.names(challenge.sponsor_ids)
        return _html(_render(
            "console_challenge.html", reader, section="console", challenge=challenge, phase=phase.value,
            version=str(challenge.version), edit=edit, pitch=pitch, notice=notice, csv=csv,
            sponsors=", ".join(n for n in names.values() if n),
            opens=format_date(challenge.opens_at.astimezone(self.challenges.tz).date(), m.locale),
            last_day=format_date((challenge.closed_at.astimezone(self.challenges.tz) - timedelta(days=1)).date(),
                                 m.locale),
            pitch_day=format_date(challenge.pitch_day, m.locale) if challenge.pitch_day else "",
        ), status=422 if (form and form.errors) or (panel_form and panel_form.errors) else 200)

    def _pitch_day(self, reader: Reader, day: PitchDay, panel_form: FormState | None) -> dict[str, Any]:
        panel, poll = day.panel, day.poll
        values = panel_form.values if panel_form else {
            "judges": ",".join(panel.judge_ids) if panel else "", "chair": panel.chair_id if panel else "",
        }
        now_index = panel.now_pitching if panel else -1  # -1: nobody has pitched yet
        count = len(day.finalists)
        return {
            "finalists": day.finalists,
            "panel": panel,
            "panel_version": str(panel.version) if panel else "none",
            "judges": set(values.get("judges", "").split(",")) - {""},
            "chair": values.get("chair", ""),
            "panel_error": panel_form.errors.get("judges", "") if panel_form else "",
            "poll": poll,
            "poll_state": "none" if poll is None else ("open" if poll.is_open else "closed"),
            "peoples_choice": day.challenge.peoples_choice,
            "now_index": now_index,
            "now": day.finalists[now_index] if 0 <= now_index < count else None,
            "next": day.finalists[now_index + 1] if now_index + 1 < count else None,
            "all_pitched": now_index >= count,
        }

    async def _form(self, reader: Reader, state: FormState) -> dict[str, Any]:
        sponsors = [(p.id, p.name) for p in await self.challenges.sponsors_available()]
        channels = [(c.key, f"{c.team_name} › {c.channel_name}") for c in await self.challenges.channels()]
        return {"given": state.values, "errors": state.errors, "sponsors": sponsors, "channels": channels,
                "areas": PROGRAM_AREAS, "criteria": CRITERIA_KEYS,
                "chosen_sponsors": set(state.values.get("sponsors", "").split(",")) - {""},
                "chosen_areas": set(state.values.get("program_areas", "").split(",")) - {""}}

    # ---- the actions, each through the card's own use case -----------------------------------
    async def edit(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        cid, form = request.match_info["cid"], _values(await request.post())
        m = reader.messages
        if (stale := await self._stale_challenge(reader, cid, form)) is not None:
            return stale
        result = await self.challenges.edit(actor_id=reader.user.id, challenge_id=cid, form=form)
        if result.status == ChallengeStatus.INVALID:
            return await self._page(reader, cid, Notice(m.t("console.fix_form"), refused=True),
                                    form=FormState({**form, **result.values}, result.errors))
        if result.status == ChallengeStatus.RECORDED:
            return await self._page(reader, cid, Notice(m.t("den.form.saved")))
        reason = result.errors.get("_", result.status.value)
        return await self._page(reader, cid, self._challenge_refusal(m, reason))

    async def close(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        cid, form = request.match_info["cid"], _values(await request.post())
        m = reader.messages
        if (stale := await self._stale_challenge(reader, cid, form)) is not None:
            return stale
        result = await self.challenges.close(actor_id=reader.user.id, challenge_id=cid)
        if result.status == ChallengeStatus.RECORDED:
            return await self._page(reader, cid, Notice(m.t("den.form.closed_now")))
        reason = "already_closed" if result.status == ChallengeStatus.ALREADY else result.status.value
        return await self._page(reader, cid, self._challenge_refusal(m, reason))

    async def panel(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        cid, form = request.match_info["cid"], await request.post()
        m = reader.messages
        if self.pitch_day is None:
            return _html(not_found_page(reader), status=404)
        day = await self.pitch_day.day(cid)
        if day is None:
            return _html(not_found_page(reader), status=404)
        shown = str(form.get("panel_version", ""))
        if shown != (str(day.panel.version) if day.panel else "none"):
            return await self._page(reader, cid, Notice(m.t("console.stale"), refused=True))
        judges = [str(j) for j in form.getall("judges", []) if str(j).strip()]
        chair = str(form.get("chair", "")).strip()
        remind_at, bad = self.pitch_day.reminder_at(form.get("remind_on"), form.get("remind_time"))
        values = {"judges": ",".join(judges), "chair": chair}
        if bad:
            return await self._page(reader, cid, Notice(m.t("console.fix_form"), refused=True),
                                    panel_form=FormState(values, {"judges": "bad_time"}))
        result = await self.pitch_day.name_panel(actor_id=reader.user.id, challenge_id=cid, judge_ids=judges,
                                                 chair_id=chair, remind_at=remind_at)
        if result.status == DayStatus.INVALID:
            return await self._page(reader, cid, Notice(m.t("console.fix_form"), refused=True),
                                    panel_form=FormState(values, result.errors))
        if result.status == DayStatus.RECORDED:
            return await self._page(reader, cid, Notice(m.t("console.panel_named")))
        return await self._page(reader, cid, self._day_refusal(m, result.reason or result.status.value))

    async def voting(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        cid, form = request.match_info["cid"], await request.post()
        m = reader.messages
        day = await self.pitch_day.day(cid) if self.pitch_day is not None else None
        if day is None:
            return _html(not_found_page(reader), status=404)
        state = "none" if day.poll is None else ("open" if day.poll.is_open else "closed")
        if str(form.get("poll_state", "")) != state:
            return await self._page(reader, cid, Notice(m.t("console.stale"), refused=True))
        if form.get("action") == "open":
            result = await self.pitch_day.open_voting(actor_id=reader.user.id, challenge_id=cid)
            done = "pc.opened"
        else:
            result = await self.pitch_day.close_voting(actor_id=reader.user.id, challenge_id=cid)
            done = "pc.closed"
        if result.status == DayStatus.RECORDED and not result.reason:
            return await self._page(reader, cid, Notice(m.t(done)))
        if result.status == DayStatus.RECORDED:  # recorded, but the channel's card could not be posted
            return await self._page(reader, cid, Notice(m.t(done) + " " + m.t(f"pd.refused.{result.reason}")))
        return await self._page(reader, cid, self._day_refusal(m, result.reason or result.status.value))

    async def room(self, request: web.Request, reader: Reader) -> web.StreamResponse:
        cid, form = request.match_info["cid"], await request.post()
        m = reader.messages
        day = await self.pitch_day.day(cid) if self.pitch_day is not None else None
        if day is None or day.panel is None:
            return _html(not_found_page(reader), status=404)
        if str(form.get("shown", "")) != str(day.panel.now_pitching):
            return await self._page(reader, cid, Notice(m.t("console.stale"), refused=True))
        step = -1 if form.get("step") == "back" else 1
        result = await self.pitch_day.advance_room(actor_id=reader.user.id, challenge_id=cid, step=step)
        if result.status == DayStatus.RECORDED:
            extra = f" {m.t('pd.refused.' + result.reason)}" if result.reason else ""
            return await self._page(reader, cid, Notice(m.t("console.room_moved") + extra))
        return await self._page(reader, cid, self._day_refusal(m, result.reason or result.status.value))

    async def _stale_challenge(self, reader: Reader, cid: str, form: Mapping[str, str]) -> web.StreamResponse | None:
        """An action from a page drawn before the challenge last changed: refused, with the page as it is now."""
        challenge = await self.challenges.get(cid)
        if challenge is None:
            return _html(not_found_page(reader), status=404)
        if form.get("version", "") != str(challenge.version):
            return await self._page(reader, cid, Notice(reader.messages.t("console.stale"), refused=True))
        return None

    @staticmethod
    def _challenge_refusal(m, reason: str) -> Notice:
        for key in (f"den.form.{reason}", f"den.refused.{reason}"):
            if m.has(key):
                return Notice(m.t(key), refused=True)
        return Notice(m.t("den.refused.refused"), refused=True)

    @staticmethod
    def _day_refusal(m, reason: str) -> Notice:
        key = f"pd.refused.{reason}"
        return Notice(m.t(key) if m.has(key) else m.t("pd.refused.refused"), refused=True)


def _values(form: Any) -> dict[str, str]:
    """A posted form as the card's values: several boxes of one name (sponsors, areas) joined by commas."""
    values: dict[str, str] = {}
    for key in set(form.keys()):
        items = [str(v) for v in form.getall(key)]
        values[key] = ",".join(i for i in items if i) if key in ("sponsors", "program_areas") else items[-1]
    return values


def _new_values() -> dict[str, str]:
    return {"finalist_count": "5", **{f"weight_{k}": "20" for k in CRITERIA_KEYS}, "peoples_choice": "false"}

