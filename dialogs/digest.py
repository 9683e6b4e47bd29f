"""The digest's buttons (Shortlist, Nudge) and how a digest is shown."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.domain.calendar import DigestWeek
from bot.domain.digest import Digest
from bot.i18n import Messages
from bot.services.digest import DigestService
from cards import verbs
from cards.common import in_language
from cards.digest import digest_card
from dialogs.turn import Reply, Turn, as_id


def digest_renderer(*, report_url: str, stall_days: int):
    """The DigestService's renderer: the DM's card in their language, and its notification summary."""

    def render(digest: Digest, locale: str | None, nudged: set[str]) -> tuple[dict[str, Any], str]:
        m = Messages(locale)
        card = digest_card(m, digest, nudged=nudged, report_url=report_url, stall_days=stall_days)
        return in_language(card, m), m.t("digest.summary")

    return render


_WEEK_KEY = re.compile(r"^\d{4}-W\d{2}$")


def _week_of(data: Mapping[str, Any]) -> DigestWeek | None:
    """The week a digest button names, or None if the data is not what our card sends.

    Dates must carry a time zone (a naive one cannot be compared with the ideas' times), the
    week must be a real ISO week key, and the span at most a week.
    """
    key, start, end = data.get("weekKey"), data.get("weekStart"), data.get("weekEnd")
    if not (isinstance(key, str) and _WEEK_KEY.match(key) and isinstance(start, str) and isinstance(end, str)):
        return None
    try:
        week = DigestWeek(key=key, start=datetime.fromisoformat(start), end=datetime.fromisoformat(end))
    except ValueError:
        return None
    if week.start.tzinfo is None or week.end.tzinfo is None or week.start.utcoffset() is None:
        return None
    if not timedelta(0) < week.end - week.start <= timedelta(days=8):
        return None
    return week


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
    idea = await digests.idea_in_scope(as_id(data.get("ideaId")), dm)
    if idea is None:
        return Reply(message=m.t("approval.not_found"))
    if verb == verbs.DIGEST_SHORTLIST:
        await digests.shortlist(idea.id, dm.id)
    else:
        await digests.nudge(idea, dm)
    card, _ = await digests.render(await digests.build_for(dm, week), turn.locale)
    return Reply(card=card)
