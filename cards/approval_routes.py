"""Cards and card parts for lean approval routes: why the route is what it is, who acts for
whom, hand-overs, the read-only card for informed levels (and how the idea ended), withdrawal, a second look,
"my approvals", and the acting-approver form.

Names people typed or chose are shown in TextBlocks through the catalogue like every other
card; reasons and comments are people's own words and are shown as such.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.domain.delegation import Delegation
from bot.domain.limits import REASON_MAX
from bot.domain.model import ApprovalStep, Decision, HistoryEntry, HistoryKind, Idea, IdeaStatus, Role
from bot.i18n import Messages
from cards import verbs
from cards.common import (
    Element,
    attention,
    business_days,
    card,
    container,
    execute,
    good,
    heading,
    local_day,
    subtle,
    text,
    view_idea,
    when,
)
from cards.safe_text import plain

PICKER_DATASET = "graph.microsoft.com/users"  # Teams' people picker: searches the whole organisation


# ---- names and notes ----------------------------------------------------------------------
def level(m: Messages, role: Role | str) -> str:
    """A person's level as written beside their name: "Diane Tremblay (Director)"; in French
    "Diane Tremblay, à la direction", a level rather than a gendered role noun."""
    return m.t(f"level.{Role(role).value}")


def step_holder(m: Messages, step: ApprovalStep) -> str:
    """'Diane Tremblay for Maya Singh', or just the approver's name."""
    if step.on_behalf_of_id:
        return m.t("acting.for", name=plain(step.approver_name), principal=plain(step.on_behalf_of_name))
    return plain(step.approver_name)


def decider(m: Messages, decision: Decision) -> str:
    if decision.on_behalf_of_id:
        return m.t("acting.for", name=plain(decision.approver_name), principal=plain(decision.on_behalf_of_name))
    return plain(decision.approver_name)


def history_line(m: Messages, entry: HistoryEntry) -> str:
    """One hand-over, withdrawal or second look, as a sentence with its time."""
    at = when(m, entry.at)
    if entry.kind == HistoryKind.ACTING:
        return m.t(
            f"history.acting.{entry.reason or 'delegation'}",
            name=plain(entry.to_name),
            principal=plain(entry.from_name),
            when=at,
        )
    if entry.kind in (HistoryKind.REASSIGNED, HistoryKind.SECOND_LOOK):  # someone passed it on, with a reason
        return m.t(
            f"history.{entry.kind.value}",
            actor=plain(entry.actor_name),
            name=plain(entry.to_name),
            reason=plain(entry.reason),
            when=at,
        )
    if entry.kind == HistoryKind.ESCALATED:
        duration = business_days(m, entry.days)
        return m.t(
            "history.escalated", principal=plain(entry.from_name), name=plain(entry.to_name), duration=duration, when=at
        )
    if entry.kind == HistoryKind.MOVED_ON:
        key = "history.moved_on.no_decision" if entry.reason == "no_decision" else "history.moved_on.away"
        return m.t(key, principal=plain(entry.from_name), duration=business_days(m, entry.days), when=at)
    if entry.kind == HistoryKind.WITHDRAWN:
        key = "history.withdrawn_reason" if entry.reason else "history.withdrawn"
        return m.t(key, name=plain(entry.actor_name), reason=plain(entry.reason), when=at)
    if entry.kind == HistoryKind.INFORMED:
        return m.t("history.informed", name=plain(entry.to_name), when=at)
    if entry.kind == HistoryKind.CORRECTED:
        field = m.t(f"idea.label.{entry.to_name}") if m.has(f"idea.label.{entry.to_name}") else plain(entry.to_name)
        return m.t("history.corrected", field=field, name=plain(entry.actor_name), reason=plain(entry.reason), when=at)
    return m.t("history.commented", name=plain(entry.actor_name), comment=plain(entry.reason), when=at)


def step_notes(m: Messages, idea: Idea, index: int) -> list[str]:
    """What happened at one step besides decisions: hand-overs, a second look, who was informed
    (comments are shown apart)."""
    shown = {HistoryKind.ACTING, HistoryKind.REASSIGNED, HistoryKind.ESCALATED, HistoryKind.MOVED_ON}
    shown |= {HistoryKind.SECOND_LOOK, HistoryKind.INFORMED, HistoryKind.WITHDRAWN, HistoryKind.CORRECTED}
    return [history_line(m, h) for h in idea.history_for(index) if h.kind in shown]


