"""The application is assembled without late patches: `bot/bootstrap.py` builds each object with
everything it uses and never sets an attribute on it afterwards, nor asks an object what it can do.

Read from the source with `ast`, as the layering test reads imports. A callback defined inside the
assembly (a gauge updated at each heartbeat) runs later, at its own time, so its body is not counted.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from bot.settings import ROOT

BOOTSTRAP = ROOT / "bot" / "bootstrap.py"
PROBES = ("hasattr", "getattr", "setattr", "delattr")  # feature detection and patching by name


def _own_statements(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The nodes a function runs itself: not those of functions, lambdas or classes defined inside it."""
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def _root_name(node: ast.AST) -> str:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        found = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        found = [node.target]
    else:
        return []
    flat: list[ast.AST] = []
    while found:
        target = found.pop()
        if isinstance(target, (ast.Tuple, ast.List)):
            found.extend(target.elts)
        else:
            flat.append(target)
    return flat


def late_patches(source: str) -> list[str]:
    """Each attribute set on an object other than `self`, and each hasattr/getattr/setattr, as 'line: code'."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    methods = [m for c in tree.body if isinstance(c, ast.ClassDef) for m in c.body if isinstance(m, kinds)]
    functions = [n for n in tree.body if isinstance(n, kinds)] + methods
    for function in functions:
        for node in _own_statements(function):
            for target in _targets(node):
                if isinstance(target, ast.Attribute) and _root_name(target) != "self":
                    found.append((target.lineno, ast.unparse(target)))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in PROBES:
                found.append((node.lineno, ast.unparse(node)))
    return [f"{line}: {code}" for line, code in sorted(set(found))]


def test_the_bootstrap_sets_nothing_on_what_it_built():
    assert late_patches(BOOTSTRAP.read_text(encoding="utf-8")) == []


def test_the_checker_finds_late_patches_and_feature_probes():
    source = '''
def bootstrap(settings):
    pitch_day = PitchDayService(store)
    pitch_day.renderer = ChannelCards(pitch_day)
    renderer.before_request, ideas.viewers = approvals.settle, viewers
    den.ideas.routes = routes
    setattr(den, "routes", routes)
    posts = RateLimitedPosts(channel) if hasattr(channel, "post_card") else None
    own = getattr(store, "deliver_own_writes", None)

    def report(share):  # a callback: runs at each heartbeat, not while assembling
        gauges.share = share

    return Den(pitch_day=pitch_day, on_change=lambda share: report(share))


class Den:
    def start(self):
        self.started = True
'''
    assert late_patches(source) == [
        "4: pitch_day.renderer",
        "5: ideas.viewers",
        "5: renderer.before_request",
        "6: den.ideas.routes",
        "7: setattr(den, 'routes', routes)",
        "8: hasattr(channel, 'post_card')",
        "9: getattr(store, 'deliver_own_writes', None)",
    ]
