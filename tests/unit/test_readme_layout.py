"""The README's layout tree names every package and module the code has (and nothing it has not)."""

from __future__ import annotations

import re

from bot.settings import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
TREE = README[README.index("## Where things are") :].split("```")[1]


def test_every_top_level_part_of_bot_is_in_the_tree():
    parts = [
        p.name + ("/" if p.is_dir() else "")
        for p in (ROOT / "bot").iterdir()
        if not p.name.startswith(("_", ".")) and (p.is_dir() or p.suffix == ".py")
    ]
    missing = [part for part in parts if part.rstrip("/") not in TREE]
    assert missing == []


def test_every_module_the_tree_names_exists():
    named = set(re.findall(r"\b([a-z_]+\.py)\b", TREE))
    existing = {p.name for p in ROOT.rglob("*.py") if ".venv" not in p.parts and "node_modules" not in p.parts}
    assert named - existing == set()


def test_every_card_module_is_in_the_tree():
    modules = [p.stem for p in (ROOT / "cards").glob("*.py") if p.stem != "__init__"]
    assert [m for m in modules if not re.search(rf"\b{m}\b", TREE)] == []


def test_the_page_table_lists_the_pages_make_run_starts():
    """`make run` starts one Agents Playground page per person of the org file, in file order,
    from DEN_PLAYGROUND_PORT (56150 by default): the README's table says the same, port by port."""
    from bot.adapters.org_directory import OrgFileDirectory

    people = [entry.person.name for entry in OrgFileDirectory.from_file(ROOT / "data" / "demo-org.json").people()]
    table = README[README.index("| page | person |") :].split("\n\n")[0].splitlines()[2:]
    rows = [(re.search(r":(\d{5})`", row).group(1), row.split("|")[2].split(",")[0].strip()) for row in table]
    assert rows == [(str(56150 + n), name) for n, name in enumerate(people)]
    assert "DEN_PLAYGROUND_PORT" in README and "DEN_ORG_FILE=" in README
