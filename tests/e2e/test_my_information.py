"""A person asks for their information in chat, over HTTP: the card counts what the Den holds about them,
in their language, and the request is recorded for the administrators (`--requests`), who answer it
with the export."""

from __future__ import annotations

from bot.admin.records import parse, run
from bot.ports.records import EntryKind
from tests.e2e.test_bilingual_and_views import next_card, pitch
from tests.support.inbox import card_saying, cards_to
from tests.support.people import MAYA, SAM
from tests.support.running_app import settings_for_test
from tests.support.teams_client import texts


async def test_my_information_counts_what_is_held_and_records_the_request(teams, connector, app, tmp_path):
    await teams.install(MAYA)
    await pitch(teams, SAM)
    await pitch(teams, SAM, title="A second idea, about forms", problem="Forms ask twice for the same address.")
    before = len(cards_to(connector, SAM))
    await teams.say(SAM, "my information")
    card = await next_card(connector, SAM, before)
    shown = texts(card)
    assert "Your information in Deputy's Den" in shown and "2 ideas you pitched" in shown
    # the same copy is ready at once in the Den tab (here, authentication off: the tab's page, as Sam)
    [download] = [a for a in card["actions"] if a["type"] == "Action.OpenUrl"]
    assert download["title"] == "Download it now"
    assert download["url"].endswith(f"/tab?as={SAM.aad_id}&lang=en#/information")
    assert "No scores given as a judge" in shown and "Your request for a full copy is recorded (reference ACC-" in shown

    before = len(cards_to(connector, MAYA))
    await teams.say(MAYA, "mes renseignements", locale="fr-CA")
    card = await next_card(connector, MAYA, before)
    assert card["lang"] == "fr" and "Vos renseignements dans Deputy's Den" in texts(card)
    assert "Aucune idée proposée" in texts(card)

    settings = settings_for_test(tmp_path / "den.sqlite3")  # the app's own records, as the command opens them
    lines: list[str] = []
    assert await run(parse(["--requests"]), settings, out=lines.append) == 0
    assert sorted(line.split()[2] for line in lines) == sorted([SAM.aad_id, MAYA.aad_id])
    assert all(line.endswith("OPEN") for line in lines)
    out = tmp_path / "answers"
    assert await run(parse(["--person", SAM.aad_id, "--export", "--out", str(out), "--by", "Pat"]), settings,
                     out=lines.append) == 0  # fmt: skip
    [html] = out.glob("*.html")
    assert "Ideas you pitched" in html.read_text(encoding="utf-8")
    lines.clear()
    await run(parse(["--requests"]), settings, out=lines.append)
    assert [line.split()[-1] for line in lines if SAM.aad_id in line] == ["Pat"]
    assert [line.split()[-1] for line in lines if MAYA.aad_id in line] == ["OPEN"]


async def test_a_correction_at_the_persons_request_keeps_the_original_and_tells_them(teams, connector, app, tmp_path,
                                                                                     capsys):  # fmt: skip
    await teams.install(MAYA)
    receipt = await pitch(teams, SAM, title="Tell us once: one adress change")
    reference = next(word for word in texts(receipt).split() if word.startswith("DEN-")).strip(".,:)")
    settings = settings_for_test(tmp_path / "den.sqlite3")
    lines: list[str] = []
    fix = ["--correct", reference, "--field", "title", "--value", "Tell us once: one address change",
           "--reason", "Spelling, as Sam asked by email on Dec 7", "--by", "Pat Admin"]  # fmt: skip
    assert await run(parse([*fix, "--requested-by", "maya.singh@ministry.example"]), settings, out=lines.append) == 2
    assert "only the person the record is about (Sam Chen) may ask" in capsys.readouterr().err
    assert await run(parse([*fix[:3], "color", *fix[4:], "--requested-by", SAM.aad_id]), settings) == 2
    assert "'color' cannot be corrected" in capsys.readouterr().err

    assert await run(parse([*fix, "--requested-by", "sam.chen@ministry.example"]), settings, out=lines.append) == 0
    told = await card_saying(connector, SAM, f"A correction to {reference}")
    shown = texts(told)
    assert "Tell us once: one adress change" in shown and "Tell us once: one address change" in shown
    assert "Spelling, as Sam asked by email on Dec 7" in shown and "The original is kept" in shown
    ideas = await app.store.list_by_submitter(SAM.aad_id)
    assert [i.pitch.title for i in ideas] == ["Tell us once: one address change"]
    assert ideas[0].history[-1].kind.value == "corrected" and ideas[0].history[-1].actor_name == "Pat Admin"
    lines.clear()
    assert await run(parse(["--corrections"]), settings, out=lines.append) == 0
    assert len(lines) == 1 and reference in lines[0] and "corrected by Pat Admin" in lines[0]
    [entry] = await app.store.register_entries(EntryKind.CORRECTION)
    assert entry.body["original"] == "Tell us once: one adress change" and entry.body["requestedBy"] == SAM.aad_id