def comments_view(m: Messages, idea: Idea) -> list[Element]:
    """Comments from people on the route (informed levels included), oldest first."""
    said = [h for h in idea.history if h.kind == HistoryKind.COMMENTED]
    if not said:
        return []
    items: list[Element] = [text(m.t("comments.title"), weight="Bolder", spacing="Medium")]
    items += [text(history_line(m, h), spacing="Small") for h in said]
    return items


def route_why(m: Messages, idea: Idea) -> list[Element]:
    """Why the idea takes this route: the routing rule's reason, in the reader's language, unless
    the route is not the rule's (nobody at a level the rule names was above the submitter, so their
    nearest manager decides): then the card says that, naming who decides."""
    if idea.route_nearest_decides and idea.chain:
        step = idea.chain[0]
        why = m.t("route.nearest_decides", name=plain(step.approver_name), role=level(m, step.role))
        return [subtle(m.t("route.why", why=why))]
    why = idea.route_why.get(m.language) or idea.route_why.get("en", "")
    return [subtle(m.t("route.why", why=why))] if why else []


def informed_line(m: Messages, idea: Idea) -> list[Element]:
    """Who the route only keeps informed: once each, and never someone who holds or decided a step
    (an idea passed to an informed level makes them a decider, not a bystander)."""
    deciders = {s.approver_id for s in idea.chain} | {d.approver_id for d in idea.decisions}
    seen: set[str] = set()
    roles: list[str] = []
    for i in idea.informed:
        if i.person_id in deciders or i.person_id in seen:
            continue
        seen.add(i.person_id)
        roles.append(m.t("chain.step", name=plain(i.person_name), role=level(m, i.role)))
    return [subtle(m.t("route.informed", names=", ".join(roles)))] if roles else []


def handover_notice(m: Messages, idea: Idea, viewer_id: str) -> str:
    """Why this step is with the viewer, if it came to them other than in the usual way."""
    step = idea.current_approver
    if step is None:
        return ""
    if viewer_id and viewer_id == step.on_behalf_of_id:
        return m.t("my_approvals.held_for_you", name=plain(step.approver_name))
    entries = [h for h in idea.history_for(idea.current_step) if h.revision == idea.revision]
    latest = next((h for h in reversed(entries) if h.to_id == step.approver_id), None)
    if latest is None or viewer_id != step.approver_id:
        return ""
    if latest.kind == HistoryKind.ACTING:
        return m.t(f"acting.notice.{latest.reason or 'delegation'}", principal=plain(latest.from_name))
    if latest.kind == HistoryKind.REASSIGNED:
        return m.t("reassign.notice", actor=plain(latest.actor_name), reason=plain(latest.reason))
    if latest.kind == HistoryKind.ESCALATED:
        return m.t("escalate.notice", principal=plain(latest.from_name), duration=business_days(m, latest.days))
    if latest.kind == HistoryKind.SECOND_LOOK:
        rejected = next((d for d in reversed(idea.decisions) if d.approver_id == latest.from_id), None)
        comment = rejected.comment if rejected else ""
        return m.t(
            "second_look.notice",
            name=plain(idea.submitter.name),
            reason=plain(latest.reason),
            principal=plain(latest.from_name),
            comment=plain(comment),
        )
    return ""


def holder_now(m: Messages, idea: Idea) -> str:
    """For a stale card: who holds the idea now, or how it ended."""
    step = idea.current_approver
    if step is not None:
        return m.t("approval.now_with", name=step_holder(m, step), role=level(m, step.shown_role))
    if idea.status == IdeaStatus.WITHDRAWN:
        return m.t("withdraw.approver_notice", name=plain(idea.submitter.name))
    return m.t(f"status.{idea.status.value}")


