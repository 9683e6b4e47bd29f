"""Cards about one idea: the receipt, the approver's card, status updates for the submitter."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from bot.domain.model import Decision, Idea, IdeaStatus, Outcome
from bot.i18n import Messages
from cards import verbs
from cards.common import (
    Element,
    attention,
    card,
    container,
    execute,
    facts,
    good,
    heading,
    navigate,
    subtle,
    text,
    when,
)
from cards.pitch_form import pitch_form_card


def _label(m: Messages, key: str, name: str, changed: Collection[str]) -> str:
    """A field's label; a field the latest revision changed says so in words (never colour alone)."""
    label = m.t(key)
    return m.t("revision.changed_label", label=label) if name in changed else label


def pitch_summary(
    m: Messages, idea: Idea, *, full: bool = True, changed: Collection[str] = ()
) -> list[dict[str, Any]]:
    """The pitch. `changed` names the fields to mark as changed by the latest revision."""
    p = idea.pitch
    items: list[dict[str, Any]] = []
    if "title" in changed:
        items.append(subtle(m.t("revision.changed_title")))
    items.append(text(p.title, size="Medium", weight="Bolder", spacing="Small"))
    items.append(
        facts(
            [
                (m.t("receipt.reference"), idea.reference),
                (_label(m, "idea.label.beneficiaries", "beneficiaries", changed),
                 m.t(f"choice.beneficiaries.{p.beneficiaries}")),
                (_label(m, "idea.label.program_area", "program_area", changed),
                 m.t(f"choice.program_area.{p.program_area}")),
                (_label(m, "idea.label.cost_band", "cost_band", changed), m.t(f"choice.cost_band.{p.cost_band}")),
                (m.t("idea.label.status"), m.t(f"status.{idea.status.value}")),
            ]
        )
    )
    if full:
        for key, name, value in (
            ("idea.label.problem", "problem", p.problem),
            ("idea.label.solution", "solution", p.solution),
            ("idea.label.first_steps", "first_steps", p.first_steps),
            ("idea.label.people", "people", p.people),
        ):
            if value or name in changed:
                items.append(text(_label(m, key, name, changed), weight="Bolder", spacing="Medium"))
                items.append(text(value or m.t("revision.removed"), spacing="Small"))
    return items


def _decision_line(m: Messages, d: Decision) -> str:
    return m.t(
        "chain.decided", outcome=m.t(f"outcome.{d.outcome.value}"), name=d.approver_name, when=when(d.decided_at)
    )


def _step_state(m: Messages, idea: Idea, index: int, decided: bool) -> str:
    """What a step is waiting for now, if anything. A closed idea has no "Next"."""
    if idea.status == IdeaStatus.IN_REVIEW and index == idea.current_step:
        return m.t("chain.current")
    if idea.status == IdeaStatus.RETURNED and index == idea.current_step:
        return m.t("chain.after_revision")
    if idea.status in (IdeaStatus.IN_REVIEW, IdeaStatus.RETURNED) and index > idea.current_step:
        return m.t("chain.upcoming")
    if not decided and idea.is_closed:
        return m.t("chain.not_reached")
    return ""


def chain_view(m: Messages, idea: Idea) -> dict[str, Any]:
    """Every step in order; under each, every decision taken there (all revisions) with its date and,
    right beneath it, its comment; then what the step is waiting for now."""
    items: list[dict[str, Any]] = [text(m.t("chain.title"), weight="Bolder", spacing="Medium")]
    several_revisions = idea.revision > 1
    for index, step in enumerate(idea.chain):
        who = m.t("chain.step", name=step.approver_name, role=m.t(f"role.{step.role.value}"))
        lines: list[dict[str, Any]] = [text(who, weight="Bolder")]
        decided = [d for d in idea.decisions if d.step_index == index]
        for d in decided:
            line = _decision_line(m, d)
            if several_revisions:
                line = m.t("chain.in_revision", revision=d.revision, line=line)
            lines.append(subtle(line))
            if d.comment:
                lines.append(text(m.t("chain.comment", comment=d.comment), spacing="None"))
        state = _step_state(m, idea, index, bool(decided))
        if state:
            lines.append(subtle(state))
        items.append(
            {
                "type": "ColumnSet",
                "spacing": "Small",
                "columns": [
                    {"type": "Column", "width": "auto", "items": [text(f"{index + 1}.", weight="Bolder")]},
                    {"type": "Column", "width": "stretch", "items": lines},
                ],
            }
        )
    if idea.status == IdeaStatus.APPROVED and not idea.shortlisted_by:
        items.append(text(m.t("chain.after_final"), spacing="Medium"))
    return container(items, separator=True)


