"""How much text and how many pitches the Den accepts from one person: one table, server-side.

A card's `maxLength` is only a hint (old clients ignore it, a crafted request skips the card),
so every text a person can send is checked here against the same number the card declares.
Cards read their `maxLength` from this module; the service layer refuses anything longer with
the same polite message as any other validation error (`error.too_long`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.pitch import RULES_BY_NAME, clean_text

COMMENT_MAX = 1000  # an approver's comment (return, reject, or a note with an approval)
TYPED_TEXT_SHOWN_MAX = 60  # how much of an unrecognised typed message the bot quotes back

# Everything a person can type, by the input id the cards use. Pitch fields come from the
# pitch's own rules, so the form, this table and the check can never disagree.
TEXT_LIMITS: dict[str, int] = {name: rule.max_length for name, rule in RULES_BY_NAME.items() if rule.max_length}
TEXT_LIMITS["comment"] = COMMENT_MAX

DEFAULT_DAILY_PITCH_CAP = 10
DEFAULT_DUPLICATE_WINDOW_DAYS = 30


@dataclass(frozen=True)
class TextCheck:
    """A cleaned text and, if it breaks a rule, the error code (a suffix of `error.*` messages)."""

    value: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def check_text(value: object, limit: int, *, multiline: bool = True, required: bool = False) -> TextCheck:
    """Clean what a card sent (only strings count: a number or an object is treated as empty)."""
    cleaned = clean_text(value if isinstance(value, str) else None, multiline=multiline)
    if not cleaned:
        return TextCheck("", "required" if required else None)
    if len(cleaned) > limit:
        return TextCheck(cleaned, "too_long")
    return TextCheck(cleaned)


def echo_back(value: str, limit: int) -> str:
    """What to put back in the input after a too-long value: enough to edit, never a huge card.

    Up to twice the limit is returned whole, so the person can choose what to cut; beyond that
    (nobody types that much by hand) the first `limit` characters.
    """
    return value if len(value) <= 2 * limit else value[:limit]
