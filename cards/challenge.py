"""Cards of the Den challenge: the organiser's form, the call for ideas, the sponsor's pool and
decisions, what each person on an idea's path is told, the follow-up, the digest and the report.

Pure functions of what they show. Long lists are cut (with a count of the rest) so every card
stays well under Teams' 28 KB.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.domain.challenge import CRITERIA_KEYS, MAX_FINALISTS, Challenge, ChallengePhase
from bot.domain.den_report import FUNNEL_STEPS, TIMED_STAGES, ChallengeReport
from bot.domain.model import Idea, Person
from bot.domain.panel import FinalistResult
from bot.domain.pitch import PROGRAM_AREAS
from bot.domain.stage import FUNNEL, NOTE_MAX, IdeaStage, ProgressStatus, Stage
from bot.domain.visibility import is_public
from bot.formatting import format_money, format_percent
from bot.i18n import Messages
from cards import verbs
from cards.common import (
    Element,
    attention,
    business_days,
    card,
    confirm_first,
    container,
    execute,
    facts,
    field_error,
    good,
    heading,
    local_day,
    subtle,
    text,
    view_idea,
    when,
)
from cards.idea import pitch_summary, reference_title
from cards.lesson import invite_action, invite_line
from cards.safe_text import plain
from cards.scorecard import score_text

POOL_ROWS = 30
LIST_ROWS = 15


def _day(m: Messages, moment: datetime, tz) -> str:
    return local_day(m, moment.astimezone(tz).date())


def _last_day(m: Messages, challenge: Challenge, tz) -> str:
    """The window closes at the start of the day after its last day: show the last day."""
    return local_day(m, (challenge.closes_at.astimezone(tz) - timedelta(seconds=1)).date())


def _window(m: Messages, challenge: Challenge, tz) -> str:
    """The pitch window as planned, or, once an organiser closed it early, when it really closed."""
    opens = _day(m, challenge.opens_at, tz)
    if challenge.closed_early_at is None:
        return m.t("den.window", opens=opens, closes=_last_day(m, challenge, tz))
    closed = _day(m, challenge.closed_early_at, tz)
    return m.t("den.window_closed_early", opens=opens, closed=closed, planned=_last_day(m, challenge, tz))


def _list_line(m: Messages, challenge: Challenge, now: datetime, tz) -> str:
    opens = _day(m, challenge.opens_at, tz)
    if challenge.closed_early_at is not None:
        return m.t("den.list.line_closed_early", opens=opens, closed=_day(m, challenge.closed_early_at, tz))
    phase = m.t(f"den.phase.{challenge.phase(now).value}")
    return m.t("den.list.line", phase=phase, opens=opens, closes=_last_day(m, challenge, tz))


def _error(m: Messages, errors: Mapping[str, str], name: str) -> list[Element]:
    code = errors.get(name)
    return [field_error(m.t(f"den.form.error.{code}"))] if code else []


def _field(label: str, element: Element, m: Messages, errors: Mapping[str, str], name: str) -> list[Element]:
    return [{**element, "label": label, "spacing": "Medium"}, *_error(m, errors, name)]


def challenge_form_card(
    m: Messages,
    *,
    form_id: str,
    sponsors: Sequence[Person],
    channels: Sequence[tuple[str, str]],
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    challenge_id: str = "",
    notice: str = "",
) -> dict[str, Any]:
    """A new challenge (or, with `challenge_id`, an edit of one not yet open). `channels` = (key, label)."""
    values, errors = values or {}, errors or {}
    title = m.t("den.form.edit_title") if challenge_id else m.t("den.form.title")
    body: list[Element] = [heading(title), subtle(m.t("den.form.intro"))]
    if notice:
        body.insert(0, attention(notice))
    if errors:
        body.append(attention(m.t("form.errors_summary")))

    def inp(name: str, **extra: Any) -> Element:
        return {"type": "Input.Text", "id": name, "value": values.get(name, ""), **extra}

    body += _field(
        m.t("den.form.name"),
        inp("name", maxLength=120, isRequired=True, errorMessage=m.t("error.required")),
        m,
        errors,
        "name",
    )
    body += _field(
        m.t("den.form.question"),
        inp(
            "question",
            maxLength=500,
            isMultiline=True,
            isRequired=True,
            placeholder=m.t("den.form.question.placeholder"),
            errorMessage=m.t("error.required"),
        ),
        m,
        errors,
        "question",
    )
    sponsor_choice = {
        "type": "Input.ChoiceSet",
        "id": "sponsors",
        "isMultiSelect": True,
        "style": "expanded",
        "isRequired": True,
        "errorMessage": m.t("error.required"),
        "value": values.get("sponsors", ""),
        "choices": [{"title": p.name, "value": p.id} for p in sponsors],
    }
    body += _field(m.t("den.form.sponsors"), sponsor_choice, m, errors, "sponsors")
    body += _field(
        m.t("den.form.opens_on"),
        {
            "type": "Input.Date",
            "id": "opens_on",
            "isRequired": True,
            "value": values.get("opens_on", ""),
            "errorMessage": m.t("error.required"),
        },
        m,
        errors,
        "opens_on",
    )
    body += _field(
        m.t("den.form.closes_on"),
        {
            "type": "Input.Date",
            "id": "closes_on",
            "isRequired": True,
            "value": values.get("closes_on", ""),
            "errorMessage": m.t("error.required"),
        },
        m,
        errors,
        "closes_on",
    )
    areas = {
        "type": "Input.ChoiceSet",
        "id": "program_areas",
        "isMultiSelect": True,
        "style": "compact",
        "value": values.get("program_areas", ""),
        "choices": [{"title": m.t(f"choice.program_area.{a}"), "value": a} for a in PROGRAM_AREAS],
    }
    body += _field(m.t("den.form.program_areas"), areas, m, errors, "program_areas")
    body += _field(
        m.t("den.form.finalist_count"),
        {
            "type": "Input.Number",
            "id": "finalist_count",
            "min": 1,
            "max": MAX_FINALISTS,
            "value": values.get("finalist_count", "5"),
        },
        m,
        errors,
        "finalist_count",
    )
    body.append(text(m.t("den.form.weights"), weight="Bolder", spacing="Medium"))
    body.append(subtle(m.t("den.form.weights_help")))
    for key in CRITERIA_KEYS:
        body.append(
            {
                "type": "Input.Number",
                "id": f"weight_{key}",
                "label": m.t(f"den.criterion.{key}"),
                "min": 0,
                "max": 100,
                "value": values.get(f"weight_{key}", "20"),
            }
        )
        body += _error(m, errors, f"weight_{key}")
    body += _error(m, errors, "weights")
    body += _field(
        m.t("den.form.pitch_day"),
        {"type": "Input.Date", "id": "pitch_day", "value": values.get("pitch_day", "")},
        m,
        errors,
        "pitch_day",
    )
    body.append(
        {
            "type": "Input.Toggle",
            "id": "peoples_choice",
            "title": m.t("den.form.peoples_choice"),
            "valueOn": "true",
            "valueOff": "false",
            "value": values.get("peoples_choice", "false"),
        }
    )
    channel_choice = {
        "type": "Input.ChoiceSet",
        "id": "channel",
        "style": "compact",
        "value": values.get("channel", ""),
        "placeholder": m.t("den.form.channel.none"),
        "choices": [{"title": label, "value": key} for key, label in channels],
    }
    if channels:  # an empty ChoiceSet is invalid: say how to get one instead
        body += _field(m.t("den.form.channel"), channel_choice, m, errors, "channel")
    else:
        body.append(subtle(m.t("den.form.channel.help")))
    data = {"formId": form_id, "challengeId": challenge_id}
    verb = verbs.CHALLENGE_EDIT if challenge_id else verbs.CHALLENGE_OPEN
    label = m.t("den.form.save") if challenge_id else m.t("den.form.submit")
    return card(m, body, [execute(label, verb, data, style="positive")])


def challenge_facts(m: Messages, challenge: Challenge, tz, sponsor_names: Mapping[str, str]) -> list[Element]:
    areas = ", ".join(m.t(f"choice.program_area.{a}") for a in challenge.program_areas) or m.t("den.all_areas")
    criteria = ", ".join(
        m.t("den.criterion_weight", name=m.t(f"den.criterion.{c.key}"), weight=format_percent(c.weight, m.locale))
        for c in challenge.criteria
    )
    return [
        text(plain(challenge.question), spacing="Small"),
        facts(
            [
                (m.t("den.label.sponsors"), ", ".join(sponsor_names.get(s) or s for s in challenge.sponsor_ids)),
                (m.t("den.label.window"), _window(m, challenge, tz)),
                (m.t("den.label.program_areas"), areas),
                (m.t("den.label.finalists"), str(challenge.finalist_count)),
                (m.t("den.label.criteria"), criteria),
                (m.t("den.label.pitch_day"), local_day(m, challenge.pitch_day) if challenge.pitch_day else ""),
                (m.t("den.label.peoples_choice"), m.t("den.yes") if challenge.peoples_choice else m.t("den.no")),
            ]
        ),
    ]


def challenge_card(
    m: Messages,
    challenge: Challenge,
    *,
    now: datetime,
    tz,
    sponsor_names: Mapping[str, str],
    organiser: bool,
    sponsor: bool,
    headline: str = "",
) -> dict[str, Any]:
    phase = challenge.phase(now)
    body: list[Element] = [heading(plain(challenge.name))]
    if headline:
        body.insert(0, good(headline))
    body.append(subtle(m.t(f"den.phase.{phase.value}")))
    body += challenge_facts(m, challenge, tz, sponsor_names)
    actions: list[Element] = []
    ref = {"challengeId": challenge.id}
    if organiser and phase == ChallengePhase.SCHEDULED:
        actions.append(execute(m.t("den.action.edit"), verbs.CHALLENGE_EDIT_FORM, ref))
    if organiser and phase != ChallengePhase.CLOSED:
        close = execute(m.t("den.action.close_confirm"), verbs.CHALLENGE_CLOSE, ref, style="destructive")
        actions.append(confirm_first(m.t("den.action.close"), m.t("den.close.are_you_sure"), close))
    if sponsor:
        actions.append(execute(m.t("den.action.pool"), verbs.DEN_POOL, ref, style="positive"))
    if organiser or sponsor:
        actions.append(execute(m.t("den.action.report"), verbs.DEN_REPORT, ref))
    if (organiser or sponsor) and challenge.finalists_chosen_at is not None:
        actions.append(execute(m.t("pd.action.open"), verbs.PITCH_DAY, ref))  # the panel and People's Choice
    return card(m, body, actions)


def challenges_card(
    m: Messages, challenges: Sequence[Challenge], *, now: datetime, tz, organiser: bool, user_id: str
) -> dict[str, Any]:
    body: list[Element] = [heading(m.t("den.list.title"))]
    if not organiser:  # staff: who runs challenges, and how to take part
        body.append(text(m.t("den.list.how_to_take_part")))
    if not challenges:
        body.append(text(m.t("den.list.empty")))
    for challenge in list(challenges)[-LIST_ROWS:]:
        line = _list_line(m, challenge, now, tz)
        body.append(
            container(
                [
                    text(plain(challenge.name), weight="Bolder"),
                    subtle(line),
                    {
                        "type": "ActionSet",
                        "actions": [
                            execute(m.t("den.action.show"), verbs.CHALLENGE_SHOW, {"challengeId": challenge.id})
                        ],
                    },
                ],
                separator=True,
            )
        )
    if organiser:
        actions = [execute(m.t("den.action.new"), verbs.CHALLENGE_NEW, style="positive")]
    else:
        actions = [execute(m.t("welcome.pitch"), verbs.PITCH_OPEN, style="positive")]
    return card(m, body, actions)


def call_for_ideas_card(m: Messages, challenge: Challenge, *, tz) -> dict[str, Any]:
    """Posted in the channel when the window opens. The button opens the form in a 1:1 chat."""
    body = [
        heading(m.t("den.call.title", name=plain(challenge.name))),
        text(plain(challenge.question), size="Medium", weight="Bolder"),
        text(m.t("den.call.body", closes=_last_day(m, challenge, tz))),
    ]
    if challenge.program_areas:
        areas = ", ".join(m.t(f"choice.program_area.{a}") for a in challenge.program_areas)
        body.append(subtle(m.t("den.call.areas", areas=areas)))
    body.append(subtle(m.t("den.call.private")))
    return card(
        m, body, [execute(m.t("welcome.pitch"), verbs.CHALLENGE_PITCH, {"challengeId": challenge.id}, style="positive")]
    )


def window_closed_card(m: Messages, challenge: Challenge, *, pitched: int) -> dict[str, Any]:
    return card(
        m,
        [
            heading(m.t("den.closed.title", name=plain(challenge.name))),
            text(m.count("den.closed.body", pitched)),
        ],
    )


def late_pitch_card(m: Messages, next_one: Challenge | None, *, now: datetime, tz) -> dict[str, Any]:
    """A pitch for a challenge whose window has closed: thanks, and where to pitch instead."""
    body = [heading(m.t("den.late.title")), text(m.t("den.late.body"))]
    if next_one is not None:
        if next_one.opens_at <= now:
            body.append(text(m.t("den.late.open_now", name=next_one.name, closes=_last_day(m, next_one, tz))))
        else:
            body.append(text(m.t("den.late.next", name=next_one.name, opens=_day(m, next_one.opens_at, tz))))
    else:
        body.append(text(m.t("den.late.none")))
    return card(m, body, [execute(m.t("welcome.my_ideas"), verbs.MY_IDEAS)])


def challenge_preface(m: Messages, challenge: Challenge, *, tz) -> list[Element]:
    """Above the pitch form: the challenge this pitch goes to, and its question."""
    return [
        container(
            [
                text(
                    m.t("den.form_preface", name=plain(challenge.name), closes=_last_day(m, challenge, tz)),
                    weight="Bolder",
                ),
                text(plain(challenge.question), spacing="Small"),
            ],
            style="emphasis",
        ),
    ]


# ---- the sponsor's pool ------------------------------------------------------------------------
def stage_label(m: Messages, stage: IdeaStage) -> str:
    if stage.stage == Stage.NOT_SELECTED:
        return m.t("den.stage.not_selected_at", furthest=m.t(f"den.stage.{stage.furthest.value}"))
    return m.t(f"den.stage.{stage.stage.value}")


@dataclass(frozen=True)
class Choosing:
    """What the sponsor is choosing with, beside the pool: the boxes they ticked and the reason they
    typed (kept when a choice is refused), why it was refused (shown by the boxes), and for the
    winners, the panel's results and the People's Choice votes once each is final."""

    today: date | None = None  # the local date: winners are chosen on pitch day or later
    picked: Sequence[str] = ()
    reason: str = ""
    problem: str = ""
    panel: Mapping[str, FinalistResult] = field(default_factory=dict)
    votes: Mapping[str, int] | None = None  # None: People's Choice not run, or not closed yet


def _standing_beside(m: Messages, idea_id: str, choosing: Choosing) -> str:
    """The panel's rank and mean, and the People's Choice votes, for one finalist in the winner picker."""
    parts = []
    result = choosing.panel.get(idea_id)
    if result is not None:
        if result.rank is None:
            parts.append(m.t("den.winners.panel_unscored"))
        else:
            key = "den.winners.panel_tied" if result.tied else "den.winners.panel_rank"
            parts.append(m.t(key, rank=result.rank, mean=score_text(result.mean, m)))
    if choosing.votes is not None:
        parts.append(m.count("den.winners.votes", choosing.votes.get(idea_id, 0)))
    return " · ".join(parts)


def pool_card(
    m: Messages,
    challenge: Challenge,
    rows: Sequence[tuple[Idea, IdeaStage]],
    *,
    now: datetime,
    headline: str = "",
    choosing: Choosing | None = None,
) -> dict[str, Any]:
    choosing = choosing or Choosing()
    body: list[Element] = [heading(m.t("den.pool.title", name=plain(challenge.name)))]
    if headline:
        body.insert(0, good(headline))
    counts = {s: sum(1 for _, st in rows if st.stage == s) for s in Stage}
    body.append(
        subtle(
            m.t(
                "den.pool.counts",
                pool=counts[Stage.POOL],
                shortlisted=counts[Stage.SHORTLISTED],
                finalists=counts[Stage.FINALIST],
                winners=counts[Stage.WINNER] + counts[Stage.IMPLEMENTING] + counts[Stage.IMPLEMENTED],
            )
        )
    )
    if not rows:
        body.append(text(m.t("den.pool.empty")))
    can_shortlist = challenge.finalists_chosen_at is None
    for idea, stage in list(rows)[:POOL_ROWS]:
        actions = [execute(m.t("den.action.view"), verbs.DEN_VIEW, {"ideaId": idea.id})]
        if can_shortlist and stage.stage == Stage.POOL:
            actions.append(
                execute(m.t("den.action.shortlist"), verbs.DEN_SHORTLIST, _idea_ref(idea), style="positive")
            )
        if can_shortlist and stage.stage == Stage.SHORTLISTED:
            actions.append(execute(m.t("den.action.unshortlist"), verbs.DEN_UNSHORTLIST, _idea_ref(idea)))
        if stage.stage == Stage.WINNER and stage.funding is None:
            actions.append(execute(m.t("den.action.fund"), verbs.DEN_FUND_FORM, _idea_ref(idea), style="positive"))
        area = m.t(f"choice.program_area.{idea.pitch.program_area}")
        where = plain(idea.submitter.branch_in(m.language) or idea.submitter.name)
        body.append(
            container(
                [
                    text(
                        reference_title(m, idea.reference, idea.pitch.title),
                        weight="Bolder",
                    ),
                    subtle(f"{stage_label(m, stage)} · {where} · {area}"),
                    {"type": "ActionSet", "actions": actions},
                ],
                separator=True,
            )
        )
    if len(rows) > POOL_ROWS:
        body.append(subtle(m.t("den.more", count=len(rows) - POOL_ROWS)))

    actions: list[Element] = []
    shortlisted = [(i, s) for i, s in rows if s.stage == Stage.SHORTLISTED]
    finalists = [(i, s) for i, s in rows if s.stage == Stage.FINALIST]
    if challenge.finalists_chosen_at is None and shortlisted and challenge.phase(now) == ChallengePhase.CLOSED:
        body.append(
            container(
                [
                    text(m.t("den.finalists.title", count=challenge.finalist_count), weight="Bolder"),
                    subtle(m.t("den.finalists.help")),
                    _picks(m, shortlisted, choosing.picked),
                    *_problem(choosing),
                ],
                separator=True,
                spacing="Large",
            )
        )
        confirm = execute(
            m.t("den.action.finalists_confirm"), verbs.DEN_FINALISTS, {"challengeId": challenge.id}, style="positive"
        )
        actions.append(confirm_first(m.t("den.action.finalists"), m.t("den.finalists.are_you_sure"), confirm))
    elif challenge.finalists_chosen_at is None and shortlisted:
        body.append(subtle(m.t("den.finalists.after_close")))
    choosing_winners = challenge.finalists_chosen_at is not None and challenge.winners_chosen_at is None
    if choosing_winners and finalists and not challenge.pitch_day_reached(choosing.today):
        body.append(subtle(m.t("den.winners.after_pitch_day", day=local_day(m, challenge.pitch_day))))
    elif choosing_winners and finalists:
        body.append(
            container(
                [
                    text(m.t("den.winners.title"), weight="Bolder"),
                    subtle(m.t("den.winners.help")),
                    _picks(m, finalists, choosing.picked, lambda i: _standing_beside(m, i.id, choosing)),
                    {
                        "type": "Input.Text",
                        "id": "reason",
                        "isMultiline": True,
                        "maxLength": 500,
                        "label": m.t("den.winners.reason"),
                        **({"value": choosing.reason} if choosing.reason else {}),
                    },
                    *_problem(choosing),
                ],
                separator=True,
                spacing="Large",
            )
        )
        confirm = execute(
            m.t("den.action.winners_confirm"), verbs.DEN_WINNERS, {"challengeId": challenge.id}, style="positive"
        )
        actions.append(confirm_first(m.t("den.action.winners"), m.t("den.winners.are_you_sure"), confirm))
    actions.append(execute(m.t("den.action.refresh"), verbs.DEN_POOL, {"challengeId": challenge.id}))
    return card(m, body, actions)


def _picks(
    m: Messages,
    rows: Sequence[tuple[Idea, IdeaStage]],
    picked: Sequence[str] = (),
    beside: Callable[[Idea], str] | None = None,
) -> Element:
    """The boxes a sponsor ticks to choose finalists (from the shortlist) or winners (from the finalists,
    each with `beside` it: the panel's rank and the People's Choice votes). `picked`: ticked already
    (the sponsor's own choice, coming back after a refusal)."""

    def title(idea: Idea) -> str:
        shown = reference_title(m, idea.reference, idea.pitch.title)
        extra = beside(idea) if beside else ""
        return f"{shown} — {extra}" if extra else shown

    ids = {i.id for i, _ in rows}
    element: Element = {
        "type": "Input.ChoiceSet",
        "id": "picks",
        "isMultiSelect": True,
        "style": "expanded",
        "label": m.t("den.picks.label"),
        "choices": [{"title": title(i), "value": i.id} for i, _ in rows],
    }
    kept = [p for p in picked if p in ids]
    if kept:
        element["value"] = ",".join(kept)
    return element


def _problem(choosing: Choosing) -> list[Element]:
    """Why the sponsor's choice was refused, right under the boxes it is about."""
    return [field_error(choosing.problem)] if choosing.problem else []


def history_lines(m: Messages, stage: IdeaStage, names: Mapping[str, str]) -> list[Element]:
    lines = []
    for change in stage.history:
        label = m.t(f"den.stage.{change.to_stage.value}")
        who = m.t("den.history.by", name=plain(names[change.by])) if names.get(change.by) else ""
        lines.append(subtle(m.t("den.history.line", stage=label, when=when(m, change.at), who=who).rstrip()))
        if change.reason and change.reason not in ("finalists_chosen", "winners_chosen", "shortlist_undone"):
            lines.append(text(m.t("den.history.reason", reason=plain(change.reason)), spacing="Small"))
    return lines


def idea_view_card(
    m: Messages, idea: Idea, stage: IdeaStage | None, challenge: Challenge | None, names: Mapping[str, str]
) -> dict[str, Any]:
    """A sponsor's *View*: the pitch in full, who pitched it, and its path so far."""
    body: list[Element] = []
    if challenge is not None:
        body.append(subtle(plain(challenge.name)))
    body += pitch_summary(m, idea)
    body.append(
        facts(
            [
                (m.t("den.label.submitter"), plain(idea.submitter.name)),
                (m.t("den.label.branch"), plain(idea.submitter.branch_in(m.language))),
            ]
        )
    )
    if stage is not None:
        body.append(text(m.t("den.label.path"), weight="Bolder", spacing="Medium"))
        body += history_lines(m, stage, names)
        if stage.funding is not None:
            body.append(funding_facts(m, stage))
    actions = [execute(m.t("den.action.pool"), verbs.DEN_POOL, {"challengeId": challenge.id})] if challenge else []
    return card(m, body, actions)


def funding_facts(m: Messages, stage: IdeaStage) -> Element:
    f = stage.funding
    assert f is not None
    return facts(
        [
            (m.t("den.label.amount"), format_money(f.amount, m.locale)),
            (m.t("den.label.funding_branch"), plain(f.branch)),
            (m.t("den.label.conditions"), plain(f.conditions)),
        ]
    )


def funding_form_card(
    m: Messages,
    idea: Idea,
    *,
    values: Mapping[str, str] | None = None,
    notice: str = "",
    errors: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    values, errors = values or {}, errors or {}
    body: list[Element] = [
        heading(m.t("den.fund.title")),
        text(reference_title(m, idea.reference, idea.pitch.title)),
    ]
    body += [
        {
            "type": "Input.Text",
            "id": "amount",
            "label": m.t("den.fund.amount"),
            "isRequired": True,
            "errorMessage": m.t("error.required"),
            "maxLength": 20,
            "value": values.get("amount", ""),
        },
        *([field_error(m.t("den.fund.error.amount"))] if errors.get("amount") else []),
        {
            "type": "Input.Text",
            "id": "branch",
            "label": m.t("den.fund.branch"),
            "isRequired": True,
            "errorMessage": m.t("error.required"),
            "maxLength": 120,
            "value": values.get("branch", ""),
        },
        *_error(m, errors, "branch"),
        *([field_error(notice)] if notice and not errors else []),  # what to fix, under amount and branch
        {
            "type": "Input.Text",
            "id": "conditions",
            "label": m.t("den.fund.conditions"),
            "isMultiline": True,
            "maxLength": 1000,
            "value": values.get("conditions", ""),
        },
        *_error(m, errors, "conditions"),
    ]
    return card(
        m, body, [execute(m.t("den.action.record_funding"), verbs.DEN_FUND, _idea_ref(idea), style="positive")]
    )


# ---- what people on the idea's path are told ------------------------------------------------------
def stage_update_card(
    m: Messages, idea: Idea, stage: IdeaStage, challenge: Challenge, *, seq: int, for_submitter: bool
) -> dict[str, Any]:
    """One stage change, told to the submitter (or to an approver who said yes), with what happens next."""
    change = stage.history[seq - 1]
    to = change.to_stage
    key = "not_selected" if to == Stage.NOT_SELECTED else to.value
    if to == Stage.POOL and change.from_stage == Stage.SHORTLISTED:
        key = "unshortlisted"
    audience = "you" if for_submitter else "they"
    furthest = m.t(f"den.stage.{_furthest_before(stage, seq).value}")
    body: list[Element] = [
        subtle(plain(challenge.name)),
        heading(m.t(f"den.update.{key}.title")),
        text(reference_title(m, idea.reference, idea.pitch.title), weight="Bolder"),
    ]
    if not for_submitter:
        body.append(subtle(m.t("den.update.approver_intro", name=idea.submitter.name)))
    body.append(text(m.t(f"den.update.{key}.{audience}", name=plain(challenge.name), furthest=furthest)))
    # What comes next, said to its reader: an approver hears what the submitter will do, not "you will".
    next_key = f"den.next.{key}" if for_submitter or not m.has(f"den.next.{key}.they") else f"den.next.{key}.they"
    body.append(subtle(m.t(next_key, submitter=plain(idea.submitter.name))))
    if to == Stage.IMPLEMENTING and stage.funding is not None:
        body.append(funding_facts(m, stage))
    actions: list[Element] = []
    if for_submitter and to == Stage.NOT_SELECTED and idea.lesson is None:
        actions.append(invite_action(m, idea))  # the invitation to share what was learned, once
    if for_submitter and to == Stage.FINALIST:
        body.append(text(m.t("den.consent.ask"), weight="Bolder", spacing="Medium"))
        if stage.consent_to_name is not None:
            body.append(subtle(m.t("den.consent.yes_now" if stage.consent_to_name else "den.consent.no_now")))
        actions = [
            execute(m.t("den.consent.yes"), verbs.DEN_CONSENT, {**_idea_ref(idea), "consent": True}, style="positive"),
            execute(m.t("den.consent.no"), verbs.DEN_CONSENT, {**_idea_ref(idea), "consent": False}),
        ]
    return card(m, body, actions)


def _furthest_before(stage: IdeaStage, seq: int) -> Stage:
    """How far the idea had got when this change happened (for 'not selected at ...')."""
    reached = [c.to_stage for c in stage.history[:seq] if c.to_stage in FUNNEL]
    return max(reached, key=FUNNEL.index) if reached else Stage.POOL


def consent_card(m: Messages, idea: Idea, stage: IdeaStage, challenge: Challenge) -> dict[str, Any]:
    seq = next((c.seq for c in stage.history if c.to_stage == Stage.FINALIST), len(stage.history))
    return stage_update_card(m, idea, stage, challenge, seq=seq, for_submitter=True)


def announcement_card(
    m: Messages, challenge: Challenge, rows: Sequence[tuple[Idea, IdeaStage]], *, winners: bool
) -> dict[str, Any]:
    """Finalists or winners in the channel: the submitter named only with their consent."""
    kind = "winners" if winners else "finalists"
    body: list[Element] = [heading(m.t(f"den.announce.{kind}.title", name=plain(challenge.name)))]
    body.append(text(m.count(f"den.announce.{kind}.body", len(rows))))
    for idea, stage in rows:
        who = (
            idea.submitter.name
            if stage.consent_to_name
            else m.t("den.announce.anonymous", branch=plain(idea.submitter.branch_in(m.language) or "—"))
        )
        items = [text(plain(idea.pitch.title), weight="Bolder"), subtle(who)]
        if is_public(idea):  # every member may open it: its page in the Den tab (cards/tab_links.py)
            items.append({"type": "ActionSet", "actions": [view_idea(m, idea.id, idea.reference)]})
        body.append(container(items, separator=True))
    if not winners and challenge.pitch_day:
        body.append(text(m.t("den.announce.pitch_day", day=local_day(m, challenge.pitch_day))))
    return card(m, body)


# ---- implementation follow-up ------------------------------------------------------------------
def follow_up_card(
    m: Messages, idea: Idea, stage: IdeaStage, *, notice: str = "", values: Mapping[str, str] | None = None
) -> dict[str, Any]:
    values = values or {}
    body: list[Element] = [
        heading(m.t("den.follow_up.title")),
        text(reference_title(m, idea.reference, idea.pitch.title)),
    ]
    latest = stage.latest_update
    if latest is not None:
        body.append(
            subtle(
                m.t("den.follow_up.last", status=m.t(f"den.progress.{latest.status.value}"), when=when(m, latest.at))
            )
        )
    body.append(text(m.t("den.follow_up.body")))
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": "status",
            "style": "expanded",
            "isRequired": True,
            "errorMessage": m.t("error.required"),
            "value": values.get("status", ""),
            "label": m.t("den.follow_up.status"),
            "choices": [{"title": m.t(f"den.progress.{s.value}"), "value": s.value} for s in ProgressStatus],
        }
    )
    body.append(
        {
            "type": "Input.Text",
            "id": "note",
            "isMultiline": True,
            "maxLength": NOTE_MAX,
            "label": m.t("den.follow_up.note"),
            "value": values.get("note", ""),
        }
    )
    if notice:  # what to fix (a note needed, too long, a status to choose), under the note
        body.append(field_error(notice))
    return card(
        m, body, [execute(m.t("den.action.file_update"), verbs.DEN_PROGRESS, {"ideaId": idea.id}, style="positive")]
    )