def where_now(m: Messages, idea: Idea) -> str:
    if idea.status == IdeaStatus.IN_REVIEW:
        step = idea.chain[idea.current_step]
        return m.t("receipt.now_with", name=step.approver_name, role=m.t(f"role.{step.role.value}"))
    if idea.status == IdeaStatus.APPROVED and idea.shortlisted_by:
        return m.t("status.shortlisted")
    return m.t(f"status.{idea.status.value}")


def view_button(m: Messages, idea: Idea) -> Element:
    """Opens the idea's details card (posted as a new card)."""
    return navigate(m.t("idea.view", reference=idea.reference), verbs.VIEW_IDEA, {"ideaId": idea.id})


def receipt_card(m: Messages, idea: Idea, *, resubmitted: bool = False, title: str = "") -> dict[str, Any]:
    """Where a new (or revised) idea went. `title` overrides the usual one (e.g. for a spooled pitch filed later)."""
    title = title or (m.t("receipt.resubmitted_title") if resubmitted else m.t("receipt.title"))
    body = [heading(title), text(m.t("receipt.saved"))]
    body.append(good(where_now(m, idea)) if idea.chain else good(m.t("receipt.no_chain")))
    body.extend(pitch_summary(m, idea, full=False))
    if idea.chain:
        body.append(chain_view(m, idea))
    return card(body, [view_button(m, idea), navigate(m.t("welcome.my_ideas"), verbs.MY_IDEAS)])


def _decision_data(idea: Idea) -> dict[str, Any]:
    return {"ideaId": idea.id, "step": idea.current_step, "revision": idea.revision}


def _revision_notes(m: Messages, idea: Idea, viewer_id: str) -> list[Element]:
    """On a revised pitch: which revision this is, what it changed, and the comment it answers."""
    if idea.revision < 2:
        return []
    notes: list[Element] = [text(m.t("revision.marker", revision=idea.revision), weight="Bolder")]
    changed = [m.t(f"idea.label.{name}") for name in idea.changes_in(idea.revision)]
    notes.append(
        text(m.t("revision.changed", fields=", ".join(changed)) if changed else m.t("revision.unchanged"),
             spacing="Small")
    )
    earlier = idea.return_before(idea.revision)
    if earlier is not None and earlier.comment:
        key = "revision.your_comment" if earlier.approver_id == viewer_id else "revision.their_comment"
        notes.append(text(m.t(key, name=earlier.approver_name, comment=earlier.comment), spacing="Small"))
    return [container(notes, style="emphasis")]


def approval_parts(
    m: Messages, idea: Idea, *, viewer_id: str, notice: str = "", comment: str = "", comment_error: str = ""
) -> tuple[Element, list[Element], list[Element]]:
    """The approver's card in three parts (title, body, buttons), so a reminder can put its own title on it.

    `comment_error` is shown right under the comment box it is about (not at the top of a tall card).
    """
    step = idea.current_approver
    deciding = step is not None and step.approver_id == viewer_id
    if deciding:
        title = heading(m.t("approval.title"))
    else:
        title = heading(f"{idea.reference}: {m.t(f'status.{idea.status.value}')}")
    body: list[Element] = []
    if notice:
        body.append(attention(notice) if deciding else text(notice, weight="Bolder"))
    body.append(subtle(m.t("approval.from", name=idea.submitter.name)))
    if deciding:
        body.append(
            text(
                m.t(
                    "approval.step",
                    number=idea.current_step + 1,
                    total=len(idea.chain),
                    role=m.t(f"role.{step.role.value}"),
                )
            )
        )
    body.extend(_revision_notes(m, idea, viewer_id))
    body.extend(pitch_summary(m, idea, changed=idea.changes_in(idea.revision)))
    body.append(chain_view(m, idea))
    actions: list[Element] = []
    if deciding:
        comment_input: Element = {
            "type": "Input.Text",
            "id": "comment",
            "label": m.t("approval.comment"),
            "placeholder": m.t("approval.comment.placeholder"),
            "isMultiline": True,
            "maxLength": 1000,
            "errorMessage": comment_error or m.t("approval.comment_required", name=idea.submitter.name),
        }
        if comment:
            comment_input["value"] = comment
        body.append(comment_input)
        if comment_error:
            body.append(attention(comment_error) | {"spacing": "Small"})
        data = _decision_data(idea)
        actions = [
            execute(m.t("approval.approve"), verbs.APPROVE, data, style="positive"),
            execute(m.t("approval.return"), verbs.RETURN, data),
            execute(m.t("approval.reject"), verbs.REJECT, data, style="destructive"),
        ]
    else:
        actions = [view_button(m, idea)]
    return title, body, actions