# ---- inputs and buttons -----------------------------------------------------------------------
def people_picker(m: Messages, input_id: str, label: str, people: list[tuple[str, str]] | None = None) -> Element:
    """Teams' people picker (Input.ChoiceSet searching the organisation), offering `people` first.
    With nobody to offer, a plain box for the colleague's email (a choice set needs a choice)."""
    if not people:
        return {
            "type": "Input.Text",
            "id": input_id,
            "label": label,
            "style": "Email",
            "isRequired": True,
            "errorMessage": m.t("picker.required"),
            "placeholder": m.t("picker.email_placeholder"),
            "maxLength": 254,
        }
    return {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "isRequired": True,
        "errorMessage": m.t("picker.required"),
        "choices": [{"title": name, "value": person_id} for person_id, name in people],
        "choices.data": {"type": "Data.Query", "dataset": PICKER_DATASET},
        "placeholder": m.t("picker.placeholder"),
    }


def route_people(idea: Idea) -> list[tuple[str, str]]:
    """Colleagues on the idea's route a step could be passed to: not the submitter, not the holder."""
    step = idea.current_approver
    skip = {idea.submitter.id, step.approver_id if step else ""}
    people: dict[str, str] = {}
    for s in idea.chain:
        people.setdefault(s.approver_id, s.approver_name)
    for i in idea.informed:
        people.setdefault(i.person_id, i.person_name)
    return [(pid, name) for pid, name in people.items() if pid not in skip]


def reason_input(m: Messages, input_id: str, label: str, *, required: bool = True, value: str = "") -> Element:
    element: Element = {
        "type": "Input.Text",
        "id": input_id,
        "label": label,
        "isMultiline": True,
        "maxLength": REASON_MAX,
        "isRequired": required,
    }
    if required:
        element["errorMessage"] = m.t("reason.required")
    if value:
        element["value"] = value
    return element


def show_card(title: str, body: list[Element], actions: list[Element]) -> Element:
    return {
        "type": "Action.ShowCard",
        "title": title,
        "card": {"type": "AdaptiveCard", "body": body, "actions": actions},
    }


def reassign_action(m: Messages, idea: Idea) -> Element:
    data = {"ideaId": idea.id, "step": idea.current_step, "revision": idea.revision}
    return show_card(
        m.t("reassign.button"),
        [
            people_picker(m, "reassignTo", m.t("reassign.to"), route_people(idea)),
            reason_input(m, "reassignReason", m.t("reassign.reason")),
        ],
        [execute(m.t("reassign.confirm"), verbs.REASSIGN, data)],
    )


def withdraw_action(m: Messages, idea: Idea, *, reason_field: str = "withdrawReason", view: str = "") -> Element:
    """`reason_field`: the reason box's id (unique on a card listing several ideas); `view`: the card
    the button is on when the answer should be that card again ("my_ideas")."""
    data: dict[str, Any] = {"ideaId": idea.id}
    if reason_field != "withdrawReason":
        data["reasonField"] = reason_field
    if view:
        data["view"] = view
    return show_card(
        m.t("withdraw.button"),
        [text(m.t("withdraw.confirm_text")), reason_input(m, reason_field, m.t("withdraw.reason"), required=False)],
        [execute(m.t("withdraw.confirm"), verbs.WITHDRAW, data, style="destructive")],
    )


def second_look_action(m: Messages, idea: Idea) -> Element:
    return show_card(
        m.t("second_look.button"),
        [text(m.t("second_look.explain")), reason_input(m, "secondLookReason", m.t("second_look.reason"))],
        [execute(m.t("second_look.confirm"), verbs.SECOND_LOOK, {"ideaId": idea.id}, style="positive")],
    )


def refresh(idea: Idea, view: str = "approval") -> dict[str, Any]:
    """Universal Actions refresh: Teams asks for the card again when it is shown (without userIds,
    for everyone in a chat of 60 or fewer), so an old card shows the idea as it is now."""
    return {"action": {"type": "Action.Execute", "verb": verbs.REFRESH, "data": {"ideaId": idea.id, "view": view}}}


