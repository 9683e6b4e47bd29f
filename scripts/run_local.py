"""`make run`: the bot on the embedded default, and Agents Playground pointed at it.

Writes `.m365agentsplayground.yml` from the org file, starts both processes, prints the
URL to open, and stops both on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

from bot.config import ROOT, Settings
from bot.playground import playground_command, playground_env, write_playground_config

PLAYGROUND_PORT = int(os.environ.get("DEN_PLAYGROUND_PORT", "56150"))


def wait_until_healthy(url: str, process: subprocess.Popen, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("The bot stopped while starting; see the messages above.")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"The bot did not answer {url} within {seconds:.0f} s.")


def main() -> None:
    settings = Settings.from_env()
    write_playground_config(settings.org_file, ROOT / ".m365agentsplayground.yml")
    local = f"http://localhost:{settings.port}"
    bot = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT)
    processes = [bot]
    try:
        wait_until_healthy(f"{local}/healthz", bot)
        playground = subprocess.Popen(
            playground_command(ROOT, f"{local}/api/messages", PLAYGROUND_PORT),
            cwd=ROOT,
            env=playground_env(dict(os.environ)),
        )
        processes.append(playground)
        print(
            f"\n  Deputy's Den is running on {local}/api/messages (SQLite: {settings.sqlite_path})."
            f"\n  Open http://localhost:{PLAYGROUND_PORT} to chat with it as Sam Chen (staff)."
            "\n  Press Ctrl-C to stop both.\n",
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
