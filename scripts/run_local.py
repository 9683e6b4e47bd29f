"""`make run`: the bot on the embedded default, and Agents Playground pointed at it.

Writes `.m365agentsplayground.yml` from the org file (and one per approver), starts the bot
and a Playground for each person of the demo organisation, prints the URLs to open, and stops
everything on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.adapters.org_directory import OrgFileDirectory
from bot.ports.service_urls import LOCAL_SERVICE_URLS, TEAMS_SERVICE_URLS
from bot.settings import ROOT, Settings
from scripts.playground import playground_command, playground_env, write_playground_config

PLAYGROUND_PORT = int(os.environ.get("DEN_PLAYGROUND_PORT", "56150"))


def wait_until_healthy(url: str, process: subprocess.Popen, seconds: float = 120.0) -> None:
    """Until /healthz answers 200 (a cold start on a busy 2-core machine can take most of a minute);
    if it never does, say what it last answered."""
    deadline = time.monotonic() + seconds
    last_answer = "no answer (nothing was listening)"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("The bot stopped while starting; see the messages above.")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
                last_answer = describe_answer(response.status, response.read())
        except urllib.error.HTTPError as error:
            last_answer = describe_answer(error.code, error.read())
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"The bot did not become healthy within {seconds:.0f} s: {url} answered {last_answer}.")


def describe_answer(status: int, body: bytes) -> str:
    """The status and the body /healthz gave, short enough for one line of a terminal."""
    text = body.decode("utf-8", errors="replace").strip()
    if len(text) > 500:
        text = text[:500] + "..."
    return f"HTTP {status} {text}" if text else f"HTTP {status}"


def demo_env(settings: Settings) -> dict[str, str]:
    """The demo's Den organisers are the org file's "Den organisers" group, unless set otherwise."""
    env = dict(os.environ)
    if not settings.organiser_ids and not settings.organiser_group_id:
        groups = json.loads(Path(settings.org_file).read_text(encoding="utf-8")).get("groups") or []
        group = next((g for g in groups if g.get("name") == "Den organisers"), None)
        if group:
            env["DEN_ORGANISER_GROUP_ID"] = group["id"]
    return env


def stop_on(signum: int, frame: object) -> None:
    """SIGTERM (or a SIGINT that a background start left ignored) stops everything, as Ctrl-C does."""
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, stop_on)
    signal.signal(signal.SIGINT, stop_on)
    settings = Settings.from_env()
    people = [entry.person for entry in OrgFileDirectory.from_file(settings.org_file).people()]
    local = f"http://localhost:{settings.port}"
    # Locally, the DM can type `digest` to see the week so far (the Monday digest covers last week).
    os.environ.setdefault("DEN_DIGEST_ON_REQUEST", "on")
    # Agents Playground has no per-user refresh: a People's Choice card updated to list a voter for it
    # would replace that voter's "Your vote: ..." with everyone's view. Keep the click's answer on screen.
    os.environ.setdefault("DEN_VOTE_REFRESH_LIST", "off")
    # Agents Playground is the connector here: let the bot answer it on loopback (Teams' hosts stay allowed).
    os.environ.setdefault("DEN_ALLOWED_SERVICE_URLS", f"{TEAMS_SERVICE_URLS},{LOCAL_SERVICE_URLS}")
    print(f">>> Starting Deputy's Den on {local} ...", flush=True)
    bot = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=demo_env(settings))
    processes = [bot]
    try:
        wait_until_healthy(f"{local}/healthz", bot)
        print(f">>> Starting Agents Playground for the {len(people)} people of the demo organisation ...", flush=True)
        lines = []
        # One Playground per person (it shows one signed-in user): the first, staff, from the
        # project folder's .m365agentsplayground.yml; the others from var/playground/<name>/.
        for index, person in enumerate(people):
            folder = ROOT if index == 0 else ROOT / "var" / "playground" / person.id
            folder.mkdir(parents=True, exist_ok=True)
            write_playground_config(settings.org_file, folder / ".m365agentsplayground.yml", person.id)
            port = PLAYGROUND_PORT + index
            processes.append(
                subprocess.Popen(
                    playground_command(ROOT, f"{local}/api/messages", port),
                    cwd=folder,
                    env=playground_env(dict(os.environ)),
                    stdout=subprocess.DEVNULL if index else None,
                )
            )
            role = person.job_title or person.role.value
            lines.append(f"    http://localhost:{port}   {person.name} ({role})\n"
                         f"        Den tab: {local}/tab?as={person.id}")
        print(
            f"\n  Deputy's Den is running on {local}/api/messages (SQLite: {settings.sqlite_path})."
            "\n  Agents Playground, one page per person of the demo organisation, and their Den tab"
            " (authentication is off: the tab signs in as the person its address names):\n"
            + "\n".join(lines)
            + "\n  Open the approvers' pages once first (that installs the app for them), then pitch as"
            f"\n  {people[0].name} and approve from each approver's page. Press Ctrl-C to stop everything.\n",
            flush=True,
        )
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
