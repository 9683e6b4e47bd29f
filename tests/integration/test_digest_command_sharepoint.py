"""`python -m bot.admin.digest` reads the configured store and directory, SharePoint and Entra ID included.

It used to build SQLite and the org file whatever the settings said, so on SharePoint `--list`
named the demo organisation's DM and `--preview` read an empty local database.
"""

from __future__ import annotations

import json

from bot.admin.digest import parse, run
from bot.bootstrap import bootstrap
from bot.ports import NoSending
from tests.integration.test_sharepoint_app import sharepoint_settings, site  # noqa: F401 (fixture)
from tests.support.graph_fixtures import StaticCredential
from tests.support.people import AMIR, DANA, SAM, VALID_PITCH


async def test_list_names_the_entra_deputy_ministers_not_the_org_files(tmp_path, fake_graph, site):  # noqa: F811
    settings = sharepoint_settings(
        tmp_path, fake_graph, site, dm_ids=frozenset({AMIR.aad_id}), org_file=str(tmp_path / "none")
    )
    lines: list[str] = []
    assert await run(parse(["--list"]), settings, graph_credential=StaticCredential(), out=lines.append) == 0
    assert lines == [f"{AMIR.aad_id}\t{AMIR.name}"]  # Entra ID's DM; the demo org file would say Dana


async def test_preview_reads_the_ideas_in_sharepoint(tmp_path, fake_graph, site):  # noqa: F811
    settings = sharepoint_settings(tmp_path, fake_graph, site, org_file=str(tmp_path / "none"))
    den = bootstrap(settings, channel=NoSending(), graph_credential=StaticCredential())
    await den.open()
    try:
        pitched = await den.ideas.submit_pitch(submitter_id=SAM.aad_id, submitter_name=SAM.name, form=VALID_PITCH)
    finally:
        await den.close()
    assert pitched.idea is not None

    lines: list[str] = []
    args = parse(["--preview", "--dm", DANA.aad_id])
    assert await run(args, settings, graph_credential=StaticCredential(), out=lines.append) == 0
    card = json.loads("\n".join(lines))
    shown = json.dumps(card, ensure_ascii=False)
    assert pitched.idea.reference in shown and VALID_PITCH["title"] in shown
    assert not (tmp_path / "unused.sqlite3").exists()  # no local database was opened
