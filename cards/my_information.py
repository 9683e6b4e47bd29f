"""The answer to `my information` in chat: what the Den holds about the reader, counted by kind, and
that their request for a full copy is recorded (FIPPA gives an answer within 30 days)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.i18n import Messages
from cards import verbs
from cards.common import card, good, heading, navigate, subtle, text

# The sections of an access export the card counts, in the order it lists them.
COUNTED = ("ideasPitched", "actionsOnOthersIdeas", "scoresGiven", "votesCast", "messagesSent", "connectionRequests")


def my_information_card(
    m: Messages, counts: Mapping[str, int], *, reference: str, download: str = ""
) -> dict[str, Any]:
    """`download`: the Den tab's "My information" page (a Teams deep link), where the same copy is ready
    at once; without one (no tab to reach) the card says only that the administrators send it."""
    lines = [text(m.count(f"my_information.{key}", counts.get(key, 0))) for key in COUNTED]
    actions = [navigate(m.t("welcome.my_ideas"), verbs.MY_IDEAS), navigate(m.t("welcome.help"), verbs.HELP)]
    if download:
        actions.insert(0, {"type": "Action.OpenUrl", "title": m.t("my_information.download_button"), "url": download})
    return card(
        m,
        [
            heading(m.t("my_information.title")),
            text(m.t("my_information.intro")),
            *lines,
            good(m.t("my_information.recorded", reference=reference)),
            subtle(m.t("my_information.how")),
            *([subtle(m.t("my_information.download"))] if download else []),
        ],
        actions,
    )
