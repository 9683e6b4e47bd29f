"""The deputy minister's weekly digest card."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.digest import Counts, Digest, DigestRow
from bot.i18n import Messages
from cards import verbs
from cards.approval_routes import level
from cards.common import (
    attention,
    business_days,
    card,
    container,
    execute,
    heading,
    local_day,
    navigate,
    subtle,
    text,
)
from cards.safe_text import plain


def digest_data(digest: Digest, idea_id: str = "") -> dict[str, Any]:
    """What a digest button carries: whose digest, which week, which idea."""
    return {
        "dmId": digest.dm.id,
        "weekKey": digest.week.key,
        "weekStart": digest.week.start.isoformat(),
        "weekEnd": digest.week.end.isoformat(),
        "ideaId": idea_id,
    }


def _counts_table(m: Messages, week: Counts, so_far: Counts, *, today: bool = False) -> dict[str, Any]:
    """Label | this week (or today) | so far, one ColumnSet a row so the figures always line up."""
    rows = [
        ("", m.t("digest.col.today" if today else "digest.col.week"), m.t("digest.col.so_far")),
        (m.t("digest.row.new"), week.new_pitches, so_far.new_pitches),
        (m.t("digest.row.approved"), week.approved, so_far.approved),
        (m.t("digest.row.returned"), week.returned, so_far.returned),
        (m.t("digest.row.rejected"), week.rejected, so_far.rejected),
        (m.t("digest.row.den"), week.approved_for_den, so_far.approved_for_den),
        (m.t("digest.row.staff"), week.staff_pitched, so_far.staff_pitched),
    ]
    lines = []
    for index, (label, this_week, total) in enumerate(rows):
        weight = "Bolder" if index == 0 else "Default"
        lines.append(
            {
                "type": "ColumnSet",
                "spacing": "None" if index else "Small",
                "columns": [
                    {"type": "Column", "width": "stretch", "items": [text(label or " ", weight=weight)]},
                    {
                        "type": "Column",
                        "width": "70px",
                        "items": [text(str(this_week), weight=weight, horizontalAlignment="Right")],
                    },
                    {
                        "type": "Column",
                        "width": "70px",
                        "items": [text(str(total), weight=weight, horizontalAlignment="Right")],
                    },
                ],
            }
        )
    return container(lines)


def _item(
    m: Messages, line: DigestRow, line_text: str, action: dict[str, Any] | None = None, done: str = ""
) -> dict[str, Any]:
    """One idea: its line, then (in reading order) what was done about it, and its buttons: View
    (the idea's details, posted as a new card) and the row's own action if it is still to do."""
    view = navigate(m.t("idea.view", reference=line.reference), verbs.VIEW_IDEA, {"ideaId": line.idea_id})
    items: list[dict[str, Any]] = [text(line_text, spacing="None")]
    if done:
        items.append(subtle(done))
    items.append({"type": "ActionSet", "actions": [view, *([action] if action and not done else [])]})
    return container(items, spacing="Small")


def _done_in_den(m: Messages, line: DigestRow) -> str:
    """What became of an approved idea in the Den, if anything: its stage in its challenge now
    (Finalist, Winner, Funded, Not selected...), else the old shortlist flag. Only an idea still
    in the pool (or in no challenge, not flagged) is left with its Shortlist button."""
    if line.stage and line.stage != "pool":
        return m.t(f"den.stage.{line.stage}")
    if line.shortlisted and not line.stage:
        return m.t("digest.shortlisted")
    return ""


def _pending_text(m: Messages, line: DigestRow) -> str:
    return m.t(
        "digest.pending_line",
        reference=line.reference,
        title=plain(line.title),
        name=plain(line.holder_name),
        role=level(m, line.holder_role),
        duration=business_days(m, line.waiting_days),
    )


def digest_card(
    m: Messages, digest: Digest, *, nudged: set[str] = frozenset(), report_url: str = "", stall_days: int = 5
) -> dict[str, Any]:
    first, last = digest.week.start.date(), (digest.week.end - timedelta(days=1)).date()  # the end is exclusive
    one_day = first == last  # the week so far, asked for on its Monday: say "today", not "Dec 7 to Dec 7"
    if one_day:
        subtitle = m.t("digest.subtitle_today", name=plain(digest.dm.name), day=local_day(m, first))
    else:
        subtitle = m.t("digest.subtitle", name=plain(digest.dm.name), start=local_day(m, first), end=local_day(m, last))
    body: list[dict[str, Any]] = [heading(m.t("digest.title_today" if one_day else "digest.title")), subtle(subtitle)]
    if one_day:
        body.append(subtle(m.t("digest.today_note")))
    if digest.quiet_week:
        body.append(text(m.t("digest.quiet_today" if one_day else "digest.quiet")))
    body.append(_counts_table(m, digest.this_week, digest.so_far, today=one_day))

    def more(shown: int, total: int) -> None:
        if total > shown:
            body.append(subtle(m.t("digest.more", count=total - shown)))

    if digest.recent_pitches:
        body.append(text(m.t("digest.recent"), weight="Bolder", spacing="Medium", separator=True))
        for line in digest.recent_pitches:
            line_text = m.t(
                "digest.recent_line", reference=line.reference, title=plain(line.title), name=plain(line.submitter_name)
            )
            body.append(_item(m, line, line_text))
        more(len(digest.recent_pitches), digest.this_week.new_pitches)

    if digest.approved:
        body.append(
            text(m.t("digest.approved", count=digest.approved_total), weight="Bolder", spacing="Medium", separator=True)
        )
        for line in digest.approved:
            action = execute(m.t("digest.shortlist"), verbs.DIGEST_SHORTLIST, digest_data(digest, line.idea_id))
            done = _done_in_den(m, line)
            line_text = m.t(
                "digest.approved_line",
                reference=line.reference,
                title=plain(line.title),
                name=plain(line.submitter_name),
            )
            body.append(_item(m, line, line_text, action, done))
        more(len(digest.approved), digest.approved_total)

    if digest.stalled:
        stalled_title = m.t("digest.stalled", duration=business_days(m, stall_days), count=digest.stalled_total)
        body.append(attention(stalled_title) | {"separator": True, "spacing": "Medium"})
        for line in digest.stalled:
            action = execute(m.t("digest.nudge"), verbs.DIGEST_NUDGE, digest_data(digest, line.idea_id))
            done = m.t("digest.nudged") if line.idea_id in nudged else ""
            body.append(_item(m, line, _pending_text(m, line), action, done))
        more(len(digest.stalled), digest.stalled_total)

    if digest.pending:
        body.append(
            text(m.t("digest.pending", count=digest.pending_total), weight="Bolder", spacing="Medium", separator=True)
        )
        for line in digest.pending:
            body.append(_item(m, line, _pending_text(m, line)))
        more(len(digest.pending), digest.pending_total)

    if digest.timings:
        items = [text(m.t("digest.bottleneck"), weight="Bolder")]
        for timing in digest.timings:
            role = m.t(f"level.step.{timing.role.value}")
            decisions = m.count("count.decisions", timing.decisions)
            items.append(
                text(
                    m.t(
                        "digest.level_line",
                        role=role,
                        duration=business_days(m, timing.median_days),
                        decisions=decisions,
                    )
                )
            )
        slowest = digest.slowest
        if slowest is not None:
            duration = business_days(m, slowest.median_days)
            level = m.t(f"level.step.{slowest.role.value}")
            items.append(text(m.t("digest.slowest", role=level, duration=duration), weight="Bolder"))
        body.append(container(items, separator=True, spacing="Medium"))

    if digest.participation_by_branch:
        items = [text(m.t("digest.participation"), weight="Bolder"), subtle(m.t("digest.by_branch"))]
        items += [
            text(m.t("digest.participation_line", name=name, count=count), spacing="None")
            for name, count in digest.participation_by_branch
        ]
        items.append(subtle(m.t("digest.by_area")))
        items += [
            text(m.t("digest.participation_line", name=m.t(f"choice.program_area.{area}"), count=count), spacing="None")
            for area, count in digest.participation_by_area
        ]
        body.append(container(items, separator=True, spacing="Medium"))

    actions = [{"type": "Action.OpenUrl", "title": m.t("digest.open_report"), "url": report_url}] if report_url else []
    return card(m, body, actions)
