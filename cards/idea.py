"""Parts every card about an idea shows: the pitch, its chain of approvers, where it is now,
what a revision changed, and the button that opens the idea's details."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from bot.domain.model import Decision, HistoryKind, Idea, IdeaStatus
from bot.i18n import Messages
from cards import verbs
from cards.approval_routes import decider, informed_line, level, step_holder, step_notes, withdraw_action
from cards.common import Element, container, facts, navigate, subtle, text, view_idea, when
from cards.safe_text import plain


def reference_title(m: Messages, reference: str, title: str) -> str:
    """An idea as its cards name it ("DEN-2026-0001 · Title"); the title, typed by its submitter,
    escaped for the TextBlock it goes into."""
    return m.t("idea.reference_title", reference=reference, title=plain(title))


def _label(m: Messages, key: str, name: str, changed: Collection[str]) -> str:
    """A field's label; a field the latest revision changed says so in words (never colour alone)."""
    label = m.t(key)
    return m.t("revision.changed_label", label=label) if name in changed else label


def pitch_summary(m: Messages, idea: Idea, *, full: bool = True, changed: Collection[str] = ()) -> list[dict[str, Any]]:
    """The pitch. `changed` names the fields to mark as changed by the latest revision."""
    p = idea.pitch
    items: list[dict[str, Any]] = []
    if "title" in changed:
        items.append(subtle(m.t("revision.changed_title")))
    items.append(text(plain(p.title), size="Medium", weight="Bolder", spacing="Small"))
    items.append(
        facts(
            [
                (m.t("receipt.reference"), idea.reference),
                (
                    _label(m, "idea.label.beneficiaries", "beneficiaries", changed),
                    m.t(f"choice.beneficiaries.{p.beneficiaries}"),
                ),
                (
                    _label(m, "idea.label.program_area", "program_area", changed),
                    m.t(f"choice.program_area.{p.program_area}"),
                ),
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
                items.append(text(plain(value) if value else m.t("revision.removed"), spacing="Small"))
    return items


def decision_line(m: Messages, d: Decision) -> str:
    return m.t(
        "chain.decided", outcome=m.t(f"outcome.{d.outcome.value}"), name=decider(m, d), when=when(m, d.decided_at)
    )


def _step_state(m: Messages, idea: Idea, index: int, decided: bool) -> str:
    """What a step is waiting for now, if anything. A closed idea has no "Next"; a step it never
    reached says why (the decision was taken before it, or the idea was withdrawn); a step passed
    because its approver was away says so in its note, and nothing more here."""
    if idea.status == IdeaStatus.IN_REVIEW and index == idea.current_step:
        return m.t("chain.current")
    if idea.status == IdeaStatus.RETURNED and index == idea.current_step:
        return m.t("chain.after_revision")
    if idea.status in (IdeaStatus.IN_REVIEW, IdeaStatus.RETURNED) and index > idea.current_step:
        return m.t("chain.upcoming")
    if decided or not idea.is_closed or any(h.kind == HistoryKind.MOVED_ON for h in idea.history_for(index)):
        return ""
    if idea.status == IdeaStatus.WITHDRAWN:
        return m.t("chain.withdrawn_here") if index == idea.current_step else m.t("chain.not_reached_withdrawn")
    if idea.status == IdeaStatus.REJECTED and index > idea.current_step:
        return m.t("chain.not_reached")
    return ""


def chain_view(m: Messages, idea: Idea, *, for_submitter: bool = True, what_next: bool = True) -> dict[str, Any]:
    """Every step in order; under each, every decision taken there (all revisions) with its date and,
    right beneath it, its comment; then what the step is waiting for now.

    Once approved, what happens next is said to the reader: the submitter is told they will hear
    here; anyone else (approvers, informed levels) that the submitter will. `what_next=False` when
    the reader is shown where the idea stands in its challenge instead (shortlisted, funded...)."""
    items: list[dict[str, Any]] = [text(m.t("chain.title"), weight="Bolder", spacing="Medium")]
    several_revisions = idea.revision > 1
    for index, step in enumerate(idea.chain):
        who = m.t("chain.step", name=step_holder(m, step), role=level(m, step.shown_role))
        lines: list[dict[str, Any]] = [text(who, weight="Bolder")]
        lines += [subtle(note) for note in step_notes(m, idea, index)]
        decided = [d for d in idea.decisions if d.step_index == index]
        for d in decided:
            line = decision_line(m, d)
            if several_revisions:
                line = m.t("chain.in_revision", revision=d.revision, line=line)
            lines.append(subtle(line))
            if d.comment:
                lines.append(text(m.t("chain.comment", comment=plain(d.comment)), spacing="None"))
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
    items += informed_line(m, idea)
    if what_next and idea.status == IdeaStatus.APPROVED and not idea.shortlisted_by:
        if for_submitter:
            items.append(text(m.t("chain.after_final"), spacing="Medium"))
        else:
            items.append(text(m.t("chain.after_final_others", name=plain(idea.submitter.name)), spacing="Medium"))
    return container(items, separator=True)


def where_now(m: Messages, idea: Idea) -> str:
    if idea.status == IdeaStatus.IN_REVIEW:
        step = idea.chain[idea.current_step]
        return m.t("receipt.now_with", name=step_holder(m, step), role=level(m, step.shown_role))
    if idea.status == IdeaStatus.APPROVED and idea.shortlisted_by:
        return m.t("status.shortlisted")
    return m.t(f"status.{idea.status.value}")


def submitter_moves(m: Messages, idea: Idea, *, reason_field: str = "withdrawReason", view: str = "") -> list[Element]:
    """What the submitter can do about their idea now: revise it when it came back to them (the
    form is posted as a new card), withdraw it while it is in review or returned. `reason_field`:
    the withdrawal reason's input id, unique on a card that lists several ideas; `view`: the card
    to answer a withdrawal with ("my_ideas"), when not the idea's own status card."""
    moves: list[Element] = []
    if idea.status == IdeaStatus.RETURNED:
        moves.append(navigate(m.t("resubmit.revise_button"), verbs.REVISE_OPEN, {"ideaId": idea.id}))
    if idea.status in (IdeaStatus.IN_REVIEW, IdeaStatus.RETURNED):
        moves.append(withdraw_action(m, idea, reason_field=reason_field, view=view))
    return moves


def view_button(m: Messages, idea: Idea) -> Element:
    """Opens the idea's details card (posted as a new card)."""
    return view_idea(m, idea.id, idea.reference)


def revision_notes(m: Messages, idea: Idea, viewer_id: str) -> list[Element]:
    """On a revised pitch: which revision this is, what it changed, and the comment it answers."""
    if idea.revision < 2:
        return []
    notes: list[Element] = [text(m.t("revision.marker", revision=idea.revision), weight="Bolder")]
    changed = [m.t(f"idea.label.{name}") for name in idea.changes_in(idea.revision)]
    notes.append(
        text(
            m.t("revision.changed", fields=", ".join(changed)) if changed else m.t("revision.unchanged"),
            spacing="Small",
        )
    )
    earlier = idea.return_before(idea.revision)
    if earlier is not None and earlier.comment:
        key = "revision.your_comment" if earlier.approver_id == viewer_id else "revision.their_comment"
        notes.append(text(m.t(key, name=plain(earlier.approver_name), comment=plain(earlier.comment)), spacing="Small"))
    return [container(notes, style="emphasis")]
