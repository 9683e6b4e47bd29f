"""How much text and how many pitches the Den accepts from one person: one table, server-side.

A card's `maxLength` is only a hint (old clients ignore it, a crafted request skips the card),
so every text a person can send is checked here against the same number the card declares.
Cards read their `maxLength` from this module; the service layer refuses anything longer with
the same polite message as any other validation error (`error.too_long`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.inputs import TextCheck as TextCheck  # the one text rule, importable from here too
from bot.domain.inputs import check_text as check_text
from bot.domain.model import Idea
from bot.domain.pitch import RULES_BY_NAME, Pitch

COMMENT_MAX = 1000  # an approver's comment (return, reject, or a note with an approval)
TYPED_TEXT_SHOWN_MAX = 60  # how much of an unrecognised typed message the bot quotes back

# Everything a person can type, by the input id the cards use. Pitch fields come from the
# pitch's own rules, so the form, this table and the check can never disagree.
TEXT_LIMITS: dict[str, int] = {name: rule.max_length for name, rule in RULES_BY_NAME.items() if rule.max_length}
TEXT_LIMITS["comment"] = COMMENT_MAX
REASON_MAX = 500  # a reason to reassign, withdraw or ask a second look, or an informed person's note
TEXT_LIMITS.update(dict.fromkeys(("reassignReason", "withdrawReason", "secondLookReason"), REASON_MAX))

DEFAULT_DAILY_PITCH_CAP = 10
DEFAULT_DUPLICATE_WINDOW_DAYS = 30


def echo_back(value: str, limit: int) -> str:
    """What to put back in the input after a too-long value: enough to edit, never a huge card.

    Up to twice the limit is returned whole, so the person can choose what to cut; beyond that
    (nobody types that much by hand) the first `limit` characters.
    """
    return value if len(value) <= 2 * limit else value[:limit]


# ---- how many pitches, and the same one twice -------------------------------------------------
_NOT_WORD = re.compile(r"[\W_]+")


def same_text_key(value: str) -> str:
    """What makes two titles (or problems) 'the same': case, accents' forms, spacing and
    punctuation aside. "Tell us once!" and "tell  us ONCE" are the same pitch."""
    return _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", value).casefold()).strip()


@dataclass(frozen=True)
class PitchQuota:
    """A person's pitches: at most `daily_cap` in any 24 hours, and a repeat within
    `duplicate_window` is asked about first. Ideas dated after `now` (the clock went back)
    count as recent, so moving the clock cannot reopen the quota."""

    daily_cap: int = DEFAULT_DAILY_PITCH_CAP
    duplicate_window: timedelta = timedelta(days=DEFAULT_DUPLICATE_WINDOW_DAYS)

    @property
    def lookback(self) -> int:
        """How many of the person's latest ideas the checks need to see."""
        return max(self.daily_cap + 1, 50)

    def over_daily_cap(self, recent: Sequence[Idea], now: datetime) -> bool:
        since = now - timedelta(days=1)
        return self.daily_cap > 0 and sum(1 for idea in recent if idea.created_at > since) >= self.daily_cap

    def earlier_duplicate(self, pitch: Pitch, recent: Sequence[Idea], now: datetime) -> Idea | None:
        """The most recent idea of `recent` with the same title or the same problem, if any."""
        title, problem = same_text_key(pitch.title), same_text_key(pitch.problem)
        since = now - self.duplicate_window
        for idea in recent:
            if idea.created_at <= since:
                continue
            if (title and same_text_key(idea.pitch.title) == title) or (
                problem and same_text_key(idea.pitch.problem) == problem
            ):
                return idea
        return None
