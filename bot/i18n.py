"""The message catalogue: every user-facing sentence, keyed, per language.

English is complete; other languages fall back to English key by key, so a partial
French catalogue can ship the moment it exists.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

CATALOGUE_DIR = Path(__file__).parent / "messages"
DEFAULT_LANGUAGE = "en"


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


class Messages:
    """The catalogue bound to one locale. `m.t("key", name=...)` formats a message."""

    def __init__(self, locale: str | None = None) -> None:
        self.locale = locale or "en-US"
        self.language = language_of(locale)
        self._own = _catalogue(self.language)
        self._fallback = _catalogue(DEFAULT_LANGUAGE)

    def t(self, key: str, **params: object) -> str:
        template = self._own.get(key) or self._fallback.get(key)
        if template is None:
            raise KeyError(f"message '{key}' is missing from the catalogue")
        return template.format(**params) if params else template

    def has(self, key: str) -> bool:
        return key in self._own or key in self._fallback
