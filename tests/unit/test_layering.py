"""Dependencies point one way: domain <- ports <- services and adapters <- cards <- dialogs <- the edge.

Read from the source with `ast`, so a new module is checked the moment it exists. The edge is
the Teams folder, the web routes, the bootstrap, the administrators' commands, `app.py` and
`scripts/`. Only `bot/teams/` may import the Bot Framework SDK, so it can be swapped for the
Microsoft 365 Agents SDK in one place.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.settings import ROOT

# Lower number = deeper. A module may import its own layer or deeper ones, never a higher one.
LAYERS: list[tuple[str, int]] = [
    ("bot.domain", 0),
    ("bot.ports", 1),
    ("bot.i18n", 1),  # the message catalogue: a leaf, imports nothing of ours
    ("bot.formatting", 1),  # dates, numbers, money per locale: needs only the catalogue's languages
    ("bot.logs", 1),
    ("bot.search_text", 1),  # words as search finds them (folded, stemmed): what the indexes and pages share
    ("bot.settings", 1),
    ("bot.services", 2),
    ("bot.adapters", 2),
    ("cards", 3),
    ("dialogs", 4),
    ("bot.teams", 5),
    ("bot.web", 5),
    ("bot.tab", 5),  # the Den tab: its pages, sign-in and routes (an entry point, like the web routes)
    ("bot.bootstrap", 5),
    ("bot.admin", 5),
    ("app", 6),
    ("scripts", 6),
]
# Same layer, yet apart: the use cases never reach an adapter, nor an adapter a use case.
SIBLINGS_APART = [("bot.services", "bot.adapters"), ("bot.adapters", "bot.services")]
LEAVES = ("bot.i18n", "bot.logs", "bot.settings")
BOT_FRAMEWORK = ("botbuilder", "botframework", "msrest")
PRODUCTION = ["app.py", "bot", "cards", "dialogs", "scripts"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def production_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for entry in PRODUCTION:
        base = ROOT / entry
        for path in [base] if base.is_file() else sorted(base.rglob("*.py")):
            found[module_name(path)] = path
    return found


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_of(module: str) -> int | None:
    matches = [(len(prefix), level) for prefix, level in LAYERS if within(module, prefix)]
    return max(matches)[1] if matches else None


def prefix_of(module: str) -> str | None:
    matches = [prefix for prefix, _ in LAYERS if within(module, prefix)]
    return max(matches, key=len) if matches else None


MODULES = production_modules()


def test_every_production_module_has_a_layer():
    assert [m for m in MODULES if m != "bot" and layer_of(m) is None] == []


def violations(module: str, imported_names: set[str]) -> list[str]:
    """The imports of `module` that run up a layer, across to a sibling, or out of a leaf."""
    level = layer_of(module)
    if level is None:
        return []
    wrong = []
    for imported in sorted(imported_names):
        target = layer_of(imported)
        if target is None:
            continue
        if (
            target > level
            or any(within(module, a) and within(imported, b) for a, b in SIBLINGS_APART)
            or (prefix_of(module) in LEAVES and prefix_of(imported) != prefix_of(module))
        ):
            wrong.append(imported)
    return wrong


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    wrong = violations(module, imports_of(MODULES[module]))
    assert wrong == [], f"{module} imports {wrong}, which is above it or beside it"


def test_only_the_teams_folder_imports_the_bot_framework():
    outside = sorted(
        module
        for module, path in MODULES.items()
        if not within(module, "bot.teams")
        and any(within(imported, sdk) for imported in imports_of(path) for sdk in BOT_FRAMEWORK)
    )
    assert outside == []


def test_the_checker_catches_what_the_rule_forbids():
    """The rule can fail: each kind of wrong import is caught, and a right one is not."""
    assert violations("bot.adapters.sqlite_store", {"dialogs.main", "bot.ports"}) == ["dialogs.main"]
    assert violations("bot.teams.channel", {"bot.services.outbox", "cards.common"}) == []
    assert violations("bot.adapters.sharepoint_store", {"bot.services.workers"}) == ["bot.services.workers"]
    assert violations("bot.services.digest", {"cards.digest", "bot.i18n"}) == ["cards.digest"]
    assert violations("bot.domain.model", {"bot.ports"}) == ["bot.ports"]
    assert violations("bot.i18n", {"bot.settings"}) == ["bot.settings"]
