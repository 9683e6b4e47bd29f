"""The use cases wired by hand on the in-memory store: no HTTP, no Bot Framework, a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.adapters.availability import OrgFileAvailability
from bot.adapters.org_directory import OrgFileDirectory
from bot.adapters.organisers import OrganiserRoster
from bot.adapters.routing_file import load_routing_file
from bot.domain.calendar import WorkCalendar
from bot.domain.digest import DigestRules
from bot.ports import DeliveryFailed, SpooledPitch
from bot.ports.retry import Backoff
from bot.services.approvals import ApprovalService
from bot.services.assignment import StepAssigner
from bot.services.challenge import ChallengeService
from bot.services.digest import DigestService
from bot.services.ideas import IdeaService
from bot.services.nudges import Nudger
from bot.services.outbox import OutboxDispatcher
from bot.services.pitch_day import PitchDayService
from dialogs.approvals import ApprovalFlows
from dialogs.digest import digest_renderer
from dialogs.main import MainDialog
from dialogs.notifications import NotificationRenderer
from tests.support.memory_store import MemoryStore
from tests.support.running_app import DEMO_ORG, ROUTING_FILE, FakeClock

MONDAY = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # 09:00 in Toronto
ORGANISERS = "0d3e9a51-6b2c-4f7e-8a19-3c5d7e9f1b08"  # the demo org's "Den organisers" group


@dataclass
class RecordingChannel:
    """Records each card it is asked to deliver; `failures` are raised first, one per send."""

    sent: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    failures: list[DeliveryFailed] = field(default_factory=list)

    async def send_card(self, recipient_id: str, card: dict[str, Any], *, summary: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((recipient_id, card, summary))

    def to(self, recipient_id: str) -> list[tuple[dict[str, Any], str]]:
        return [(card, summary) for who, card, summary in self.sent if who == recipient_id]


class MemorySpool:
    def __init__(self) -> None:
        self.pitches: dict[str, SpooledPitch] = {}

    async def put(self, pitch: SpooledPitch) -> None:
        self.pitches[pitch.form_id] = pitch

    async def waiting(self) -> list[SpooledPitch]:
        return list(self.pitches.values())

    async def remove(self, form_id: str) -> None:
        self.pitches.pop(form_id, None)


@dataclass
class UseCases:
    clock: FakeClock
    store: MemoryStore
    channel: RecordingChannel
    spool: MemorySpool
    ideas: IdeaService
    dispatcher: OutboxDispatcher
    nudger: Nudger
    digests: DigestService
    dialog: MainDialog
    approvals: ApprovalService

    async def deliver(self) -> int:
        """Run the outbox until nothing is due now."""
        total = 0
        while attempted := await self.dispatcher.drain_once():
            total += attempted
        return total


@pytest.fixture
def den() -> UseCases:
    clock = FakeClock(MONDAY)
    store, channel, spool = MemoryStore(), RecordingChannel(), MemorySpool()
    directory = OrgFileDirectory.from_file(DEMO_ORG)
    calendar = WorkCalendar.of("America/Toronto")
    dispatcher = OutboxDispatcher(
        store, channel, renderer := NotificationRenderer(store), clock=clock, backoff=Backoff(first=2.0), max_attempts=3
    )
    routes = load_routing_file(ROUTING_FILE)
    assigner = StepAssigner(store, OrgFileAvailability(directory, calendar.tz), directory)
    ideas = IdeaService(
        store, directory, clock=clock, spool=spool, on_outbox=dispatcher.kick, routes=routes, assigner=assigner
    )
    approvals = ApprovalService(
        store, directory, assigner, clock=clock, calendar=calendar, routes=routes, on_outbox=dispatcher.kick
    )
    renderer.before_request = approvals.settle_before_delivery
    nudger = Nudger(store, clock=clock, calendar=calendar, on_outbox=dispatcher.kick, escalate=approvals.daily_pass)
    rules = DigestRules()
    digests = DigestService(
        store,
        directory,
        channel,
        nudger,
        digest_renderer(report_url="", stall_days=rules.stall_after_business_days),
        clock=clock,
        calendar=calendar,
        rules=rules,
        retry_base_seconds=0.01,
    )
    challenges = ChallengeService(
        store, directory, OrganiserRoster((), ORGANISERS, directory), clock=clock, tz=calendar.tz
    )
    pitch_day = PitchDayService(store, directory, OrganiserRoster(), clock=clock, tz=calendar.tz)
    dialog = MainDialog(ideas, clock, digests, ApprovalFlows(approvals, clock, calendar), challenges=challenges,
                        pitch_day=pitch_day)
    return UseCases(clock, store, channel, spool, ideas, dispatcher, nudger, digests, dialog, approvals)
