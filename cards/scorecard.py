"""Pitch day's panel cards: the pitch-day card, naming the panel, a judge's scorecards, the results.

A judge's scorecard shows only that judge's own scores; the results card (chair, organisers and
sponsors) shows aggregates per finalist, never one judge's scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from bot.domain.challenge import Challenge
from bot.domain.model import Idea, Outcome
from bot.domain.panel import COMMENT_MAX, SCORE_MAX, SCORE_MIN, Conflict, FinalistResult, Panel, Scorecard
from bot.domain.voting import Poll
from bot.formatting import format_percent
from bot.i18n import Messages
from cards import verbs
from cards.common import (
    Element,
    attention,
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
)
from cards.common import when as when_shown
from cards.safe_text import plain


def score_text(value: Fraction | None, m: Messages) -> str:
    """A weighted score with two decimals, written as the reader's language writes decimals."""
    if value is None:
        return "—"
    shown = f"{float(value):.2f}"
    return shown.replace(".", ",") if m.language == "fr" else shown


def _ref(challenge: Challenge, **more: Any) -> dict[str, Any]:
    return {"challengeId": challenge.id, **more}


def _finalist_line(idea: Idea) -> str:
    return f"{idea.reference} · {idea.pitch.title}"


def pitch_day_card(
    m: Messages,
    challenge: Challenge,
    finalists: Sequence[Idea],
    panel: Panel | None,
    poll: Poll | None,
    *,
    viewer_id: str,
    organiser: bool,
    names: Mapping[str, str],
    done: Mapping[str, int] | None = None,
    notice: str = "",
    today: date | None = None,
) -> dict[str, Any]:
    """What an organiser, the chair, a judge or a sponsor can do about pitch day, as it stands.
    `today` (the local date): scoring closes, and voting opens, on pitch day or later. Closing scoring or voting, which
    cannot be undone, first says so on the card and asks again."""
    body: list[Element] = [heading(m.t("pd.title", name=challenge.name))]
    if notice:
        body.insert(0, good(notice))
    day = local_day(m, challenge.pitch_day) if challenge.pitch_day else m.t("pd.no_date")
    body.append(facts([(m.t("den.label.pitch_day"), day)]))
    body.append(text(m.t("pd.finalists", count=len(finalists)), weight="Bolder"))
    body += [subtle(_finalist_line(i)) for i in finalists] or [subtle(m.t("pd.no_finalists"))]
    chair = panel is not None and panel.chair_id == viewer_id
    judge = panel is not None and panel.is_judge(viewer_id)
    actions: list[Element] = []
    if panel is None:
        body.append(text(m.t("pd.panel.none")))
    else:
        state = m.t("pd.scoring.closed") if panel.scoring_closed else m.t("pd.scoring.open")
        judges = ", ".join(names.get(j) or j for j in panel.judge_ids)
        chair_name = names.get(panel.chair_id) or panel.chair_id
        rows = [(m.t("pd.label.judges"), judges), (m.t("pd.label.chair"), chair_name), (m.t("pd.label.scoring"), state)]
        body.append(facts(rows))
        if (organiser or chair) and done is not None:
            lines = [m.t("pd.progress_line", name=names.get(j) or j, done=done.get(j, 0), total=len(finalists))
                     for j in panel.judge_ids]  # fmt: skip
            body.append(container([subtle(line) for line in lines], spacing="Small"))
    ref = _ref(challenge)
    voting: list[Element] = []
    if organiser and challenge.peoples_choice and finalists:
        if poll is None:
            if challenge.pitch_day_reached(today):  # voting opens once the finalists have pitched
                voting.append(execute(m.t("pc.action.open"), verbs.VOTING_OPEN, ref))
        elif poll.is_open:
            close = execute(m.t("pc.action.close_confirm"), verbs.VOTING_CLOSE, ref, style="destructive")
            voting.append(confirm_first(m.t("pc.action.close"), m.t("pc.close.are_you_sure"), close))
            # Also when the card went out: it may have scrolled far up the channel, or (Agents
            # Playground) another person's page has just become the channel.
            voting.append(execute(m.t("pc.action.repost"), verbs.VOTING_REPOST, ref))
    if poll is not None:
        key = "pd.voting.open" if poll.is_open else "pd.voting.closed"
        body.append(facts([(m.t("pd.label.peoples_choice"), m.t(key))]))
    if voting:
        body.append({"type": "ActionSet", "actions": voting})
    if organiser and (panel is None or not panel.scoring_closed) and finalists:
        actions.append(execute(m.t("pd.action.name_panel"), verbs.PANEL_FORM, ref, style="positive"))
    if judge and not panel.scoring_closed:
        actions.append(execute(m.t("pd.action.my_scorecards"), verbs.SCORECARDS, ref, style="positive"))
    if chair and not panel.scoring_closed and challenge.pitch_day_reached(today):
        close = execute(m.t("pd.action.close_scoring_confirm"), verbs.CLOSE_SCORING, ref, style="destructive")
        actions.append(confirm_first(m.t("pd.action.close_scoring"), m.t("pd.close_scoring.are_you_sure"), close))
    elif chair and not panel.scoring_closed:
        body.append(subtle(m.t("pd.scoring.closes_on_pitch_day", day=local_day(m, challenge.pitch_day))))
    if chair and challenge.channel_key and finalists:
        label = "pd.action.room_start" if panel.now_pitching < 0 else "pd.action.room_next"
        actions.append(execute(m.t(label), verbs.ROOM, _ref(challenge, step=1)))
    if panel is not None and panel.scoring_closed and (chair or organiser or challenge.is_sponsor(viewer_id)):
        actions.append(execute(m.t("pd.action.results"), verbs.RESULTS, ref, style="positive"))
    return card(m, body, actions)


