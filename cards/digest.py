"""The deputy minister's weekly digest card."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.digest import Counts, Digest, DigestRow
from bot.formatting import format_number
from bot.i18n import Messages
from cards import verbs
from cards.common import attention, card, container, execute, heading, local_day, subtle, text
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


def _counts_table(m: Messages, week: Counts, so_far: Counts) -> dict[str, Any]:
    """Label | this week | so far, one ColumnSet a row so the figures always line up."""
    rows = [
        ("", m.t("digest.col.week"), m.t("digest.col.so_far")),
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


def _item(line_text: str, action: dict[str, Any] | None, done: str = "") -> dict[str, Any]:
    right: list[dict[str, Any]] = []
    if done:
        right = [subtle(done)]
    elif action:
        right = [{"type": "ActionSet", "actions": [action]}]
    return {
        "type": "ColumnSet",
        "spacing": "Small",
        "columns": [
            {"type": "Column", "width": "stretch", "items": [text(line_text, spacing="None")]},
            {"type": "Column", "width": "auto", "items": right, "verticalContentAlignment": "Center"},
        ],
    }


def _pending_text(m: Messages, line: DigestRow) -> str:
    return m.t(
        "digest.pending_line",
        reference=line.reference,
        title=plain(line.title),
        name=plain(line.holder_name),
        role=m.t(f"role.{line.holder_role}"),
        days=line.waiting_days,
    )


def digest_card(
    m: Messages, digest: Digest, *, nudged: set[str] = frozenset(), report_url: str = "", stall_days: int = 5
) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        heading(m.t("digest.title")),
        subtle(
            m.t(
                "digest.subtitle",
                name=plain(digest.dm.name),
                start=local_day(digest.week.start.date()),
                end=local_day((digest.week.end - timedelta(days=1)).date()),  # the end is exclusive
            )
        ),
    ]
    if digest.quiet_week:
        body.append(text(m.t("digest.quiet")))
    body.append(_counts_table(m, digest.this_week, digest.so_far))

    def more(shown: int, total: int) -> None:
        if total > shown:
            body.append(subtle(m.t("digest.more", count=total - shown)))

    if digest.recent_pitches:
        body.append(text(m.t("digest.recent"), weight="Bolder", spacing="Medium", separator=True))
        for line in digest.recent_pitches:
            body.append(
                text(
                    m.t(
                        "digest.recent_line",
                        reference=line.reference,
                        title=plain(line.title),
                        name=plain(line.submitter_name),
                    )
                )
            )
        more(len(digest.recent_pitches), digest.this_week.new_pitches)

    if digest.approved:
        body.append(
            text(m.t("digest.approved", count=digest.approved_total), weight="Bolder", spacing="Medium", separator=True)
        )
        for line in digest.approved:
            action = execute(m.t("digest.shortlist"), verbs.DIGEST_SHORTLIST, digest_data(digest, line.idea_id))
            done = m.t("digest.shortlisted") if line.shortlisted else ""
            line_text = m.t(
                "digest.approved_line",
                reference=line.reference,
                title=plain(line.title),
                name=plain(line.submitter_name),
            )
            body.append(_item(line_text, action, done))
        more(len(digest.approved), digest.approved_total)

    if digest.stalled:
        body.append(attention(m.t("digest.stalled", days=stall_days, count=digest.stalled_total)) | {"separator": True})
        for line in digest.stalled:
            action = execute(m.t("digest.nudge"), verbs.DIGEST_NUDGE, digest_data(digest, line.idea_id))
            done = m.t("digest.nudged") if line.idea_id in nudged else ""
            body.append(_item(_pending_text(m, line), action, done))
        more(len(digest.stalled), digest.stalled_total)

    if digest.pending:
        body.append(
            text(m.t("digest.pending", count=digest.pending_total), weight="Bolder", spacing="Medium", separator=True)
        )
        for line in digest.pending:
            body.append(text(_pending_text(m, line), spacing="Small"))
        more(len(digest.pending), digest.pending_total)

    if digest.timings:
        items = [text(m.t("digest.bottleneck"), weight="Bolder")]
        for timing in digest.timings:
            role = m.t(f"role.{timing.role.value}")
            days = format_number(timing.median_days, m.locale)
            items.append(text(m.t("digest.level_line", role=role, days=days, count=timing.decisions)))
        slowest = digest.slowest
        days = format_number(slowest.median_days, m.locale)
        items.append(text(m.t("digest.slowest", role=m.t(f"role.{slowest.role.value}"), days=days), weight="Bolder"))
        body.append(container(items, separator=True, spacing="Medium"))

    if digest.participation_by_branch:
        items = [text(m.t("digest.participation"), weight="Bolder"), subtle(m.t("digest.by_branch"))]
        items += [
            text(m.t("digest.participation_line", name=plain(name), count=count), spacing="None")
            for name, count in digest.participation_by_branch
        ]
        items.append(subtle(m.t("digest.by_area")))
        items += [
            text(m.t("digest.participation_line", name=m.t(f"choice.program_area.{area}"), count=count), spacing="None")
            for area, count in digest.participation_by_area
        ]
        body.append(container(items, separator=True, spacing="Medium"))

    actions = [{"type": "Action.OpenUrl", "title": m.t("digest.open_report"), "url": report_url}] if report_url else []
    return card(body, actions)