def progress_filed_card(m: Messages, idea: Idea, stage: IdeaStage) -> dict[str, Any]:
    latest = stage.latest_update
    body = [
        good(m.t("den.follow_up.thanks")),
        text(reference_title(m, idea.reference, idea.pitch.title)),
    ]
    if latest is not None:
        body.append(
            facts(
                [
                    (m.t("den.follow_up.status"), m.t(f"den.progress.{latest.status.value}")),
                    (m.t("den.follow_up.note"), plain(latest.note)),
                ]
            )
        )
    if stage.stage == Stage.IMPLEMENTED:
        body.append(text(m.t("den.follow_up.done")))
    actions: list[Element] = []
    if stage.stage == Stage.STOPPED:
        body.append(text(m.t("den.follow_up.stopped")))
        if idea.lesson is None:  # the invitation to share what was learned, once
            body.append(invite_line(m))
            actions.append(invite_action(m, idea))
    return card(m, body, actions)


# ---- the funnel: digest and report ------------------------------------------------------------------
def _funnel(m: Messages, report: ChallengeReport) -> Element:
    return facts([(m.t(f"den.funnel.{step}"), str(report.funnel[step])) for step in FUNNEL_STEPS])


def _funded(m: Messages, report: ChallengeReport) -> list[Element]:
    items: list[Element] = [text(m.t("den.report.funded"), weight="Bolder", spacing="Medium")]
    if not report.funded:
        items.append(subtle(m.t("den.report.none_funded")))
    for line in report.funded[:LIST_ROWS]:
        status = m.t(f"den.progress.{line.latest.value}") if line.latest else m.t("den.report.no_update")
        if line.stage == Stage.IMPLEMENTED:
            status = m.t("den.stage.implemented")
        row = [
            text(reference_title(m, line.reference, line.title), weight="Bolder"),
            subtle(
                m.t(
                    "den.report.funded_line",
                    amount=format_money(line.amount, m.locale),
                    branch=plain(line.branch),
                    status=status,
                )
            ),
        ]
        if line.stalled:
            row.append(attention(m.t("den.report.stalled")))
        items.append(container(row, separator=True))
    if len(report.funded) > LIST_ROWS:
        items.append(subtle(m.t("den.more", count=len(report.funded) - LIST_ROWS)))
    return items


