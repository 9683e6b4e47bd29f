"""The two Teams edges a test module can run on: `pytestmark = both_edges` runs each of its tests
once per edge, through the `teams_edge` fixture (tests/conftest.py) that the app fixtures read.
Modules without it run on DEN_TEAMS_EDGE (botbuilder unless set)."""

from __future__ import annotations

import pytest

EDGES = ("botbuilder", "agents")
both_edges = pytest.mark.parametrize("teams_edge", EDGES)
