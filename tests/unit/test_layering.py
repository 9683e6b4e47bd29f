"""Dependencies point one way: domain <- ports <- services and adapters <- cards <- dialogs <- the edge.

Read from the source with `ast`, so a new module is checked the moment it exists. The edge is
the SDK-free edge (bot/edge), the two SDK edges, the web routes, the bootstrap, the administrators'
commands, `app.py` and `scripts/`. Each Teams SDK is imported by its own edge folder alone: the Bot
Framework SDK by `bot/teams/`, the Microsoft 365 Agents SDK by `bot/agents_sdk/`, so either can be
dropped or upgraded in one place.
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
    ("bot.telemetry", 1),  # OpenTelemetry: spans, metrics, the exporters; ids and the app's own words only
    ("bot.search_text", 1),  # words as search finds them (folded, stemmed): what the indexes and pages share
    ("bot.settings", 1),
    ("bot.services", 2),
    ("bot.adapters", 2),
    ("cards", 3),
    ("dialogs", 4),
    ("bot.edge", 5),  # what both edges share, importing no SDK
    ("bot.teams", 5),  # the botbuilder edge
    ("bot.agents_sdk", 5),  # the Microsoft 365 Agents SDK edge
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
# Each SDK's top-level packages, and the one folder that may import them.
SDKS: dict[str, tuple[str, ...]] = {
    "bot.teams": ("botbuilder", "botframework", "msrest"),
    "bot.agents_sdk": ("microsoft_agents", "microsoft_teams"),
}
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


def sdk_imports_out_of_place(module: str, imported_names: set[str]) -> list[str]:
    """The SDK imports of `module` that are not in that SDK's own edge folder."""
    return sorted(
        imported
        for imported in imported_names
        for folder, packages in SDKS.items()
        if not within(module, folder) and any(within(imported, package) for package in packages)
    )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_sdk_is_imported_by_its_own_edge_folder_alone(module):
    wrong = sdk_imports_out_of_place(module, imports_of(MODULES[module]))
    assert wrong == [], f"{module} imports {wrong}: only {', '.join(SDKS)} import a Teams SDK, each its own"


def test_both_edges_exist_and_import_their_sdk():
    """The rule is about real folders: each edge imports its SDK (so a renamed folder fails here)."""
    for folder, packages in SDKS.items():
        users = [m for m, path in MODULES.items() if within(m, folder)
                 and any(within(i, p) for i in imports_of(path) for p in packages)]  # fmt: skip
        assert users, f"no module of {folder} imports {packages}"


def test_the_checker_catches_what_the_rule_forbids():
    """The rule can fail: each kind of wrong import is caught, and a right one is not."""
    assert violations("bot.adapters.sqlite_store", {"dialogs.main", "bot.ports"}) == ["dialogs.main"]
    assert violations("bot.edge.channel", {"bot.services.outbox", "cards.common"}) == []
    assert violations("bot.adapters.sharepoint_store", {"bot.services.workers"}) == ["bot.services.workers"]
    assert violations("bot.services.digest", {"cards.digest", "bot.i18n"}) == ["cards.digest"]
    assert violations("bot.domain.model", {"bot.ports"}) == ["bot.ports"]
    assert violations("bot.i18n", {"bot.settings"}) == ["bot.settings"]
    assert sdk_imports_out_of_place("bot.edge.turns", {"botbuilder.core", "bot.ports"}) == ["botbuilder.core"]
    assert sdk_imports_out_of_place("bot.teams.edge", {"microsoft_agents.activity"}) == ["microsoft_agents.activity"]
    assert sdk_imports_out_of_place("bot.agents_sdk.edge", {"msrest.exceptions"}) == ["msrest.exceptions"]
    assert sdk_imports_out_of_place("dialogs.main", {"microsoft_teams.api"}) == ["microsoft_teams.api"]
    assert sdk_imports_out_of_place("bot.agents_sdk.edge", {"microsoft_agents.hosting.core"}) == []


def runtime_imports_of(path: Path) -> set[str]:
    """The production modules `path` imports when it runs: type-only imports (under `if TYPE_CHECKING:`)
    are left out, since they never execute; `from package import module` counts as the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and getattr(block.test, "id", getattr(block.test, "attr", "")) == "TYPE_CHECKING"
        for statement in block.body
        for node in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in MODULES)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return found & set(MODULES)


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    circles.append(sorted(group))
    return circles


def test_no_import_circles():
    """A circle hides behind a late import until the day someone moves it; name the group instead."""
    graph = {module: runtime_imports_of(path) - {module} for module, path in MODULES.items()}
    assert import_circles(graph) == []


def test_the_circle_finder_finds_circles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": set()}
    assert import_circles(graph) == [["a", "b", "c"]]
    assert import_circles({"x": {"y"}, "y": set()}) == []


def is_entry_point(module: str, path: Path) -> bool:
    """Run rather than imported: app.py, scripts, packages, and the `python -m` commands."""
    return (
        module in ("app", "bot") or within(module, "scripts") or path.name in ("__init__.py", "__main__.py")
        or 'if __name__ == "__main__"' in path.read_text(encoding="utf-8")
    )


def test_every_module_under_bot_dialogs_and_cards_is_used():
    """A module that nothing imports and nobody runs is dead code (or a test helper in the wrong place)."""
    imported = set().union(*(runtime_imports_of(path) | imports_of(path) for path in MODULES.values()))
    unused = [m for m, path in MODULES.items() if m not in imported and not is_entry_point(m, path)]
    assert unused == []
