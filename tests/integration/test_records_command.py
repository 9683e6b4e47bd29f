"""`python -m bot.admin.records` as an administrator runs it, on the embedded store: the schedule, what is
due, a refusal without authorization, an authorization, a dry run, the disposal and its record."""

from __future__ import annotations

from bot.adapters.sqlite_store import SqliteStore
from bot.admin.records import parse, run
from bot.settings import Settings
from tests.integration.test_records_disposal import a_den_from_2018


async def command(settings: Settings, *argv: str) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = await run(parse(list(argv)), settings, out=lines.append)
    return code, lines


async def test_an_administrator_lists_authorizes_tries_and_disposes(tmp_path, capsys):
    path = tmp_path / "den.sqlite3"
    store = SqliteStore(path)
    await store.open()
    ids = await a_den_from_2018(store)
    await store.close()
    settings = Settings(sqlite_path=str(path), spool_path=str(tmp_path / "spool.sqlite3"))

    code, lines = await command(settings, "--schedule")
    assert code == 0 and any(line.split()[:2] == ["votes", "90"] and "then only the counts" in line for line in lines)
    code, lines = await command(settings, "--due")
    assert code == 0 and [line.split()[:3] for line in lines if line.startswith("ideas ")] == [["ideas", "DEN-01", "2"]]
    assert any(line.startswith("votes ") and "2018-10-20  2018-10-20" in line for line in lines)

    assert (await command(settings, "--dispose", "authorization:none", "--by", "Pat"))[0] == 2
    assert "nothing is destroyed without an authorization" in capsys.readouterr().err
    assert (await command(settings, "--authorize", "votes", "--item", "DEN-01", "--by", "Head"))[0] == 2
    assert "votes are kept under schedule item DEN-04, not DEN-01" in capsys.readouterr().err

    code, lines = await command(settings, "--authorize", "votes", "--item", "DEN-04", "--by", "Deputy Head")
    assert code == 0 and lines[0].startswith("Authorization recorded: authorization:")
    key = lines[0].split(": ", 1)[1]
    code, lines = await command(settings, "--dispose", key, "--by", "Pat Admin", "--dry-run")
    assert code == 0 and lines == [
        "Dry run, nothing changed: the disposal would destroy 3 votes (events 2018-10-20 to 2018-10-20),"
        " under item DEN-04."
    ]
    code, lines = await command(settings, "--dispose", key, "--by", "Pat Admin")
    assert code == 0 and lines[0].startswith("Destroyed 3 of 3 votes") and lines[1].startswith("Disposal record kept: ")
    code, lines = await command(settings, "--disposals")
    assert len(lines) == 1 and "votes" in lines[0] and "by Pat Admin" in lines[0] and key in lines[0]
    code, lines = await command(settings, "--authorizations")
    assert len(lines) == 1 and "used by disposal:" in lines[0]

    store = SqliteStore(path)
    await store.open()
    assert await store.get_vote("c1", "v1") is None and (await store.get_poll("c1")).counts == {ids["kept"]: 3}
    await store.close()
