"""Out of office from Outlook's automatic replies, read through the real msgraph-sdk over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.adapters.availability import GraphAvailability, OrgFileAvailability
from bot.adapters.org_directory import OrgFileDirectory
from tests.support.graph_fixtures import graph_client
from tests.support.running_app import DEMO_ORG

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


async def test_automatic_replies_decide_who_is_away(fake_graph):
    for user in ("always", "scheduled", "over", "off", "nomailbox", "eastern"):
        fake_graph.add_user(user, user.title())
    fake_graph.set_automatic_replies("always", {"status": "alwaysEnabled", "externalAudience": "None"})
    fake_graph.set_automatic_replies(
        "scheduled",
        {
            "status": "Scheduled",  # the documentation's samples use both casings
            "scheduledStartDateTime": {"dateTime": "2026-11-20T08:00:00.0000000", "timeZone": "UTC"},
            "scheduledEndDateTime": {"dateTime": "2026-12-04T17:00:00.0000000", "timeZone": "UTC"},
        },
    )
    fake_graph.set_automatic_replies(
        "over",
        {
            "status": "scheduled",
            "scheduledStartDateTime": {"dateTime": "2026-11-01T08:00:00.0000000", "timeZone": "UTC"},
            "scheduledEndDateTime": {"dateTime": "2026-11-20T17:00:00.0000000", "timeZone": "UTC"},
        },
    )
    fake_graph.set_automatic_replies(
        "off",  # a schedule left behind while switched off does not count
        {
            "status": "disabled",
            "scheduledStartDateTime": {"dateTime": "2026-11-20T08:00:00.0000000", "timeZone": "UTC"},
            "scheduledEndDateTime": {"dateTime": "2026-12-04T17:00:00.0000000", "timeZone": "UTC"},
        },
    )
    fake_graph.set_automatic_replies(
        "eastern",  # 10:00 in Toronto is 15:00 UTC: the schedule starts exactly now
        {
            "status": "scheduled",
            "scheduledStartDateTime": {"dateTime": "2026-11-26T10:00:00.0000000", "timeZone": "Eastern Standard Time"},
            "scheduledEndDateTime": {"dateTime": "2026-11-27T10:00:00.0000000", "timeZone": "Eastern Standard Time"},
        },
    )
    fake_graph.set_automatic_replies("nomailbox", None)
    availability = GraphAvailability(graph_client(fake_graph))
    assert await availability.absence("always", NOW) is not None
    scheduled = await availability.absence("scheduled", NOW)
    assert scheduled is not None and scheduled.until == datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
    assert await availability.absence("over", NOW) is None
    assert await availability.absence("off", NOW) is None
    assert await availability.absence("eastern", NOW) is not None
    assert await availability.absence("nomailbox", NOW) is None  # unreadable: present, not blocking
    before = fake_graph.count("GET", "automaticRepliesSetting")
    assert await availability.absence("always", NOW) is not None
    assert fake_graph.count("GET", "automaticRepliesSetting") == before, "answers are cached"
    assert fake_graph.count("GET", "/users/always/mailboxSettings/automaticRepliesSetting") == 1


async def test_the_demo_org_marks_who_is_away():
    directory = OrgFileDirectory.from_file(DEMO_ORG)
    availability = OrgFileAvailability(directory, ZoneInfo("America/Toronto"))
    olivia = next(e.person for e in directory.people() if e.person.name == "Olivia Grant")
    maya = next(e.person for e in directory.people() if e.person.name == "Maya Singh")
    assert await availability.absence(olivia.id, NOW) is not None
    assert await availability.absence(maya.id, NOW) is None