def challenge_digest_card(m: Messages, report: ChallengeReport) -> dict[str, Any]:
    """The sponsor's weekly view of a challenge: its funnel and every funded idea's latest status."""
    body: list[Element] = [heading(m.t("den.digest.title", name=plain(report.challenge.name))), _funnel(m, report)]
    if report.stalled:
        body.append(attention(m.count("den.digest.stalled", len(report.stalled))))
    body += _funded(m, report)
    return card(
        m,
        body,
        [
            execute(m.t("den.action.pool"), verbs.DEN_POOL, {"challengeId": report.challenge.id}),
            execute(m.t("den.action.report"), verbs.DEN_REPORT, {"challengeId": report.challenge.id}),
        ],
    )


def report_card(m: Messages, report: ChallengeReport, *, csv_url: str = "", csv_minutes: int = 0) -> dict[str, Any]:
    """The report; `csv_url`: where its reader downloads the CSV (one row per idea)."""
    body: list[Element] = [heading(m.t("den.report.title", name=plain(report.challenge.name))), _funnel(m, report)]
    body.append(text(m.t("den.report.time"), weight="Bolder", spacing="Medium"))
    times = []
    for name in TIMED_STAGES:
        days = report.median_days.get(name)
        shown = business_days(m, days) if days is not None else "—"
        times.append((m.t(f"den.stage.{name}"), shown))
    body.append(facts(times))
    for title, pairs, label in (
        ("den.report.by_branch", report.by_branch, lambda v: v),
        (
            "den.report.by_area",
            report.by_program_area,
            lambda v: m.t(f"choice.program_area.{v}") if m.has(f"choice.program_area.{v}") else v,
        ),
        ("den.report.by_level", report.by_level, lambda v: m.t(f"role.{v}") if m.has(f"role.{v}") else v),
    ):
        body.append(text(m.t(title), weight="Bolder", spacing="Medium"))
        body.append(facts([(label(k), str(v)) for k, v in pairs[:LIST_ROWS]]))
    body += _funded(m, report)
    actions: list[Element] = []
    if csv_url:  # a link only this reader can open, for a short while (bot/web/report_download.py)
        body.append(subtle(m.t("den.report.csv_help", minutes=csv_minutes)))
        actions.append({"type": "Action.OpenUrl", "title": m.t("den.report.csv_button"), "url": csv_url})
    return card(m, body, actions)


def pitch_privately_card(m: Messages, challenge_id: str) -> dict[str, Any]:
    """In a channel or group chat: pitching is private, so the button sends the form to a 1:1 chat."""
    return card(
        m,
        [text(m.t("den.channel.pitch_privately"))],
        [execute(m.t("welcome.pitch"), verbs.CHALLENGE_PITCH, {"challengeId": challenge_id}, style="positive")],
    )


def _idea_ref(idea: Idea) -> dict[str, str]:
    """A sponsor's button's data: the idea, and its challenge (read with it, in one round trip)."""
    return {"ideaId": idea.id, "challengeId": idea.challenge or ""}
