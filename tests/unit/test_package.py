"""The Teams app package: manifest schema (good and broken), icons, and the zip's contents."""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest
from PIL import Image

from bot.settings import ROOT
from dialogs.commands import recognise
from scripts.package import MANIFEST_DIR, PackageError, build_package, deployment_values

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")

SETTINGS = {
    "TEAMS_APP_ID": "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b",
    "MicrosoftAppId": "6f1d2c3b-0000-4000-8000-000000000001",
    "BOT_DOMAIN": "den.ministry.example",
    "APP_VERSION": "1.2.3",
}


@pytest.fixture(autouse=True)
def _schema_package_installed():
    if shutil.which("node") and not (ROOT / "node_modules" / "@microsoft" / "app-manifest").exists():
        pytest.fail("@microsoft/app-manifest is missing: `make test` installs it with npm ci")


@needs_node
def test_the_package_holds_the_filled_in_manifest_and_both_icons(tmp_path):
    out = build_package(deployment_values(SETTINGS), tmp_path / "appPackage.zip")
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "fr.json", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        french = json.loads(package.read("fr.json"))
    assert manifest["id"] == SETTINGS["TEAMS_APP_ID"]
    assert manifest["version"] == "1.2.3"
    assert manifest["bots"][0]["botId"] == SETTINGS["MicrosoftAppId"]
    assert manifest["validDomains"] == ["den.ministry.example"]
    # The Den tab's single sign-on: the app's own id, and its Application ID URI on the app's domain.
    assert manifest["webApplicationInfo"] == {
        "id": SETTINGS["MicrosoftAppId"], "resource": f"api://den.ministry.example/{SETTINGS['MicrosoftAppId']}"
    }
    assert manifest["staticTabs"][1]["contentUrl"] == "https://den.ministry.example/tab"
    assert float(manifest["manifestVersion"]) >= 1.22
    commands = [c["title"] for c in manifest["bots"][0]["commandLists"][0]["commands"]]
    assert commands == ["pitch", "my ideas", "help", "my approvals", "acting", "challenges"]
    assert manifest["bots"][0]["scopes"] == ["personal", "team", "groupChat"]  # the Den posts calls in channels
    assert "${{" not in json.dumps(manifest)
    assert manifest["localizationInfo"] == {
        "defaultLanguageTag": "en-ca",
        "additionalLanguages": [{"languageTag": "fr-ca", "file": "fr.json"}],
    }
    assert french["name.short"] == manifest["name"]["short"]  # the app's name is a proper noun
    assert "proposez une idée" in french["name.full"]


def test_the_french_localization_file_translates_every_string_and_every_command():
    manifest = json.loads((MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8"))
    french = json.loads((MANIFEST_DIR / "fr.json").read_text(encoding="utf-8"))
    version = manifest["manifestVersion"]
    assert french["$schema"].endswith(f"/v{version}/MicrosoftTeams.Localization.schema.json")
    commands = manifest["bots"][0]["commandLists"][0]["commands"]
    expected = {"name.short", "name.full", "description.short", "description.full"}
    for n, command_list in enumerate(manifest["bots"][0]["commandLists"]):  # personal, then team and group chat
        for i in range(len(command_list["commands"])):
            expected |= {f"bots[0].commandLists[{n}].commands[{i}].{field}" for field in ("title", "description")}
    expected |= {f"staticTabs[{i}].name" for i, tab in enumerate(manifest["staticTabs"]) if "name" in tab}
    assert set(french) - {"$schema"} == expected
    for key in ("name.full", "description.short", "description.full"):
        section, field = key.split(".")
        assert french[key] != manifest[section][field], f"{key} is still in English"
    for i, command in enumerate(commands):
        title = french[f"bots[0].commandLists[0].commands[{i}].title"]
        assert title != command["title"]
        assert recognise(title) == recognise(command["title"]) is not None, f"the bot must understand {title!r}"


@needs_node
def test_a_broken_localization_file_fails_with_the_schemas_message(tmp_path):
    folder = tmp_path / "manifest"
    shutil.copytree(MANIFEST_DIR, folder, ignore=shutil.ignore_patterns("*.js"))
    french = json.loads((folder / "fr.json").read_text(encoding="utf-8"))
    french["name.short"] = "Deputy's Den, le lieu des idées du ministère"  # over 30 characters
    french["bots[0].commandLists[0].commands[20].title"] = "trop"  # no such command slot
    (folder / "fr.json").write_text(json.dumps(french), encoding="utf-8")

    with pytest.raises(PackageError) as failure:
        build_package(deployment_values(SETTINGS), tmp_path / "out.zip", template=folder / "manifest.json")

    message = str(failure.value)
    assert "fr.json: /name.short must NOT have more than 30 characters" in message
    assert "fr.json: " in message and "must NOT have additional properties" in message
    assert not (tmp_path / "out.zip").exists()


@needs_node
def test_a_broken_manifest_fails_with_the_schemas_message(tmp_path):
    template = json.loads((MANIFEST_DIR / "manifest.json").read_text())
    template["accentColor"] = "blue"
    del template["description"]["short"]
    broken = tmp_path / "manifest" / "manifest.json"
    broken.parent.mkdir()
    broken.write_text(json.dumps(template))
    for name in ("color.png", "outline.png", "fr.json"):
        shutil.copy(MANIFEST_DIR / name, broken.parent / name)

    with pytest.raises(PackageError) as failure:
        build_package(deployment_values(SETTINGS), tmp_path / "out" / "appPackage.zip", template=broken)

    message = str(failure.value)
    assert "/accentColor must match pattern" in message
    assert "must have required property 'short'" in message
    assert not (tmp_path / "out" / "appPackage.zip").exists()


@pytest.mark.parametrize(
    "change, complaint",
    [
        ({"TEAMS_APP_ID": ""}, "set TEAMS_APP_ID"),
        ({"MicrosoftAppId": "not-a-guid"}, "MicrosoftAppId must be a GUID"),
        ({"BOT_DOMAIN": "https://den.example/"}, "BOT_DOMAIN must be a host name"),
    ],
)
def test_missing_or_malformed_settings_are_refused(change, complaint):
    with pytest.raises(PackageError, match=complaint) as refused:
        deployment_values({**SETTINGS, **change})
    assert "BOT_ID" not in str(refused.value), "issue #14: name the setting people set, not the template's name"


def test_colour_icon_is_192_square_and_opaque():
    image = Image.open(MANIFEST_DIR / "color.png")
    assert image.size == (192, 192)
    assert image.convert("RGBA").getchannel("A").getextrema() == (255, 255)


def test_outline_icon_is_32_square_white_on_transparent():
    image = Image.open(MANIFEST_DIR / "outline.png").convert("RGBA")
    assert image.size == (32, 32)
    alpha = image.getchannel("A")
    assert alpha.getextrema()[0] == 0, "has transparent pixels"
    assert alpha.getextrema()[1] == 255, "has a visible shape"
    visible = [pixel[:3] for pixel in image.get_flattened_data() if pixel[3] > 0]
    assert set(visible) == {(255, 255, 255)}, "every visible pixel is white"
