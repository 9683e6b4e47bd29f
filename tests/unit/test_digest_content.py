"""Digest content from seeded ideas, for a fixed clock."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.calendar import DigestWeek, WorkCalendar, parse_holidays
from bot.domain.digest import DigestAccumulator, DigestRules, build_digest, scope_by_dm
from bot.domain.model import Idea, Outcome, Person, Role
from bot.domain.pitch import Pitch
from bot.i18n import Messages
from cards.digest import digest_card
from tests.support.cast import AMIR, DANA, DIANE, LINE, MAYA
from tests.support.chains import build_chain
from tests.support.people import VALID_PITCH

TZ = ZoneInfo("America/Toronto")
RUN = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)  # Monday 08:00
WEEK = DigestWeek.ending_at(RUN, TZ)
CAL = WorkCalendar.of()
OTHER_DM = Person("olga", "Olga Other", Role.DM)


def staff(n: int, branch: str = "Client Services Branch") -> Person:
    return Person(f"s{n}", f"Staff {n}", Role.STAFF, branch=branch)


def idea(n: int, created: datetime, submitter: Person | None = None, line=LINE, area="client_services") -> Idea:
    submitter = submitter or staff(n)
    made, _ = Idea.submit(
        idea_id=f"i{n}",
        reference=f"DEN-2026-{n:04d}",
        submitter=submitter,
        pitch=Pitch(**{**VALID_PITCH, "title": f"Idea {n}", "program_area": area}),
        chain=build_chain(submitter, line),
        now=created,
        line_ids=[p.id for p in line],
    )
    return made


def decide(item: Idea, outcome: Outcome, when: datetime, comment: str = "") -> None:
    item.decide(
        actor_id=item.chain[item.current_step].approver_id,
        step_index=item.current_step,
        revision=item.revision,
        outcome=outcome,
        comment=comment or "because",
        now=when,
    )


def seeded() -> list[Idea]:
    old = RUN - timedelta(days=30)
    a = idea(1, old)  # approved all the way last week
    decide(a, Outcome.APPROVED, old + timedelta(days=1))  # manager: 1 day
    decide(a, Outcome.APPROVED, old + timedelta(days=5))  # director: 4 days
    decide(a, Outcome.APPROVED, RUN - timedelta(days=3))  # ADM, this week
    b = idea(2, RUN - timedelta(days=2))  # new this week, waiting with the manager
    c = idea(3, RUN - timedelta(days=20), staff(3, "Service Design Branch"), area="digital_it")  # stalled
    decide(c, Outcome.APPROVED, RUN - timedelta(days=19))
    d = idea(4, RUN - timedelta(days=4))
    decide(d, Outcome.REJECTED, RUN - timedelta(days=1))  # rejected this week
    e = idea(5, RUN - timedelta(days=3), line=[MAYA, DIANE, AMIR, OTHER_DM])  # another DM's ministry
    return [a, b, c, d, e]


def digest_for_dana(ideas=None):
    ideas = seeded() if ideas is None else ideas
    grouped = scope_by_dm([DANA, OTHER_DM], ideas)
    return build_digest(DANA, grouped.get("dana", []), week=WEEK, now=RUN, calendar=CAL, rules=DigestRules())


def test_scope_is_the_dms_own_organisation():
    grouped = scope_by_dm([DANA, OTHER_DM], seeded())
    assert sorted(i.id for i in grouped["dana"]) == ["i1", "i2", "i3", "i4"]
    assert [i.id for i in grouped["olga"]] == ["i5"]


def test_counts_for_the_week_and_so_far():
    digest = digest_for_dana()
    assert (digest.this_week.new_pitches, digest.so_far.new_pitches) == (2, 4)
    assert (digest.this_week.approved, digest.this_week.rejected, digest.this_week.returned) == (1, 1, 0)
    assert (digest.this_week.approved_for_den, digest.so_far.approved_for_den) == (1, 1)
    assert digest.so_far.approved == 4 and digest.so_far.staff_pitched == 4


def test_recent_pitches_newest_first_and_approved_ideas():
    digest = digest_for_dana()
    assert [line.reference for line in digest.recent_pitches] == ["DEN-2026-0002", "DEN-2026-0004"]
    assert [line.idea_id for line in digest.approved] == ["i1"]


def test_pending_oldest_first_with_holder_and_business_days_and_stalled():
    digest = digest_for_dana()
    assert [(p.idea_id, p.holder_name, p.waiting_days) for p in digest.stalled] == [
        ("i3", "Diane Tremblay", 13),  # waiting since Wed 4 Nov: 13 business days by Mon 23 Nov
    ]
    assert [(p.idea_id, p.holder_name, p.waiting_days) for p in digest.pending] == [
        ("i2", "Maya Singh", 1),  # since Sat 21 Nov: Monday counts
    ]
    assert digest.stalled_total == 1 and digest.pending_total == 1


def test_a_stalled_idea_is_listed_once_not_also_under_waiting():
    """Issue #14: the digest listed stalled items twice (under Stalled and again under Waiting)."""
    shown = json.dumps(digest_card(Messages("en"), digest_for_dana()))
    assert shown.count("DEN-2026-0003: Idea 3.") == 1


