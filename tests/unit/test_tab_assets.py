"""The tab's files: the Fluent 2 theme tokens are what the lockfile's @fluentui/tokens gives, and the
manifest declares the tabs, their single sign-on and their domain (the package still validates)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from bot.settings import ROOT


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to read the npm package")
def test_the_theme_tokens_are_generated_from_the_npm_package(tmp_path):
    out = tmp_path / "themes.css"
    subprocess.run(["node", "scripts/fluent_themes.cjs", str(out)], cwd=ROOT, check=True)
    committed = (ROOT / "static" / "tab" / "fluent-themes.css").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, "run `make tab-themes` after changing @fluentui/tokens"
    for theme in ("default", "dark", "contrast"):
        assert f'[data-theme="{theme}"]' in committed


def test_the_manifest_declares_the_tabs_and_their_sign_on():
    manifest = json.loads((ROOT / "manifest" / "manifest.json").read_text(encoding="utf-8"))
    static = {tab["entityId"]: tab for tab in manifest["staticTabs"]}
    assert static["den"]["contentUrl"] == "https://${{BOT_DOMAIN}}/tab" and static["den"]["scopes"] == ["personal"]
    assert "conversations" in static  # the bot's chat stays beside the tab
    configurable = manifest["configurableTabs"][0]
    assert configurable["configurationUrl"] == "https://${{BOT_DOMAIN}}/tab/config"
    assert "team" in configurable["scopes"]
    assert manifest["webApplicationInfo"] == {"id": "${{BOT_ID}}", "resource": "api://${{BOT_DOMAIN}}/${{BOT_ID}}"}
    assert manifest["validDomains"] == ["${{BOT_DOMAIN}}"]