# ---- whole cards ----------------------------------------------------------------------------------
def informed_card(
    m: Messages, idea: Idea, *, summary: list[Element], chain: Element, notice: str = ""
) -> dict[str, Any]:
    """For a level the route only keeps informed: read-only, but they can comment."""
    body: list[Element] = [heading(m.t("informed.title", reference=idea.reference))]
    if notice:
        body.append(good(notice))
    body.append(text(m.t("informed.body", name=plain(idea.submitter.name))))
    body += route_why(m, idea)
    body += summary
    body.append(chain)  # the chain ends with who is kept informed
    body += comments_view(m, idea)
    actions: list[Element] = []
    if idea.status != IdeaStatus.WITHDRAWN:
        body.append(reason_input(m, "comment", m.t("informed.comment"), required=False))
        actions.append(execute(m.t("informed.comment_button"), verbs.COMMENT, {"ideaId": idea.id}))
    actions.append(view_idea(m, idea.id, idea.reference))
    return {**card(m, body, actions), "refresh": refresh(idea, "informed")}


def informed_outcome_card(m: Messages, idea: Idea, *, summary: list[Element], chain: Element) -> dict[str, Any]:
    """For a level the route kept informed: how the idea ended (approved for the Den, not approved or
    withdrawn). The record below says who decided, when and why. Nothing to do: View only."""
    outcome = idea.status.value
    body: list[Element] = [
        heading(m.t(f"informed_outcome.title.{outcome}", reference=idea.reference)),
        good(m.t(f"informed_outcome.body.{outcome}", name=plain(idea.submitter.name))),
        subtle(m.t("informed_outcome.nothing_needed")),
    ]
    body += summary
    body.append(chain)
    return card(m, body, [view_idea(m, idea.id, idea.reference)])


def withdrawn_card(m: Messages, idea: Idea, *, summary: list[Element], chain: Element) -> dict[str, Any]:
    """The approver's card once the submitter withdrew the idea: no buttons left."""
    body: list[Element] = [
        heading(m.t("withdraw.approver_title", reference=idea.reference)),
        attention(m.t("withdraw.approver_notice", name=plain(idea.submitter.name))),
    ]
    body += summary  # the chain below shows who withdrew it, when and why
    body.append(chain)
    return card(m, body, [view_idea(m, idea.id, idea.reference)])


def comment_card(m: Messages, idea: Idea, entry: HistoryEntry, *, chain: Element) -> dict[str, Any]:
    """Tell the submitter someone on the route commented."""
    return card(
        m,
        [
            heading(m.t("comments.new_title", name=plain(entry.actor_name), reference=idea.reference)),
            text(plain(entry.reason)),
            chain,
        ],
        [view_idea(m, idea.id, idea.reference), execute(m.t("welcome.my_ideas"), verbs.MY_IDEAS)],
    )


