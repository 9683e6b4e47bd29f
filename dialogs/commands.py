"""Recognising what someone typed in the 1:1 chat."""

from __future__ import annotations

import enum
import re
import unicodedata


class Command(enum.StrEnum):
    PITCH = "pitch"
    MY_IDEAS = "my_ideas"
    HELP = "help"
    MY_APPROVALS = "my_approvals"
    DELEGATE = "delegate"
    DIGEST = "digest"  # a deputy minister's digest for the week so far (when the setting allows it)
    FRENCH = "french"  # the Français / English switch, typed
    ENGLISH = "english"
    CHALLENGES = "challenges"
    MY_INFORMATION = "my_information"  # an access request: what the Den holds about me
    BACK = "back"  # an approver back early: their acting approver arrangement ends now


# English, then French: the French catalogue tells people to type `proposer`, `mes idées`, `aide`.
_PHRASES = {
    Command.PITCH: ("pitch", "pitch an idea", "new idea", "new", "idea", "submit", "submit an idea", "start")
    + ("proposer", "proposer une idée", "nouvelle idée", "idée", "soumettre", "soumettre une idée", "commencer"),
    Command.MY_IDEAS: ("my ideas", "ideas", "status", "my status", "track", "mine", "list")
    + ("mes idées", "idées", "état", "suivi", "suivre", "mes propositions"),
    Command.HELP: ("help", "hi", "hello", "hey", "menu", "?")
    + ("aide", "bonjour", "allô", "allo", "salut", "menu d’aide"),
    Command.MY_APPROVALS: ("my approvals", "approvals", "to approve", "waiting for me")
    + ("mes approbations", "approbations", "à approuver"),
    Command.DELEGATE: ("acting", "delegate", "someone acts for me", "away", "out of office")
    + ("intérim", "interim", "déléguer", "absent", "absente"),
    Command.BACK: ("i'm back", "i am back", "im back", "back", "end acting", "stop acting", "end delegation")
    + ("je suis de retour", "de retour", "fin de l'intérim", "fin de l’intérim", "fin intérim", "mettre fin"),
    Command.DIGEST: ("digest", "my digest", "résumé", "mon résumé", "résumé hebdomadaire"),
    Command.FRENCH: ("français", "french", "en français", "in french"),
    Command.ENGLISH: ("english", "anglais", "en anglais", "in english"),
    Command.MY_INFORMATION: ("my information", "my info", "my data", "my personal information", "access request")
    + ("mes renseignements", "mes donnees", "mes renseignements personnels", "demande d acces"),
    Command.CHALLENGES: ("challenges", "challenge", "den", "the den", "défis", "défi", "defis", "les défis"),
}
_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE)


def normalise(text: str | None) -> str:
    """Lower case, no mention, no punctuation but "?", no accents ("mes idees" is "mes idées")."""
    text = _MENTION.sub(" ", text or "")
    text = unicodedata.normalize("NFKD", text).lower()
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w\s?]", " ", text)
    return " ".join(text.split())


_LOOKUP = {normalise(phrase): command for command, phrases in _PHRASES.items() for phrase in phrases}


def recognise(text: str | None) -> Command | None:
    return _LOOKUP.get(normalise(text))