def panel_form_card(
    m: Messages,
    challenge: Challenge,
    *,
    values: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
    known: Sequence[tuple[str, str]] = (),
    below_quorum: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Organisers name the judges and the chair with Teams' people picker (anyone in the tenant,
    guests included); the bot checks each one against the directory. `below_quorum` (judges named,
    quorum): fewer judges than the results need, said at the field, with a button to save anyway."""
    errors = errors or {}
    body: list[Element] = [heading(m.t("pd.form.title", name=challenge.name)), text(m.t("pd.form.intro"))]
    if errors:
        body.append(attention(m.t(f"pd.form.error.{errors.get('judges', 'invalid')}")))
    if below_quorum is not None:
        named, quorum = below_quorum
        body.append(attention(m.count("pd.form.warning.below_quorum", named, quorum=quorum)))
    people = {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
    choices = [{"title": name or person_id, "value": person_id} for person_id, name in known]
    body.append({"type": "Input.ChoiceSet", "id": "judges", "label": m.t("pd.form.judges"), "isMultiSelect": True,
                 "isRequired": True, "errorMessage": m.t("error.required"), "value": values.get("judges", ""),
                 "choices": choices, "choices.data": people})  # fmt: skip
    body.append({"type": "Input.ChoiceSet", "id": "chair", "label": m.t("pd.form.chair"), "isRequired": True,
                 "errorMessage": m.t("error.required"), "value": values.get("chair", ""), "choices": choices,
                 "choices.data": people})  # fmt: skip
    body.append({"type": "Input.Date", "id": "remind_on", "label": m.t("pd.form.remind_on"),
                 "value": values.get("remind_on", "")})  # fmt: skip
    body.append({"type": "Input.Time", "id": "remind_time", "label": m.t("pd.form.remind_time"),
                 "value": values.get("remind_time", "")})  # fmt: skip
    body.append(subtle(m.t("pd.form.remind_help")))
    actions = [execute(m.t("pd.action.save_panel"), verbs.PANEL_NAME, _ref(challenge), style="positive")]
    if below_quorum is not None:
        actions.append(execute(m.t("pd.action.save_panel_anyway"), verbs.PANEL_NAME,
                               _ref(challenge, belowQuorumConfirmed=True)))  # fmt: skip
    return card(m, body, actions)


def panel_named_card(m: Messages, challenge: Challenge, panel: Panel, finalists: Sequence[Idea], *,
                     chair_name: str) -> dict[str, Any]:  # fmt: skip
    day = local_day(m, challenge.pitch_day) if challenge.pitch_day else m.t("pd.no_date")
    body: list[Element] = [
        heading(m.t("pd.named.title", name=challenge.name)),
        text(m.t("pd.named.body", day=day, count=len(finalists), chair=chair_name)),
    ]
    if panel.remind_at is not None:
        body.append(subtle(m.t("pd.named.reminder", when=when_shown(m, panel.remind_at))))
    body.append(subtle(m.t("pd.private")))
    actions = [
        execute(m.t("pd.action.my_scorecards"), verbs.SCORECARDS, _ref(challenge), style="positive"),
        execute(m.t("pd.action.open"), verbs.PITCH_DAY, _ref(challenge)),
    ]  # the chair closes scoring there
    return card(m, body, actions)


def _criterion_label(m: Messages, key: str, weight: int) -> str:
    return m.t("pd.criterion", name=m.t(f"den.criterion.{key}"), weight=format_percent(weight, m.locale))


def _pitch(m: Messages, finalist: Idea) -> list[Element]:
    """The whole pitch, as the judge reads it before scoring: the facts, then every part of it."""
    p = finalist.pitch
    items: list[Element] = [
        facts([
            (m.t("receipt.reference"), finalist.reference),
            (m.t("idea.label.beneficiaries"), m.t(f"choice.beneficiaries.{p.beneficiaries}")),
            (m.t("idea.label.program_area"), m.t(f"choice.program_area.{p.program_area}")),
            (m.t("idea.label.cost_band"), m.t(f"choice.cost_band.{p.cost_band}")),
        ])
    ]  # fmt: skip
    for key, value in (("problem", p.problem), ("solution", p.solution), ("first_steps", p.first_steps),
                       ("people", p.people)):  # fmt: skip
        if value:
            items.append(text(m.t(f"idea.label.{key}"), weight="Bolder", spacing="Small"))
            items.append(text(plain(value), spacing="None"))
    return [container(items, style="emphasis")]


def conflict_hints(m: Messages, finalist: Idea, judge_id: str) -> list[str]:
    """What the Den knows that may be a conflict of interest: the judge approved this idea on its way
    to the Den, or is in its submitter's line of management."""
    hints = []
    approved = [d for d in finalist.decisions if d.approver_id == judge_id and d.outcome == Outcome.APPROVED]
    if approved:
        hints.append(m.t("pd.coi.you_approved", when=when_shown(m, approved[-1].decided_at)))
    if judge_id in finalist.line_ids:
        hints.append(m.t("pd.coi.you_manage", name=plain(finalist.submitter.name)))
    return hints


