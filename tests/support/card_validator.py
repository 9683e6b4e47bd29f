"""Adaptive Cards checked by the Adaptive Cards library itself (adaptivecards/dist, through Node:
tests/support/validate_cards.js), as Teams' renderer would parse them, offline."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

import pytest

from bot.settings import ROOT

VALIDATOR = ROOT / "tests" / "support" / "validate_cards.js"

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


def card_problems(cards: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each card the library does not accept as a clean version 1.5 card, by name, with its
    verdict (failures, parse events, version). Empty when every card is fine."""
    if not (ROOT / "node_modules" / "adaptivecards").exists():
        pytest.fail("the adaptivecards npm package is missing: `make test` installs it with npm ci")
    result = subprocess.run(
        ["node", str(VALIDATOR)], input=json.dumps(list(cards.values())), capture_output=True, text=True, check=True
    )
    return {
        name: verdict
        for name, verdict in zip(cards, json.loads(result.stdout), strict=True)
        if verdict["failures"] or verdict["parseEvents"] or verdict["version"] != "1.5"
    }
