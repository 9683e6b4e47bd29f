"""The notice of collection (FIPPA, s. 39(2)): the legal authority for collecting personal information,
its principal purpose, and the public official who can answer questions about it, in both languages.

A ministry fills these in before going live; the app refuses to start with authentication on while
any is missing (bot/bootstrap.py), and the pitch form, the privacy pages and every access export show
them. Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass

# (attribute, environment variable) in the order a ministry fills them in
SETTINGS: tuple[tuple[str, str], ...] = (
    ("authority", "DEN_NOTICE_LEGAL_AUTHORITY"),
    ("authority_fr", "DEN_NOTICE_LEGAL_AUTHORITY_FR"),
    ("purpose", "DEN_NOTICE_PURPOSE"),
    ("purpose_fr", "DEN_NOTICE_PURPOSE_FR"),
    ("contact", "DEN_NOTICE_CONTACT"),
    ("contact_fr", "DEN_NOTICE_CONTACT_FR"),
)


@dataclass(frozen=True)
class CollectionNotice:
    authority: str = ""
    authority_fr: str = ""
    purpose: str = ""
    purpose_fr: str = ""
    contact: str = ""
    contact_fr: str = ""

    def missing(self) -> list[str]:
        """The environment variables still to set (none: the notice is complete)."""
        return [variable for name, variable in SETTINGS if not getattr(self, name).strip()]

    @property
    def complete(self) -> bool:
        return not self.missing()

    def in_language(self, language: str) -> dict[str, str]:
        """authority, purpose and contact in `language` ('fr' or 'en'); French falls back to English."""
        if language == "fr":
            return {
                "authority": self.authority_fr or self.authority,
                "purpose": self.purpose_fr or self.purpose,
                "contact": self.contact_fr or self.contact,
            }
        return {"authority": self.authority, "purpose": self.purpose, "contact": self.contact}

    def both_languages(self) -> dict[str, str]:
        """For a bilingual document: each part in English, then in French."""
        en, fr = self.in_language("en"), self.in_language("fr")
        return {key: en[key] if en[key] == fr[key] else f"{en[key]}\n{fr[key]}" for key in en}