def _scores(m: Messages, challenge: Challenge, shown: Mapping[str, Any], scorecard: Scorecard,
            errors: Mapping[str, str]) -> list[Element]:  # fmt: skip
    """One compact choice (1 to 5) per criterion, each labelled with the criterion and its weight;
    a missing one is marked under it, as Teams marks a required choice."""
    choices = [{"title": str(n), "value": str(n)} for n in range(SCORE_MIN, SCORE_MAX + 1)]
    items: list[Element] = []
    for criterion in challenge.criteria:
        name = f"score_{criterion.key}"
        current = shown.get(name, scorecard.scores.get(criterion.key, ""))
        items.append({
            "type": "Input.ChoiceSet", "id": name, "label": _criterion_label(m, criterion.key, criterion.weight),
            "style": "compact", "isRequired": True, "errorMessage": m.t("pd.scorecard.pick"),
            "placeholder": m.t("pd.scorecard.placeholder"), "value": str(current), "choices": choices,
        })  # fmt: skip
        if criterion.key in errors:
            items.append(field_error(m.t("pd.scorecard.pick")))
    return items


def scorecard_card(
    m: Messages,
    challenge: Challenge,
    finalist: Idea,
    scorecard: Scorecard,
    panel: Panel,
    *,
    notice: str = "",
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One judge's card for one finalist: the whole pitch, the declaration first (with what the Den
    knows that may be a conflict), then the scores (their own only). Its refresh shows it as it now
    stands, so once the chair closes scoring an old scorecard offers nothing to change."""
    errors = errors or {}
    body: list[Element] = [
        heading(plain(finalist.pitch.title)),
        subtle(m.t("pd.scorecard.kicker", name=challenge.name)),
        *_pitch(m, finalist),
    ]
    if notice:
        body.append(good(notice) if not errors else attention(notice))
    ref = _ref(challenge, finalistId=finalist.id)
    refreshed = {"refresh": {"action": {"type": "Action.Execute", "verb": verbs.SCORECARD, "data": ref}}}
    actions: list[Element] = []
    if scorecard.conflict == Conflict.RECUSED:
        at = when_shown(m, scorecard.declared_at) if scorecard.declared_at else ""
        body.append(text(m.t("pd.scorecard.recused", when=at), weight="Bolder"))
        return {**card(m, body), **refreshed}
    if panel.scoring_closed:
        body.append(attention(m.t("pd.scorecard.closed")))
        body += _own_scores(m, challenge, scorecard)
        return {**card(m, body), **refreshed}
    # Recusing sends none of the scores: the required choices must not stop it (as they did ending a delegation).
    recuse = execute(m.t("pd.coi.recuse_confirm"), verbs.DECLARE, {**ref, "conflict": "recused"}, style="destructive")
    recuse["associatedInputs"] = "none"
    if scorecard.conflict == Conflict.UNDECLARED:
        body += [attention(hint) for hint in conflict_hints(m, finalist, scorecard.judge_id)]
        body.append(text(m.t("pd.coi.question"), weight="Bolder"))
        body.append(subtle(m.t("pd.coi.help")))
        actions.append(execute(m.t("pd.coi.none"), verbs.DECLARE, {**ref, "conflict": "none"}, style="positive"))
        actions.append(confirm_first(m.t("pd.coi.recuse"), m.t("pd.coi.are_you_sure"), recuse))
        return {**card(m, body, actions), **refreshed}
    body.append(subtle(m.t("pd.scorecard.scale", low=SCORE_MIN, high=SCORE_MAX)))
    body += _scores(m, challenge, dict(values or {}), scorecard, errors)
    shown = dict(values or {})
    body.append({"type": "Input.Text", "id": "comment", "label": m.t("pd.scorecard.comment"), "isMultiline": True,
                 "maxLength": COMMENT_MAX, "value": str(shown.get("comment", scorecard.comment))})  # fmt: skip
    if "comment" in errors:
        body.append(field_error(m.t("pd.scorecard.comment_too_long", max=COMMENT_MAX)))
    if scorecard.scored_at is not None:
        body.append(
            subtle(m.t("pd.scorecard.saved_at", when=when_shown(m, scorecard.changed_at or scorecard.scored_at)))
        )
    body.append(subtle(m.t("pd.private")))
    label = "pd.action.change_scores" if scorecard.scored_at else "pd.action.save_scores"
    actions.append(execute(m.t(label), verbs.SCORE, ref, style="positive"))
    actions.append(confirm_first(m.t("pd.coi.recuse_late"), m.t("pd.coi.are_you_sure_late"), recuse))
    return {**card(m, body, actions), **refreshed}


def _own_scores(m: Messages, challenge: Challenge, scorecard: Scorecard) -> list[Element]:
    if not scorecard.scores:
        return [subtle(m.t("pd.scorecard.not_scored"))]
    pairs = [(_criterion_label(m, c.key, c.weight), str(scorecard.scores.get(c.key, "—"))) for c in challenge.criteria]
    return [facts(pairs), *([text(scorecard.comment, isSubtle=True)] if scorecard.comment else [])]


def my_scorecards_card(
    m: Messages, challenge: Challenge, finalists: Sequence[Idea], cards: Sequence[Scorecard], panel: Panel
) -> dict[str, Any]:
    """A judge's own list: each finalist and what is left to do."""
    body: list[Element] = [heading(m.t("pd.mine.title", name=challenge.name))]
    if panel.scoring_closed:
        body.append(attention(m.t("pd.scorecard.closed")))
    by_finalist = {c.finalist_id: c for c in cards}
    for idea in finalists:
        scorecard = by_finalist.get(idea.id) or Scorecard(challenge.id, idea.id, "")
        state = ("pd.state.recused" if scorecard.conflict == Conflict.RECUSED else "pd.state.scored"
                 if scorecard.is_scored else "pd.state.to_score" if scorecard.conflict == Conflict.NONE
                 else "pd.state.to_declare")  # fmt: skip
        row = container([text(_finalist_line(idea), weight="Bolder"), subtle(m.t(state))], separator=True)
        row["selectAction"] = execute(m.t("pd.action.open_scorecard"), verbs.SCORECARD,
                                      _ref(challenge, finalistId=idea.id))  # fmt: skip
        body.append(row)
    body.append(subtle(m.t("pd.mine.help")))
    return card(m, body)


