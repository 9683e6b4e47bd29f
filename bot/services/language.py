"""Which language to write to someone in: the one they chose with the Français / English switch,
else the one their Teams client is set to.

A card several people see (an approval card, a digest, a notification) is written at delivery
time in its reader's language, so the sender's language never decides for the reader.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bot.i18n import language_of
from bot.ports import Conversations, Preferences, StoreUnavailable

LANGUAGES = ("en", "fr")
CANADIAN_LOCALE = {"en": "en-CA", "fr": "fr-CA"}


class LanguageRecords(Preferences, Conversations, Protocol):
    """A person's choice, and the Teams locale seen in their chat."""


def locale_with(language: str | None, teams_locale: str | None) -> str | None:
    """The reader's locale: their Teams locale if it is already in the chosen language (keeps the
    region, e.g. en-US dates), else the Canadian locale of the chosen language."""
    if language not in LANGUAGES:
        return teams_locale
    if teams_locale and language_of(teams_locale) == language:
        return teams_locale
    return CANADIAN_LOCALE[language]


class Languages:
    def __init__(self, store: LanguageRecords, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    async def locale_for(self, user_id: str, teams_locale: str | None = None) -> str | None:
        """The locale to write to `user_id` in. `teams_locale` is the one on the activity being
        answered; without it (a notification) the one last seen in their chat."""
        try:
            if not user_id:
                chosen = None
            elif teams_locale is None:  # one read for both (a notification: every send asks)
                chosen, teams_locale = await self._store.language_and_locale(user_id)
            else:
                chosen = await self._store.get_language(user_id)
        except StoreUnavailable:
            # The records are down: answer in the Teams locale rather than not at all (a pitch
            # sent now must still be spooled, in a language the person reads).
            return teams_locale
        return locale_with(chosen, teams_locale)

    async def choose(self, user_id: str, language: str) -> str:
        """Remember the person's choice; returns the language now in force."""
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        await self._store.set_language(user_id, language, self._clock())
        return language
