"""Cards about one idea: the receipt, the approver's card, status updates for the submitter."""

from __future__ import annotations

from typing import Any

from bot.domain.limits import COMMENT_MAX
from bot.domain.model import Decision, Idea, IdeaStatus, Outcome
from bot.i18n import Messages
from cards import verbs
from cards.common import Element, attention, card, container, execute, facts, good, heading, subtle, text, when
from cards.pitch_form import pitch_form_card
from cards.safe_text import plain


def pitch_summary(m: Messages, idea: Idea, *, full: bool = True) -> list[dict[str, Any]]:
    p = idea.pitch
    items: list[dict[str, Any]] = [text(plain(p.title), size="Medium", weight="Bolder")]
    items.append(
        facts(
            [
                (m.t("receipt.reference"), idea.reference),
                (m.t("idea.label.beneficiaries"), m.t(f"choice.beneficiaries.{p.beneficiaries}")),
                (m.t("idea.label.program_area"), m.t(f"choice.program_area.{p.program_area}")),
                (m.t("idea.label.cost_band"), m.t(f"choice.cost_band.{p.cost_band}")),
                (m.t("idea.label.status"), m.t(f"status.{idea.status.value}")),
            ]
        )
    )
    if full:
        for label, value in (
            ("idea.label.problem", p.problem),
            ("idea.label.solution", p.solution),
            ("idea.label.first_steps", p.first_steps),
            ("idea.label.people", p.people),
        ):
            if value:
                items.append(text(m.t(label), weight="Bolder", spacing="Medium"))
                items.append(text(plain(value), spacing="Small"))
    return items


def _decision_line(m: Messages, d: Decision) -> str:
    return m.t(
        "chain.decided", outcome=m.t(f"outcome.{d.outcome.value}"), name=plain(d.approver_name), when=when(d.decided_at)
    )


def chain_view(m: Messages, idea: Idea) -> dict[str, Any]:
    """Every step with what was decided there (all revisions), and where the idea is now."""
    items: list[dict[str, Any]] = [text(m.t("chain.title"), weight="Bolder", spacing="Medium")]
    for index, step in enumerate(idea.chain):
        who = m.t("chain.step", name=plain(step.approver_name), role=m.t(f"role.{step.role.value}"))
        decided = [d for d in idea.decisions if d.step_index == index]
        lines = [_decision_line(m, d) for d in decided]
        comments = [m.t("chain.comment", comment=plain(d.comment)) for d in decided if d.comment]
        if idea.status == IdeaStatus.IN_REVIEW and index == idea.current_step:
            lines.append(m.t("chain.current"))
        elif not decided or (idea.is_open and index > idea.current_step):
            lines.append(m.t("chain.upcoming"))
        items.append(
            {
                "type": "ColumnSet",
                "spacing": "Small",
                "columns": [
                    {"type": "Column", "width": "auto", "items": [text(f"{index + 1}.", weight="Bolder")]},
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [text(who, weight="Bolder")]
                        + [subtle(line) for line in lines]
                        + [text(c, spacing="Small") for c in comments],
                    },
                ],
            }
        )
    return container(items, separator=True)


def where_now(m: Messages, idea: Idea) -> str:
    if idea.status == IdeaStatus.IN_REVIEW:
        step = idea.chain[idea.current_step]
        return m.t("receipt.now_with", name=plain(step.approver_name), role=m.t(f"role.{step.role.value}"))
    return m.t(f"status.{idea.status.value}")


def receipt_card(m: Messages, idea: Idea, *, resubmitted: bool = False, title: str = "") -> dict[str, Any]:
    """Where a new (or revised) idea went. `title` overrides the usual one (e.g. for a spooled pitch filed later)."""
    title = title or (m.t("receipt.resubmitted_title") if resubmitted else m.t("receipt.title"))
    body = [heading(title), text(m.t("receipt.saved"))]
    body.append(good(where_now(m, idea)) if idea.chain else good(m.t("receipt.no_chain")))
    body.extend(pitch_summary(m, idea, full=False))
    if idea.chain:
        body.append(chain_view(m, idea))
    return card(body, [execute(m.t("welcome.my_ideas"), verbs.MY_IDEAS)])


def _decision_data(idea: Idea) -> dict[str, Any]:
    return {"ideaId": idea.id, "step": idea.current_step, "revision": idea.revision}


