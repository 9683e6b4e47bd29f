"""What the bot posts in a channel is one card in both official languages (pilot rehearsal, item 5):
a ministry's channel is read by both language communities. The channel's language comes first, then
the other, as Government of Ontario bilingual notices are; each button once, titled in both."""

from __future__ import annotations

from bot.i18n import Messages
from cards.bilingual import bilingual, other_language
from cards.challenge import announcement_card, call_for_ideas_card, window_closed_card
from cards.peoples_choice import now_pitching_card, peoples_choice_card, peoples_choice_result_card
from tests.support.teams_client import bilingual_problems, nodes, texts
from tests.unit.test_challenge_cards import TZ, scenario
from tests.unit.test_pitch_day_cards import JUDGES, OLGA_ID, T0, a_challenge, finalist_ideas


def channel_cards(m: Messages) -> dict[str, tuple[dict, str]]:
    """Every kind of channel post, in one language, with its notification's summary."""
    from bot.domain.panel import Panel
    from bot.domain.voting import Poll

    challenge, ideas, stages = scenario(6)
    chosen = [(i, stages[i.id]) for i in ideas[:2]]
    pitch_challenge = a_challenge()
    finalists = finalist_ideas(pitch_challenge)
    poll = Poll(pitch_challenge.id, [i.id for i in finalists], OLGA_ID, T0)
    panel = Panel(pitch_challenge.id, JUDGES, "diane", OLGA_ID, T0)
    closed = Poll(pitch_challenge.id, [i.id for i in finalists], OLGA_ID, T0)
    closed.close(actor_id=OLGA_ID, is_organiser=True, counts={finalists[0].id: 3}, now=T0)
    name = challenge.name
    return {
        "call": (call_for_ideas_card(m, challenge, tz=TZ), m.t("den.call.title", name=name)),
        "closed": (window_closed_card(m, challenge, pitched=6), m.t("den.closed.title", name=name)),
        "finalists": (announcement_card(m, challenge, chosen, winners=False),
                      m.t("den.announce.finalists.title", name=name)),  # fmt: skip
        "winners": (announcement_card(m, challenge, chosen[:1], winners=True),
                    m.t("den.announce.winners.title", name=name)),  # fmt: skip
        "vote": (peoples_choice_card(m, pitch_challenge, finalists, poll), m.t("pc.title", name=pitch_challenge.name)),
        "room": (now_pitching_card(m, pitch_challenge, finalists, panel), m.t("room.title", name=pitch_challenge.name)),
        "result": (peoples_choice_result_card(m, pitch_challenge, finalists, closed),
                   m.t("pc.announce.title", name=pitch_challenge.name)),  # fmt: skip
    }


def test_every_channel_post_is_one_card_in_both_languages():
    english, french = channel_cards(Messages("en-CA")), channel_cards(Messages("fr-CA"))
    for kind, (card, summary) in english.items():
        made = bilingual(card, french[kind][0])
        assert bilingual_problems(made, f"{summary} · {french[kind][1]}") == [], kind
        assert made["lang"] == "en"


def test_vote_buttons_appear_once_and_say_vote_in_both_languages():
    english, french = channel_cards(Messages("en-CA")), channel_cards(Messages("fr-CA"))
    made = bilingual(english["vote"][0], french["vote"][0])
    votes = [n["title"] for n in nodes(made) if n.get("verb") == "pc.vote"]
    one_language = [n for n in nodes(english["vote"][0]) if n.get("verb") == "pc.vote"]
    assert set(votes) == {"Vote · Voter"} and len(votes) == len(one_language) == 5
    assert "Votez pour l’idée finaliste" in texts(made) and "Vote for the finalist" in texts(made)


def test_a_french_channel_reads_french_first():
    fr = Messages("fr-CA")
    assert other_language(fr).language == "en" and other_language(other_language(fr)).language == "fr"
    french, english = channel_cards(fr), channel_cards(other_language(fr))
    made = bilingual(french["call"][0], english["call"][0])
    assert made["lang"] == "fr" and texts(made).index("Appel d’idées") < texts(made).index("Call for ideas")


def test_the_check_sees_a_one_language_post():
    card, summary = channel_cards(Messages("en-CA"))["call"]
    assert bilingual_problems(card, summary)
