"""Routing rules: the file, checked line by line, and the route each kind of rule makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.routing_file import RoutingFileError, load_routing_file, parse_routing
from bot.domain.model import Role
from bot.domain.pitch import Pitch
from bot.domain.routing import EscalationAction, RoutingRules
from tests.support.cast import AMIR, DANA, DIANE, LINE, MAYA, SAM

ROOT = Path(__file__).resolve().parents[2]

RULES = """
escalation:
  after_business_days: 8
  action: move_on
second_look: false
default:
  decide: [manager, director, adm]
  why: Everything else goes all the way up.
rules:
  - name: small
    cost_band: [under_10k, 10k_50k]
    decide: [manager, director]
    inform: [adm]
    why:
      en: Under $50,000 the director is enough.
      fr: Sous 50 000 $, le directeur suffit.
  - name: digital-big
    cost_band: over_250k
    program_area: digital_it
    decide: [director, adm]
    inform: [manager, dm]
  - name: policy
    program_area: [policy]
    decide: [manager]
"""


def pitch(cost_band: str = "unknown", program_area: str = "client_services") -> Pitch:
    return Pitch("t", "p", "s", "clients", program_area, cost_band, "f")


def ids(steps) -> list[str]:
    return [getattr(s, "approver_id", None) or s.person_id for s in steps]


@pytest.fixture
def rules() -> RoutingRules:
    return parse_routing(RULES)


def test_the_shipped_file_is_valid_and_small_ideas_inform_the_adm():
    rules = load_routing_file(ROOT / "data" / "routing.yml")
    route = rules.route(SAM, LINE, pitch("10k_50k"))
    assert ids(route.deciders) == ["maya", "diane"]
    assert ids(route.informed) == ["amir"] and route.informed[0].after_step == 2
    assert route.rule == "small-ideas" and "$50,000" in route.why["en"] and "50\u00a0000\u00a0$" in route.why["fr"]
    assert ids(rules.route(SAM, LINE, pitch("50k_250k")).deciders) == ["maya", "diane", "amir"]


def test_a_cost_band_rule_keeps_the_decision_low_and_informs_above(rules):
    route = rules.route(SAM, LINE, pitch("under_10k"))
    assert (route.rule, ids(route.deciders), ids(route.informed)) == ("small", ["maya", "diane"], ["amir"])
    assert route.why == {"en": "Under $50,000 the director is enough.", "fr": "Sous 50 000 $, le directeur suffit."}


def test_a_rule_on_both_cost_and_area_needs_both_to_match(rules):
    both = rules.route(SAM, LINE, pitch("over_250k", "digital_it"))
    assert both.rule == "digital-big"
    assert ids(both.deciders) == ["diane", "amir"]
    # The manager below the first decider is informed at once; the DM once the ADM approves.
    assert [(i.person_id, i.after_step) for i in both.informed] == [("maya", 0), ("dana", 2)]
    assert rules.route(SAM, LINE, pitch("over_250k", "policy")).rule == "policy"
    assert rules.route(SAM, LINE, pitch("over_250k", "client_services")).rule == "default"


def test_a_program_area_rule_and_the_first_match_wins(rules):
    route = rules.route(SAM, LINE, pitch("under_10k", "policy"))
    assert route.rule == "small"  # listed first
    route = rules.route(SAM, LINE, pitch("50k_250k", "policy"))
    assert (route.rule, ids(route.deciders), route.informed) == ("policy", ["maya"], [])


def test_the_default_applies_when_nothing_matches(rules):
    route = rules.route(SAM, LINE, pitch("unknown"))
    assert (route.rule, ids(route.deciders), route.informed) == ("default", ["maya", "diane", "amir"], [])
    assert route.why == {"en": "Everything else goes all the way up."}


def test_vacant_posts_and_repeats_are_skipped(rules):
    route = rules.route(SAM, [None, MAYA, MAYA, DIANE, AMIR], pitch("under_10k"))
    assert ids(route.deciders) == ["maya", "diane"]


def test_someone_above_always_decides_even_when_no_deciding_level_is(rules):
    """A director pitching a small idea: the rule's deciders are all below them."""
    route = rules.route(DIANE, [AMIR, DANA], pitch("under_10k"))
    assert ids(route.deciders) == ["amir"] and route.nearest_manager_decides
    assert route.informed == []
    # A DM has nobody above: no chain at all (the idea is approved as filed).
    assert rules.route(DANA, [], pitch("under_10k")).deciders == []


def test_escalation_and_second_look_settings(rules):
    assert rules.escalation.after_business_days == 8
    assert rules.escalation.action == EscalationAction.MOVE_ON
    assert rules.second_look is False
    shipped = load_routing_file(ROOT / "data" / "routing.yml")
    assert shipped.escalation.action == EscalationAction.MANAGER and shipped.second_look is True


