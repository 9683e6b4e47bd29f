"""Which language the Den writes to someone in: their choice, else their Teams locale."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.ports import ConversationRecord
from bot.services.language import Languages
from tests.support.memory_store import MemoryStore

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


async def test_a_choice_beats_the_teams_locale_and_keeps_a_matching_region():
    store = MemoryStore()
    languages = Languages(store, lambda: T0)
    assert await languages.locale_for("sam", "en-US") == "en-US"
    assert await languages.locale_for("sam", "fr-FR") == "fr-FR"
    await languages.choose("sam", "fr")
    assert await languages.locale_for("sam", "en-US") == "fr-CA"
    assert await languages.locale_for("sam", "fr-FR") == "fr-FR", "already French: keep its region"


async def test_a_notification_uses_the_locale_last_seen_in_the_recipients_chat():
    store = MemoryStore()
    record = ConversationRecord("maya", "Maya", "a:1", "https://smba", "t", "msteams", "28:bot", "Den", "29:maya")
    await store.save_conversation(ConversationRecord(**{**record.__dict__, "locale": "fr-CA"}))
    languages = Languages(store, lambda: T0)
    assert await languages.locale_for("maya") == "fr-CA"
    await languages.choose("maya", "en")
    assert await languages.locale_for("maya") == "en-CA"
    assert await languages.locale_for("nobody") is None


async def test_records_down_the_teams_locale_still_answers():
    """A pitch sent during an outage must still be spooled: the language lookup must not stop the turn."""
    store = MemoryStore()
    store.down = True
    assert await Languages(store, lambda: T0).locale_for("sam", "fr-CA") == "fr-CA"
