"""Microsoft 365 Agents Playground configuration made from the org file.

The Playground wants a current user plus exactly five other users; they are the demo
organisation's people, so you can switch to an approver and click their card.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.adapters.org_directory import OrgEntry, OrgFileDirectory

BOT_ID = "28:deputys-den-local"
BOT_NAME = "Deputy's Den"


def _user(entry: OrgEntry) -> dict[str, str]:
    person = entry.person
    return {
        "id": person.id,  # the bot creates 1:1 chats by AAD object id, as it does in Teams
        "name": person.name,
        "userPrincipleName": person.email,
        "aadObjectId": person.id,
        "givenName": entry.given_name or person.name.split()[0],
        "surname": entry.surname or person.name.split()[-1],
        "email": person.email,
    }


def playground_config(directory: OrgFileDirectory, current_user_id: str | None = None) -> dict:
    people = directory.people()
    if len(people) < 6:
        raise ValueError("Agents Playground needs a current user and five others: the org file has fewer people")
    current = next((p for p in people if p.person.id == current_user_id), people[0])
    others = [p for p in people if p is not current][:5]
    return {
        "version": "0.1.1",
        "tenantId": directory.tenant_id,
        "bot": {"id": BOT_ID, "name": BOT_NAME},
        "currentUser": _user(current),
        "users": [_user(p) for p in others],
        "personalChat": {"id": "personal-chat-id"},
        "groupChat": {"id": "group-chat-id", "name": "Deputy's Den pilot"},
        "team": {
            "id": "team-id",
            "name": "Innovation Office",
            "aadGroupId": "00000000-0000-0000-0000-0000000000aa",
            "channels": [{"id": "channel-announcements-id", "name": "Announcements"}],
        },
    }


def to_yaml(value: object, indent: int = 0) -> str:
    """A small YAML writer (scalars quoted as JSON strings, which YAML accepts)."""
    pad = "  " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                lines.append(f"{pad}{key}:\n{to_yaml(item, indent + 1)}")
            else:
                lines.append(f"{pad}{key}: {json.dumps(item)}")
        return "\n".join(lines)
    if isinstance(value, list):
        lines = []
        for item in value:
            body = to_yaml(item, indent + 1).lstrip()
            lines.append(f"{pad}- {body}")
        return "\n".join(lines)
    return f"{pad}{json.dumps(value)}"


def write_playground_config(org_file: str | Path, target: str | Path, current_user_id: str | None = None) -> Path:
    config = playground_config(OrgFileDirectory.from_file(org_file), current_user_id)
    path = Path(target)
    path.write_text(
        "# Written by Deputy's Den from the org file; edit the org file instead.\n" + to_yaml(config) + "\n"
    )
    return path


PLAYGROUND_CLI = Path("node_modules") / "@microsoft" / "m365agentsplayground" / "cli.js"


def playground_command(root: Path, bot_endpoint: str, port: int) -> list[str]:
    """Agents Playground, offline: telemetry off, pointed at the bot, as a Teams client."""
    return [
        "node",
        str(root / PLAYGROUND_CLI),
        "--app-endpoint",
        bot_endpoint,
        "--channel-id",
        "msteams",
        "--port",
        str(port),
        "--disable-telemetry",
    ]


def playground_env(base: dict[str, str]) -> dict[str, str]:
    """Without these the Playground opens a browser and calls out to telemetry endpoints."""
    return {**base, "TEAMSAPPTESTER_BROWSER": "none", "APPLICATION_INSIGHTS_NO_STATSBEAT": "1"}
