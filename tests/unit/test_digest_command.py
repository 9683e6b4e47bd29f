"""`python -m bot.admin.digest --preview --dm <id>` prints the card JSON and sends nothing."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.admin.digest import main
from tests.support.people import DANA, SAM


def test_preview_prints_the_dms_card(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DEN_SQLITE_PATH", str(tmp_path / "den.sqlite3"))
    assert main(["--preview", "--dm", DANA.aad_id]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == "Your Den this week"
    assert "Dana Morel" in card["body"][1]["text"]


def test_preview_refuses_someone_who_is_not_a_dm(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DEN_SQLITE_PATH", str(tmp_path / "den.sqlite3"))
    assert main(["--preview", "--dm", SAM.aad_id]) == 2
    assert "is not a deputy minister" in capsys.readouterr().err


def test_list_names_the_deputy_ministers(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DEN_SQLITE_PATH", str(tmp_path / "den.sqlite3"))
    assert main(["--list"]) == 0
    assert capsys.readouterr().out.strip() == f"{DANA.aad_id}\tDana Morel"


def test_preview_of_the_week_so_far(tmp_path, monkeypatch, capsys):
    """Issue #14: right after trying the bot the digest said "A quiet week": it covers the last complete week."""
    monkeypatch.setenv("DEN_SQLITE_PATH", str(tmp_path / "den.sqlite3"))
    assert main(["--preview", "--dm", DANA.aad_id, "--week", "current"]) == 0
    card = json.loads(capsys.readouterr().out)
    monday = datetime.now(ZoneInfo("America/Toronto")).weekday() == 0  # the week so far is then today only
    assert card["body"][0]["text"] == ("Your Den today" if monday else "Your Den this week")
