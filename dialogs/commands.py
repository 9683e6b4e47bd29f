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


_PHRASES = {
    Command.PITCH: ("pitch", "pitch an idea", "new idea", "new", "idea", "submit", "submit an idea", "start"),
    Command.MY_IDEAS: ("my ideas", "ideas", "status", "my status", "track", "mine", "list"),
    Command.HELP: ("help", "hi", "hello", "hey", "menu", "?", "bonjour", "aide"),
    Command.MY_APPROVALS: ("my approvals", "approvals", "to approve", "waiting for me", "mes approbations"),
    Command.DELEGATE: ("acting", "delegate", "someone acts for me", "away", "out of office", "intérim", "interim"),
}
_LOOKUP = {phrase: command for command, phrases in _PHRASES.items() for phrase in phrases}
_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE)


def normalise(text: str | None) -> str:
    text = _MENTION.sub(" ", text or "")
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s?]", " ", text)
    return " ".join(text.split())


def recognise(text: str | None) -> Command | None:
    return _LOOKUP.get(normalise(text))
