"""The use cases on the application's own assembly (`bot.bootstrap.assemble`), as cosmicpython's
`bootstrap_test_app`: the in-memory store, a channel that records what it is given, a clock the
test moves. No HTTP, no Bot Framework; every service is wired exactly as the app wires it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.availability import OrgFileAvailability
from bot.adapters.org_directory import OrgFileDirectory
from bot.adapters.spool import SubmissionSpool
from bot.bootstrap import Adapters, Den, assemble
from bot.ports import DeliveryFailed
from bot.settings import Settings
from tests.support.memory_store import MemoryStore
from tests.support.running_app import DEMO_ORG, ROUTING_FILE, FakeClock

MONDAY = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # 09:00 in Toronto
ORGANISERS = "0d3e9a51-6b2c-4f7e-8a19-3c5d7e9f1b08"  # the demo org's "Den organisers" group


@dataclass
class RecordingChannel:
    """Records each card it is asked to deliver, post or update; `failures` are raised first, one per send."""

    sent: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    failures: list[DeliveryFailed] = field(default_factory=list)
    updated: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    async def send_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((recipient_id, card, summary))
        return f"activity-{len(self.sent)}"

    async def post_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> str:
        return await self.send_card(recipient_id, card, summary=summary)

    async def update_card(self, recipient_id: str, message_id: str, card: dict[str, Any], *, summary: str) -> None:
        self.updated.append((recipient_id, message_id, card))

    def to(self, recipient_id: str) -> list[tuple[dict[str, Any], str]]:
        return [(card, summary) for who, card, summary in self.sent if who == recipient_id]


@dataclass
class UseCases:
    """The assembled Den, with the test's own adapters at hand."""

    app: Den
    clock: FakeClock
    store: MemoryStore
    channel: RecordingChannel
    spool: SubmissionSpool

    def __getattr__(self, name: str) -> Any:  # den.ideas, den.dialog, den.approvals...: the app's own
        return getattr(self.app, name)

    async def deliver(self) -> int:
        """Run the outbox until nothing is due now."""
        total = 0
        while attempted := await self.app.dispatcher.drain_once():
            total += attempted
        return total


def use_case_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        org_file=str(DEMO_ORG), routing_file=str(ROUTING_FILE), organiser_group_id=ORGANISERS, notify_max_attempts=3
    )
    return Settings(**{**values, **overrides})


def adapters_for_test(settings: Settings, clock: FakeClock, store: MemoryStore, channel: RecordingChannel,
                  spool: SubmissionSpool) -> Adapters:  # fmt: skip
    directory = OrgFileDirectory.from_file(settings.org_file)
    availability = OrgFileAvailability(directory, ZoneInfo(settings.timezone))
    return Adapters(store=store, directory=directory, availability=availability, channel=channel, clock=clock,
                    spool=spool)  # fmt: skip


@pytest.fixture
async def den(tmp_path) -> UseCases:
    settings = use_case_settings()
    clock, store, channel = FakeClock(MONDAY), MemoryStore(), RecordingChannel()
    spool = SubmissionSpool(str(tmp_path / "spool.sqlite3"))
    app = assemble(settings, adapters_for_test(settings, clock, store, channel, spool))
    await app.open()
    await app.budget.beat()  # the first heartbeat, as at start-up: this instance's share of the Teams budget
    return UseCases(app, clock, store, channel, spool)
