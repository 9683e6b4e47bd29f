"""The digest's buttons (Shortlist, Nudge) and how a digest is shown."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.domain.calendar import DigestWeek
from bot.domain.digest import Digest
from bot.i18n import Messages
from bot.services.digest import DigestService
from cards import verbs
from cards.digest import digest_card
from dialogs.turn import Reply, Turn


def digest_renderer(*, report_url: str, stall_days: int):
    """The DigestService's renderer: the DM's card in their language, and its notification summary."""

    def render(digest: Digest, locale: str | None, nudged: set[str]) -> tuple[dict[str, Any], str]:
        m = Messages(locale)
        card = digest_card(m, digest, nudged=nudged, report_url=report_url, stall_days=stall_days)
        return card, m.t("digest.summary")

    return render


def _week_of(data: Mapping[str, Any]) -> DigestWeek | None:
    try:
        return DigestWeek(
            key=str(data["weekKey"]),
            start=datetime.fromisoformat(str(data["weekStart"])),
            end=datetime.fromisoformat(str(data["weekEnd"])),
        )
    except (KeyError, ValueError):
        return None


async def act(digests: DigestService, turn: Turn, verb: str, data: Mapping[str, Any]) -> Reply:
    """Shortlist or nudge from the DM's own digest, then show the digest again, updated in place."""
    m = turn.messages
    dm = await digests.deputy_minister(turn.user_id)
    if dm is None or data.get("dmId") != turn.user_id:
        digests.log_refused(turn.user_id, verb)
        return Reply(message=m.t("digest.not_yours"))
    week = _week_of(data)
    if week is None:
        return Reply(message=m.t("error.unknown_action"))
    idea = await digests.idea_in_scope(str(data.get("ideaId", "")), dm)
    if idea is None:
        return Reply(message=m.t("approval.not_found"))
    if verb == verbs.DIGEST_SHORTLIST:
        await digests.shortlist(idea.id, dm.id)
    else:
        await digests.nudge(idea, dm)
    card, _ = await digests.render(await digests.build_for(dm, week), turn.locale)
    return Reply(card=card)