def test_without_a_file_every_level_up_to_the_top_decides():
    rules = RoutingRules.every_level_up_to(Role.DIRECTOR)
    assert ids(rules.route(SAM, LINE, pitch("under_10k")).deciders) == ["maya", "diane"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("default:\n  decide: [manager, drector]\n", 2, "'drector' is not a level"),
        (
            "default:\n  decide: [manager]\nrules:\n  - name: a\n    cost_band: cheap\n    decide: [manager]\n",
            5,
            "'cheap' is not a cost band",
        ),
        (
            "default:\n  decide: [manager]\nrules:\n  - name: a\n    program_area: [space]\n    decide: [adm]\n",
            5,
            "'space' is not a program area",
        ),
        ("default:\n  decide: [manager]\n  inform: [manager]\n", 3, "cannot both decide and be informed"),
        ("default:\n  decide: [manager]\nrules:\n  - cost_band: over_250k\n    decide: [adm]\n", 4, "needs a 'name'"),
        ("default:\n  decide: [manager]\nrules:\n  - name: a\n    decide: [adm]\n", 4, "matches every idea"),
        ("default:\n  decide: []\n", 2, "at least one level"),
        ("default:\n  inform: [adm]\n", 2, "must say which levels decide"),
        ("rules: []\n", 1, "needs a 'default' route"),
        ("default:\n  decide: [manager]\nsecond_look: maybe\n", 3, "true or false"),
        ("default:\n  decide: [manager]\nescalation:\n  after_business_days: 0\n", 4, "from 1 to 60"),
        ("default:\n  decide: [manager]\nescalation:\n  action: ignore\n", 4, "not a known escalation action"),
        ("default:\n  decide: [manager]\nrouting: {}\n", 3, "'routing' is not a setting"),
        ("default:\n  decide: [manager]\n  decide: [adm]\n", 3, "appears twice"),
        ("default:\n  decide: [manager\n", 3, "not valid YAML"),
        (
            "default:\n  decide: [manager]\nrules:\n  - name: a\n    cost_band: over_250k\n    decide: [adm]\n"
            "  - name: a\n    cost_band: unknown\n    decide: [adm]\n",
            7,
            "two rules are named 'a'",
        ),
    ],
)
def test_a_bad_file_names_the_line(text, line, words):
    with pytest.raises(RoutingFileError) as caught:
        parse_routing(text, source="routing.yml")
    assert caught.value.line == line, str(caught.value)
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"routing.yml, line {line}: ")


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(RoutingFileError, match="cannot be read"):
        load_routing_file(tmp_path / "nope.yml")


def test_a_bad_rules_file_stops_start_up_naming_the_line(tmp_path):
    from bot.bootstrap import load_routes
    from bot.settings import Settings

    bad = tmp_path / "routing.yml"
    bad.write_text("default:\n  decide: [manager]\nrules:\n  - name: x\n    cost_band: huge\n    decide: [adm]\n")
    with pytest.raises(SystemExit) as stopped:
        load_routes(Settings(routing_file=str(bad)))
    assert "routing.yml, line 5: 'huge' is not a cost band" in str(stopped.value)

    early = tmp_path / "early.yml"
    early.write_text("default:\n  decide: [manager]\nescalation:\n  after_business_days: 2\n")
    with pytest.raises(SystemExit, match="escalation must come after the reminders"):
        load_routes(Settings(routing_file=str(early), remind_after_business_days=3))
    off = load_routes(Settings(routing_file="off", chain_top_role="director"))
    assert off.source == "built-in" and off.default.decide == (Role.MANAGER, Role.DIRECTOR)


async def test_the_admin_command_checks_a_file_and_names_the_line(tmp_path, capsys):
    import argparse

    from bot.admin.routing import run
    from bot.settings import Settings

    out: list[str] = []
    args = argparse.Namespace(check=str(ROOT / "data" / "routing.yml"), upload=None, show=False, by=None)
    assert await run(args, Settings(), out=out.append) == 0
    assert out[0] == "small-ideas: cost band 10k_50k or under_10k -> decide: manager, director; informed: adm"
    assert out[-2:] == ["escalation: after 10 business days, manager", "second look: on"]
    bad = tmp_path / "routing.yml"
    bad.write_text("default:\n  decide: [manager]\n  why: [1\n")
    args = argparse.Namespace(check=str(bad), upload=None, show=False, by=None)
    assert await run(args, Settings(), out=out.append) == 1
    assert "routing.yml, line 4: is not valid YAML" in capsys.readouterr().err
