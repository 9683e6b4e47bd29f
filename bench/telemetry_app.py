"""The app exactly as `python app.py` runs it, with telemetry on and exported to memory (for the
telemetry benchmark: nothing leaves the process). Spans go through the batch processor as they do
when exported to Application Insights or a collector."""

from __future__ import annotations

from aiohttp import web

from app import create_app
from bot import logs
from bot.settings import Settings
from bot.telemetry.setup import in_memory


def main() -> None:
    settings = Settings.from_env()
    logs.configure(settings.log_level)
    telemetry, _spans, _metrics = in_memory(batched=True)
    web.run_app(create_app(settings, telemetry=telemetry), host=settings.host, port=settings.port, print=None)


if __name__ == "__main__":
    main()