def test_median_days_per_level_and_the_slowest():
    digest = digest_for_dana()
    by_role = {t.role: (t.median_days, t.decisions) for t in digest.timings}
    assert by_role[Role.MANAGER] == (1.0, 3)  # i1 1 day, i3 1 day, i4 3 days -> median 1
    assert by_role[Role.DIRECTOR] == (4.0, 1)
    assert by_role[Role.ADM] == (16, 1)  # 22 calendar days are 16 business days: one unit everywhere
    assert digest.slowest.role == Role.ADM


def test_participation_by_branch_and_area():
    digest = digest_for_dana()
    assert dict(digest.participation_by_branch) == {"Client Services Branch": 3, "Service Design Branch": 1}
    assert dict(digest.participation_by_area) == {"client_services": 3, "digital_it": 1}


def test_an_empty_week_says_so_in_one_line():
    digest = digest_for_dana([])
    assert digest.quiet_week
    card = digest_card(Messages("en"), digest)
    assert "A quiet week" in json.dumps(card)
    assert "Waiting for a decision" not in json.dumps(card)


def test_500_pending_items_are_summarised_under_the_teams_size_limit():
    start = datetime.combine(date(2026, 10, 1), time(9), tzinfo=TZ)
    many = [idea(100 + n, start + timedelta(minutes=n)) for n in range(500)]
    digest = digest_for_dana(many)
    card = digest_card(Messages("en"), digest)
    size = len(json.dumps(card).encode())
    assert size < 28 * 1024, size
    text = json.dumps(card)
    assert "Stalled: waiting more than 5 business days (500)" in text  # pitched in October: all stalled
    assert "...and 490 more." in text
    assert len(digest.stalled) == 10 and digest.stalled[0].idea_id == "i100"


def test_the_scope_can_be_the_whole_ministry():
    grouped = scope_by_dm([DANA, OTHER_DM], seeded(), whole_ministry=True)
    assert len(grouped["dana"]) == len(grouped["olga"]) == 5


def test_the_digests_quick_business_day_count_agrees_with_the_calendar():
    rng = random.Random(7)
    for zone in ("America/Toronto", "America/St_Johns", "America/Vancouver"):
        calendar = WorkCalendar.of(zone, parse_holidays("2026-10-12, 2026-11-11, 2026-12-25, 2026-12-26"))
        now = datetime(2026, 12, 30, 12, 0, tzinfo=ZoneInfo("UTC"))
        quick = DigestAccumulator(
            week=DigestWeek.ending_at(now, calendar.tz), now=now, calendar=calendar, rules=DigestRules()
        )
        for _ in range(2000):
            start = datetime(2026, 9, 1, tzinfo=ZoneInfo("UTC")) + timedelta(minutes=rng.randrange(0, 170_000))
            end = start + timedelta(minutes=rng.randrange(0, 40_000))
            assert quick._business_days(start, end) == calendar.business_days_between(start, end), (zone, start, end)


def test_no_slowest_level_is_named_when_every_level_decided_within_a_business_day():
    """A walk found "Slowest level: Manager (less than a business day)": no level was slow."""
    quick = idea(1, RUN - timedelta(days=3))
    decide(quick, Outcome.APPROVED, RUN - timedelta(days=3, hours=-2))  # the manager, two hours later
    digest = digest_for_dana([quick])
    assert [t.role for t in digest.timings] == [Role.MANAGER] and digest.timings[0].median_days < 1
    assert digest.slowest is None
    for language in ("en", "fr"):
        m = Messages(language)
        slowest = m.t("digest.slowest", role="@", duration="@").split("@")[0]
        shown = json.dumps(digest_card(m, digest), ensure_ascii=False)
        assert m.t("level.step.manager") in shown and slowest not in shown
    assert digest_for_dana().slowest.role == Role.ADM, "a level that took days is still named"