def approval_card(
    m: Messages, idea: Idea, *, viewer_id: str, notice: str = "", comment: str = "", comment_error: str = ""
) -> dict[str, Any]:
    """The approver's card. Buttons only while this viewer holds the open step."""
    title, body, actions = approval_parts(
        m, idea, viewer_id=viewer_id, notice=notice, comment=comment, comment_error=comment_error
    )
    return card([title, *body], actions)


def decided_card(m: Messages, idea: Idea, decision: Decision) -> dict[str, Any]:
    """What the approver sees in place of the buttons once they have decided."""
    body = [
        heading(m.t("approval.decided_title", outcome=m.t(f"outcome.{decision.outcome.value}"))),
        good(m.t("approval.recorded", name=idea.submitter.name)),
        subtle(_decision_line(m, decision)),
    ]
    if decision.comment:
        body.append(text(m.t("chain.comment", comment=decision.comment)))
    body.extend(pitch_summary(m, idea, full=False))
    body.append(chain_view(m, idea))
    return card(body, [view_button(m, idea)])


def idea_status_card(m: Messages, idea: Idea, *, headline: str = "", comment: str = "") -> dict[str, Any]:
    """Where an idea stands. `comment` is the approver's comment on the decision the headline reports."""
    body: list[dict[str, Any]] = []
    if headline:
        body.append(text(headline, weight="Bolder", size="Medium"))
    if comment:
        body.append(text(m.t("chain.comment", comment=comment)))
    body.append(good(where_now(m, idea)))
    body.extend(pitch_summary(m, idea, full=False))
    body.append(chain_view(m, idea))
    return card(body, [view_button(m, idea), navigate(m.t("welcome.my_ideas"), verbs.MY_IDEAS)])


def returned_card(m: Messages, idea: Idea, decision: Decision, *, form_id: str) -> dict[str, Any]:
    """The comment, then the pitch as a form filled in with what was sent, ready to revise."""
    role = m.t(f"role.{idea.chain[decision.step_index].role.value}")
    header = [
        text(m.t("update.returned", name=decision.approver_name, role=role, reference=idea.reference), weight="Bolder"),
        text(m.t("chain.comment", comment=decision.comment)),
        subtle(m.t("update.returned_hint", name=decision.approver_name)),
    ]
    return pitch_form_card(
        m,
        form_id=form_id,
        values=idea.pitch.as_dict(),
        revise=(idea.id, idea.revision, idea.reference, decision.approver_name),
        preface=header,
    )


def submitter_update_card(m: Messages, idea: Idea, decision: Decision) -> dict[str, Any]:
    """Tell the submitter what was decided (for a return, see `returned_card`)."""
    role = m.t(f"role.{idea.chain[decision.step_index].role.value}")
    if decision.outcome == Outcome.REJECTED:
        headline = m.t("update.rejected", name=decision.approver_name, role=role, reference=idea.reference)
    elif idea.status == IdeaStatus.APPROVED and decision.step_index == len(idea.chain) - 1:
        headline = m.t("update.final", reference=idea.reference)
    else:
        headline = m.t("update.approved_step", name=decision.approver_name, role=role, reference=idea.reference)
    return idea_status_card(m, idea, headline=headline, comment=decision.comment)


def spooled_card(m: Messages, values: dict[str, str]) -> dict[str, Any]:
    """Accepted during an outage of the records: saved here, filed (and numbered) later."""
    return card(
        [
            heading(m.t("spooled.title")),
            text(m.t("spooled.body")),
            text(values.get("title", ""), weight="Bolder"),
        ],
        [navigate(m.t("welcome.my_ideas"), verbs.MY_IDEAS)],
    )


def filed_card(m: Messages, idea: Idea) -> dict[str, Any]:
    """The receipt for a pitch accepted during an outage, sent once it is filed."""
    return receipt_card(m, idea, title=m.t("spooled.filed_title", reference=idea.reference))


def shortlisted_card(m: Messages, idea: Idea) -> dict[str, Any]:
    """Tell the submitter a deputy minister shortlisted their idea for the Den, and what comes next."""
    body = [
        heading(m.t("shortlisted.title", reference=idea.reference)),
        text(m.t("shortlisted.body")),
        *pitch_summary(m, idea, full=False),
    ]
    return card(body, [view_button(m, idea), navigate(m.t("welcome.my_ideas"), verbs.MY_IDEAS)])