def approval_parts(
    m: Messages, idea: Idea, *, viewer_id: str, notice: str = "", comment: str = ""
) -> tuple[Element, list[Element], list[Element]]:
    """The approver's card in three parts (title, body, buttons), so a reminder can put its own title on it."""
    step = idea.current_approver
    deciding = step is not None and step.approver_id == viewer_id
    if deciding:
        title = heading(m.t("approval.title"))
    else:
        title = heading(m.t("idea.reference_title", reference=idea.reference, title=m.t(f"status.{idea.status.value}")))
    body: list[Element] = []
    if notice:
        body.append(attention(notice) if deciding else text(notice, weight="Bolder"))
    body.append(subtle(m.t("approval.from", name=plain(idea.submitter.name))))
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
    body.extend(pitch_summary(m, idea))
    body.append(chain_view(m, idea))
    actions: list[Element] = []
    if deciding:
        comment_input: Element = {
            "type": "Input.Text",
            "id": "comment",
            "label": m.t("approval.comment"),
            "placeholder": m.t("approval.comment.placeholder"),
            "isMultiline": True,
            "maxLength": COMMENT_MAX,
        }
        if comment:
            comment_input["value"] = comment
        body.append(comment_input)
        data = _decision_data(idea)
        actions = [
            execute(m.t("approval.approve"), verbs.APPROVE, data, style="positive"),
            execute(m.t("approval.return"), verbs.RETURN, data),
            execute(m.t("approval.reject"), verbs.REJECT, data, style="destructive"),
        ]
    return title, body, actions


def approval_card(m: Messages, idea: Idea, *, viewer_id: str, notice: str = "", comment: str = "") -> dict[str, Any]:
    """The approver's card. Buttons only while this viewer holds the open step."""
    title, body, actions = approval_parts(m, idea, viewer_id=viewer_id, notice=notice, comment=comment)
    return card([title, *body], actions)


def decided_card(m: Messages, idea: Idea, decision: Decision) -> dict[str, Any]:
    """What the approver sees in place of the buttons once they have decided."""
    body = [
        heading(m.t("approval.decided_title", outcome=m.t(f"outcome.{decision.outcome.value}"))),
        good(m.t("approval.recorded", name=plain(idea.submitter.name))),
        subtle(_decision_line(m, decision)),
    ]
    if decision.comment:
        body.append(text(m.t("chain.comment", comment=plain(decision.comment))))
    body.extend(pitch_summary(m, idea, full=False))
    body.append(chain_view(m, idea))
    return card(body)


def idea_status_card(m: Messages, idea: Idea, *, headline: str = "", comment: str = "") -> dict[str, Any]:
    """Where an idea stands. `comment` is the approver's comment on the decision the headline reports."""
    body: list[dict[str, Any]] = []
    if headline:
        body.append(text(headline, weight="Bolder", size="Medium"))
    if comment:
        body.append(text(m.t("chain.comment", comment=plain(comment))))
    body.append(good(where_now(m, idea)) if idea.status != IdeaStatus.REJECTED else attention(where_now(m, idea)))
    body.extend(pitch_summary(m, idea, full=False))
    body.append(chain_view(m, idea))
    return card(body, [execute(m.t("welcome.my_ideas"), verbs.MY_IDEAS, {"ideaId": idea.id})])


def returned_card(m: Messages, idea: Idea, decision: Decision, *, form_id: str) -> dict[str, Any]:
    """The comment, then the pitch as a form filled in with what was sent, ready to revise."""
    role = m.t(f"role.{idea.chain[decision.step_index].role.value}")
    header = [
        text(
            m.t("update.returned", name=plain(decision.approver_name), role=role, reference=idea.reference),
            weight="Bolder",
        ),
        text(m.t("chain.comment", comment=plain(decision.comment))),
        subtle(m.t("update.returned_hint", name=plain(decision.approver_name))),
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
        headline = m.t("update.rejected", name=plain(decision.approver_name), role=role, reference=idea.reference)
    elif idea.status == IdeaStatus.APPROVED and decision.step_index == len(idea.chain) - 1:
        headline = m.t("update.final", reference=idea.reference)
    else:
        headline = m.t("update.approved_step", name=plain(decision.approver_name), role=role, reference=idea.reference)
    return idea_status_card(m, idea, headline=headline, comment=decision.comment)


def spooled_card(m: Messages, values: dict[str, str]) -> dict[str, Any]:
    """Accepted during an outage of the records: saved here, filed (and numbered) later."""
    return card(
        [
            heading(m.t("spooled.title")),
            text(m.t("spooled.body")),
            text(plain(values.get("title", "")), weight="Bolder"),
        ],
        [execute(m.t("welcome.my_ideas"), verbs.MY_IDEAS)],
    )


def filed_card(m: Messages, idea: Idea) -> dict[str, Any]:
    """The receipt for a pitch accepted during an outage, sent once it is filed."""
    return receipt_card(m, idea, title=m.t("spooled.filed_title", reference=idea.reference))
