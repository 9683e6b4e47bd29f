"""The message catalogue: every user-facing sentence, keyed, per language.

English is complete; other languages fall back to English key by key, so a partial
French catalogue can ship the moment it exists.
"""

from __future__ import annotations

import json
import re
from datetime import tzinfo
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale

CATALOGUE_DIR = Path(__file__).parent / "messages"
DEFAULT_LANGUAGE = "en"
# The ministry's time zone (DEN_TIMEZONE's default): the dates and times a card states are written
# in it, on the server, unless the caller gives the configured one.
MINISTRY_TIME_ZONE = ZoneInfo("America/Toronto")


@cache
def _catalogue(language: str) -> dict[str, str]:
    path = CATALOGUE_DIR / f"{language}.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def language_of(locale: str | None) -> str:
    """'fr-CA' -> 'fr'; anything unknown -> the default language."""
    if not locale:
        return DEFAULT_LANGUAGE
    language = locale.replace("_", "-").split("-")[0].lower()
    return language if _catalogue(language) else DEFAULT_LANGUAGE


# French elides "de" and "que" before a vowel: "un commentaire d’Amir Haddad", never "de Amir".
_ELIDABLE = re.compile(r"\b(de|De|que|Que) \{(\w+)\}")
_VOWELS = tuple("AEIOUYÀÂÉÈÊËÎÏÔÛÙaeiouyàâéèêëîïôûù")


def _elided(template: str, params: dict[str, object]) -> str:
    def elide(match: re.Match[str]) -> str:
        word, name = match.group(1), match.group(2)
        if not str(params.get(name, "")).startswith(_VOWELS):
            return match.group(0)
        return f"{word[:-1]}’{{{name}}}"

    return _ELIDABLE.sub(elide, template)


@cache
def _plural_rule(language: str):
    return Locale.parse(language).plural_form


@cache
def _ordinal_rule(language: str):
    return Locale.parse(language).ordinal_form


class Messages:
    """The catalogue bound to one locale. `m.t("key", name=...)` formats a message.

    `tz` is the time zone the reader's dates and times are written in (cards.common.when)."""

    def __init__(self, locale: str | None = None, tz: tzinfo | None = None) -> None:
        self.locale = locale or "en-US"
        self.tz = tz or MINISTRY_TIME_ZONE
        self.language = language_of(locale)
        self._own = _catalogue(self.language)
        self._fallback = _catalogue(DEFAULT_LANGUAGE)

    def t(self, key: str, **params: object) -> str:
        template = self._own.get(key) or self._fallback.get(key)
        if template is None:
            raise KeyError(f"message '{key}' is missing from the catalogue")
        if not params:
            return template
        if self.language == "fr":
            template = _elided(template, params)
        return template.format(**params)

    def count(self, key: str, count: int | float, *, shown: str = "", **params: object) -> str:
        """A phrase with a number in it, in the grammatical number the language needs (CLDR's plural
        rules through Babel: French says "1 jour", "0 jour", English "1 day", "0 days").

        Looks up `key.zero` for 0 when the catalogue has it (plain "less than a business day"
        instead of "0 business days"), else `key.one` or `key.other`. `shown` is the number as the
        reader's locale writes it (bot.formatting), when it differs from str(count).
        """
        if count == 0 and self.has(f"{key}.zero"):
            return self.t(f"{key}.zero", count=shown or count, **params)
        form = _plural_rule(self.language)(count)
        chosen = f"{key}.{form}" if self.has(f"{key}.{form}") else f"{key}.other"
        return self.t(chosen, count=shown or count, **params)

    def ordinal(self, key: str, number: int, **params: object) -> str:
        """A rank in the words the language uses for it (CLDR's ordinal rules): "1st place", "2nd
        place", or "1er rang", "2e rang". Looks up `key.one`, `key.two`, `key.few` or `key.other`."""
        form = _ordinal_rule(self.language)(number)
        chosen = f"{key}.{form}" if self.has(f"{key}.{form}") else f"{key}.other"
        return self.t(chosen, count=number, **params)

    def has(self, key: str) -> bool:
        return key in self._own or key in self._fallback