def panel_reminder_card(m: Messages, challenge: Challenge, left: int) -> dict[str, Any]:
    body = [heading(m.t("pd.reminder.title", name=challenge.name)), text(m.count("pd.reminder.body", left))]
    return card(m, body, [execute(m.t("pd.action.my_scorecards"), verbs.SCORECARDS, _ref(challenge), style="positive")])


def results_card(
    m: Messages, challenge: Challenge, finalists: Sequence[Idea], results: Sequence[FinalistResult], *, quorum: int,
    closed_at: datetime | None,
) -> dict[str, Any]:  # fmt: skip
    """The panel's results: per finalist the weighted mean, the spread, how many judges scored,
    the rank (ties shown as ties) and whether a quorum scored. Aggregates only."""
    ideas = {i.id: i for i in finalists}
    body: list[Element] = [heading(m.t("pd.results.title", name=challenge.name)), attention(m.t("pd.results.private"))]
    if closed_at is not None:
        body.append(subtle(m.t("pd.results.closed_at", when=when_shown(m, closed_at))))
    for result in results:
        idea = ideas.get(result.finalist_id)
        title = _finalist_line(idea) if idea else result.finalist_id
        if result.rank is None:
            rank = m.t("pd.results.unranked")
        elif result.tied:
            rank = m.ordinal("pd.results.rank_tied", result.rank)
        else:
            rank = m.ordinal("pd.results.rank", result.rank)
        items: list[Element] = [text(f"{rank} · {title}", weight="Bolder")]
        items.append(facts([
            (m.t("pd.results.mean"), score_text(result.mean, m)),
            (m.t("pd.results.spread"), m.t("pd.results.spread_value", low=score_text(result.lowest, m),
                                           high=score_text(result.highest, m)) if result.judges else "—"),
            (m.t("pd.results.judges"), str(result.judges)),
            (m.t("pd.results.recusals"), str(result.recusals) if result.recusals else ""),
        ]))  # fmt: skip
        if result.below_quorum:
            items.append(attention(m.count("pd.results.below_quorum", result.judges, quorum=quorum)))
        body.append(container(items, separator=True))
    body.append(subtle(m.t("pd.results.scale")))
    return card(m, body)
