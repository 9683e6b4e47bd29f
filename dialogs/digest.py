"""The digest's buttons (Shortlist: the Den challenge's shortlist; Nudge) and how a digest is shown."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any

from bot.domain.calendar import DigestWeek
from bot.domain.digest import Digest
from bot.i18n import Messages
from bot.services.challenge import ChallengeService, Status
from bot.services.digest import DigestService
from cards import verbs
from cards.challenge import stage_label
from cards.common import in_language
from cards.digest import digest_card
from cards.safe_text import plain
from dialogs.turn import Reply, Turn, as_id


def digest_renderer(
    *, report_url: str, stall_days: int, tz: tzinfo | None = None, branch_names: Mapping[str, str] | None = None
):
    """The DigestService's renderer: the DM's card in their language, and its notification summary.
    `branch_names`: the branches' French names by their English ones, from the directory."""

    def render(digest: Digest, locale: str | None, nudged: set[str]) -> tuple[dict[str, Any], str]:
        m = Messages(locale, tz)
        card = digest_card(
            m, digest, nudged=nudged, report_url=report_url, stall_days=stall_days, branch_names=branch_names
        )
        return in_language(card, m), m.t("digest.summary")

    return render


_WEEK_KEY = re.compile(r"^\d{4}-W\d{2}(-so-far)?$")  # the weekly run's week, or the week so far (typed)


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


async def act(
    digests: DigestService,
    turn: Turn,
    verb: str,
    data: Mapping[str, Any],
    challenges: ChallengeService | None = None,
) -> Reply:
    """Shortlist or nudge from the DM's own digest, then show the digest again, updated in place.

    Shortlist is the Den challenge's own shortlist (the one the sponsor's pool card shows), so there
    is one shortlist: the idea's challenge decides who may shortlist and until when, and a refusal
    says why and changes nothing. Without the Den challenge there is no shortlist to put it on."""
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
        refused = await _shortlist(challenges, m, dm.id, idea.id)
        if refused is not None:
            return refused
    else:
        await digests.nudge(idea, dm)
    digest = await digests.build_for(dm, week)  # the store marks ideas on their challenge's shortlist
    card, _ = await digests.render(digest, turn.locale)
    return Reply(card=card)


async def _shortlist(challenges: ChallengeService | None, m: Messages, dm_id: str, idea_id: str) -> Reply | None:
    """Put the idea on its challenge's shortlist; a Reply saying why when that cannot be done."""
    if challenges is None:
        return Reply(message=m.t("digest.shortlist_no_challenge"))
    result = await challenges.shortlist_from_digest(dm_id=dm_id, idea_id=idea_id)
    if result.status in (Status.RECORDED, Status.ALREADY):
        return None
    if result.reason == "no_challenge":
        return Reply(message=m.t("digest.shortlist_no_challenge"))
    if result.status == Status.NOT_SPONSOR and result.challenge is not None:
        names = await challenges.names(result.challenge.sponsor_ids)
        sponsors = ", ".join(plain(names.get(s) or s) for s in result.challenge.sponsor_ids)
        return Reply(message=m.t("digest.shortlist_not_sponsor", challenge=plain(result.challenge.name),
                                 sponsors=sponsors))  # fmt: skip
    if result.status == Status.STALE and result.stage is not None and result.challenge is not None:
        stage = stage_label(m, result.stage)
        return Reply(message=m.t("digest.shortlist_stage", challenge=plain(result.challenge.name), stage=stage))
    key = f"den.refused.{result.reason}"
    return Reply(message=m.t(key) if result.reason and m.has(key) else m.t("den.refused.refused"))
