"""`make package`: the Teams app package (manifest, its French localization file, two icons), filled in
and validated.

Per-deployment values come from settings, never from editing the manifest by hand:

    TEAMS_APP_ID      the Teams app's own id (a GUID you keep for the life of the app)
    MicrosoftAppId    the Azure Bot's app id (also the bot id in the manifest)
    BOT_DOMAIN        the host name the bot is served on, e.g. den.ministry.example
    APP_VERSION       the package version (defaults to the app's version)

The filled-in manifest is validated against the official JSON schema for its
manifestVersion, and each localization file against the localization schema of that version,
both shipped in Microsoft's @microsoft/app-manifest npm package (offline).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

from dotenv import load_dotenv

from bot import __version__
from bot.settings import ROOT

MANIFEST_DIR = ROOT / "manifest"
PLACEHOLDER = re.compile(r"\$\{\{([A-Z_]+)\}\}")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")


class PackageError(Exception):
    pass


def deployment_values(env: dict[str, str]) -> dict[str, str]:
    values = {
        "TEAMS_APP_ID": env.get("TEAMS_APP_ID", "").strip(),
        "BOT_ID": env.get("MicrosoftAppId", "").strip(),
        "BOT_DOMAIN": env.get("BOT_DOMAIN", "").strip().lower(),
        "APP_VERSION": env.get("APP_VERSION", "").strip() or __version__,
    }
    missing = [name for name, key in (("TEAMS_APP_ID", "TEAMS_APP_ID"), ("MicrosoftAppId", "BOT_ID"),
                                       ("BOT_DOMAIN", "BOT_DOMAIN")) if not values[key]]
    if missing:
        raise PackageError(f"set {', '.join(missing)} (in the environment or .env) before packaging")
    for setting, key in (("TEAMS_APP_ID", "TEAMS_APP_ID"), ("MicrosoftAppId", "BOT_ID")):
        try:
            uuid.UUID(values[key])
        except ValueError as exc:
            # Named as the person sets it (.env, Azure), not as the manifest template calls it.
            raise PackageError(f"{setting} must be a GUID (the Azure Bot's app id), got {values[key]!r}") from exc
    if not DOMAIN.match(values["BOT_DOMAIN"]):
        raise PackageError(f"BOT_DOMAIN must be a host name such as den.ministry.example, got {values['BOT_DOMAIN']!r}")
    return values


def fill(template: str, values: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise PackageError(f"the manifest uses ${{{{{name}}}}}, which no setting provides")
        return json.dumps(values[name])[1:-1]  # escaped for a JSON string

    return PLACEHOLDER.sub(replace, template)


def validate(manifest_path: Path) -> None:
    """Run Microsoft's schema validation; raise with the schema's own messages."""
    result = subprocess.run(
        ["node", str(MANIFEST_DIR / "validate.js"), str(manifest_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise PackageError("the manifest does not match its schema:\n" + (result.stderr or result.stdout).strip())


def build_package(values: dict[str, str], out: Path, *, template: Path = MANIFEST_DIR / "manifest.json") -> Path:
    manifest_text = fill(template.read_text(encoding="utf-8"), values)
    manifest = json.loads(manifest_text)
    out.parent.mkdir(parents=True, exist_ok=True)
    filled = out.with_name("manifest.json")
    filled.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    translations = localization_files(manifest)
    for name in translations:  # beside the filled-in manifest, where the validator looks for them
        strings = json.loads(fill((template.parent / name).read_text(encoding="utf-8"), values))
        filled.with_name(name).write_text(json.dumps(strings, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    validate(filled)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.write(filled, "manifest.json")
        for name in translations:
            package.write(filled.with_name(name), name)
        for icon in (manifest["icons"]["color"], manifest["icons"]["outline"]):
            package.write(template.parent / icon, icon)
    return out


def localization_files(manifest: dict) -> list[str]:
    """The translation files the manifest names (e.g. fr.json), which Teams reads from the package's root."""
    languages = manifest.get("localizationInfo", {}).get("additionalLanguages", [])
    return [language["file"] for language in languages]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Teams app package for Deputy's Den.")
    parser.add_argument("--out", default=str(ROOT / "build" / "appPackage.zip"))
    args = parser.parse_args(argv)
    load_dotenv(ROOT / ".env", override=False)
    try:
        out = build_package(deployment_values(dict(os.environ)), Path(args.out))
    except PackageError as error:
        print(f"make package: {error}", file=sys.stderr)
        return 1
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