def my_approvals_card(
    m: Messages,
    ideas: list[Idea],
    now: datetime,
    *,
    waiting_days,
    viewer_id: str = "",
    decided: list[Idea] | None = None,
    problems: dict[str, str] | None = None,
    comments: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything waiting for the approver, oldest first, each with its one-click buttons.
    `waiting_days(idea)` gives business days waiting. Each idea has its own comment box.

    A decision taken from this list keeps the list: the ideas decided from it (`decided`) are
    marked at the top with their outcome, the rest stay actionable, and a click that recorded
    nothing says why under its idea (`problems`, with what was typed kept in `comments`)."""
    decided, problems, comments = decided or [], problems or {}, comments or {}
    body: list[Element] = [heading(m.t("my_approvals.title"))]
    for idea in decided:
        body.append(container(_decided_in_list(m, idea, viewer_id), separator=True, spacing="Medium"))
    if not ideas:
        body.append(text(m.t("my_approvals.all_done" if decided else "my_approvals.none")))
        return card(m, body, [execute(m.t("welcome.my_ideas"), verbs.MY_IDEAS)])
    body.append(subtle(m.t("my_approvals.count", count=len(ideas))))
    marked = [i.id for i in decided]
    for n, idea in enumerate(ideas):
        step = idea.current_approver
        data = {"ideaId": idea.id, "step": idea.current_step, "revision": idea.revision, "commentField": f"comment{n}",
                "list": MY_APPROVALS_LIST, "decided": marked}  # fmt: skip
        lines = [
            text(m.t("my_approvals.item", reference=idea.reference, title=plain(idea.pitch.title)), weight="Bolder"),
            subtle(
                m.t("my_approvals.from", name=plain(idea.submitter.name), duration=business_days(m, waiting_days(idea)))
            ),
        ]
        if step is not None and step.on_behalf_of_id == viewer_id:
            lines.append(subtle(m.t("my_approvals.held_for_you", name=plain(step.approver_name))))
        elif step is not None and step.on_behalf_of_id:
            lines.append(subtle(m.t("my_approvals.acting", principal=plain(step.on_behalf_of_name))))
        comment_box: Element = {
            "type": "Input.Text",
            "id": f"comment{n}",
            "label": m.t("approval.comment"),
            "isMultiline": False,
            "maxLength": 1000,
        }
        if comments.get(idea.id):
            comment_box["value"] = comments[idea.id]
        lines.append(comment_box)
        if problems.get(idea.id):
            lines.append(attention(problems[idea.id]))
        lines.append(
            {
                "type": "ActionSet",
                "actions": [
                    execute(m.t("approval.approve"), verbs.APPROVE, data, style="positive"),
                    execute(m.t("approval.return"), verbs.RETURN, data),
                    execute(m.t("approval.reject"), verbs.REJECT, data, style="destructive"),
                    execute(m.t("my_approvals.open"), verbs.OPEN_APPROVAL, {"ideaId": idea.id}),
                ],
            }
        )
        body.append(container(lines, separator=True, spacing="Medium"))
    return card(m, body)


MY_APPROVALS_LIST = "mine"  # in a decision button's data: the click came from "my approvals"


def _decided_in_list(m: Messages, idea: Idea, viewer_id: str) -> list[Element]:
    """An idea decided from the list: its title, and the decision this viewer took (or who took it)."""
    title = text(m.t("my_approvals.item", reference=idea.reference, title=plain(idea.pitch.title)), weight="Bolder")
    mine = [d for d in idea.decisions if viewer_id in (d.approver_id, d.on_behalf_of_id)]
    if mine:
        latest = mine[-1]
        line = good(m.t("my_approvals.decided", outcome=m.t(f"outcome.{latest.outcome.value}"),
                        name=plain(idea.submitter.name)))  # fmt: skip
    else:
        line = subtle(m.t("my_approvals.no_longer_yours"))
    return [title, line, {"type": "ActionSet", "actions": [view_idea(m, idea.id, idea.reference)]}]


def delegation_card(
    m: Messages,
    *,
    today: date,
    current: Delegation | None,
    people: list[tuple[str, str]] | None = None,
    notice: str = "",
    problem: str = "",
    handed_over: int | None = None,
) -> dict[str, Any]:
    """'Someone acts for me until <date>': set it, or end the one in force.

    `handed_over` is given just after saving: the arrangement in force is then the one confirmation
    (in green), followed by how many waiting steps went to the colleague when there were any."""
    body: list[Element] = [heading(m.t("delegate.title"))]
    if notice:
        body.append(good(notice))
    in_force = (
        m.t("delegate.current", name=plain(current.delegate_name), day=local_day(m, current.last_day))
        if current is not None
        else ""
    )
    just_saved = handed_over is not None and current is not None
    if just_saved:
        body.append(good(in_force))
        if handed_over:
            body.append(text(m.count("delegate.handed_over", handed_over)))
    if problem:
        body.append(attention(problem))
    body.append(text(m.t("delegate.body")))
    actions: list[Element] = []
    if current is not None and not just_saved:
        body.append(text(in_force, weight="Bolder"))
    if current is not None:
        # Ending sends none of the form's inputs, so the required person and date do not stop it.
        actions.append(execute(m.t("delegate.end"), verbs.DELEGATE_END, {}) | {"associatedInputs": "none"})
    body.append(people_picker(m, "delegateId", m.t("delegate.who"), people))
    body.append(
        {
            "type": "Input.Date",
            "id": "lastDay",
            "label": m.t("delegate.until"),
            "min": today.isoformat(),
            "isRequired": True,
            "errorMessage": m.t("delegate.until_required"),
        }
    )
    actions.insert(0, execute(m.t("delegate.set"), verbs.DELEGATE_SET, {}, style="positive"))
    return card(m, body, actions)
