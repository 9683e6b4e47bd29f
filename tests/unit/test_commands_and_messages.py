import json

import pytest

from bot.i18n import CATALOGUE_DIR, Messages, language_of
from dialogs.commands import Command, recognise


@pytest.mark.parametrize(
    "typed, command",
    [
        ("pitch", Command.PITCH),
        ("  New idea! ", Command.PITCH),
        ("<at>Deputy's Den</at> pitch", Command.PITCH),
        ("My ideas", Command.MY_IDEAS),
        ("HELP", Command.HELP),
        ("Mes idées", Command.MY_IDEAS),
        ("mes idees", Command.MY_IDEAS),
        ("Proposer une idée", Command.PITCH),
        ("<at>Deputy's Den</at> proposer", Command.PITCH),
        ("Aide", Command.HELP),
        ("what is this", None),
        ("", None),
    ],
)
def test_typed_commands_are_recognised(typed, command):
    assert recognise(typed) == command


def test_a_teams_locale_chooses_its_catalogue_and_an_unknown_one_falls_back_to_english():
    assert language_of("fr-CA") == "fr"
    assert language_of("fr_FR") == "fr"
    assert Messages("fr-CA").t("welcome.pitch") == "Proposer une idée"
    assert language_of("de-DE") == "en"
    assert language_of(None) == "en"
    assert Messages("de-DE").t("welcome.pitch") == "Pitch an idea"


def test_every_message_key_used_in_code_is_in_the_catalogue():
    import pathlib
    import re

    catalogue = json.loads((CATALOGUE_DIR / "en.json").read_text())
    root = pathlib.Path(__file__).resolve().parents[2]
    used = set()
    for folder in ("bot", "cards", "dialogs", "app.py"):
        for path in [root / folder] if folder.endswith(".py") else (root / folder).rglob("*.py"):
            used |= set(re.findall(r'\.t\(\s*"([a-z_.]+)"', path.read_text()))
    missing = sorted(k for k in used - {"key"} if k not in catalogue)  # "key": a docstring example
    assert not missing, missing
    assert len(used) > 40
