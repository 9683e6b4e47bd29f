"""Settings: declared once, read from the environment, and a bad value stops start-up naming the variable."""

from __future__ import annotations

from datetime import date

import pytest

from bot.settings import OPERATOR_SETTINGS, ROOT, BadSetting, Settings


def test_nothing_set_gives_the_defaults():
    assert Settings.from_env({}) == Settings()
    assert Settings.from_env({"DEN_STORE": "  ", "PORT": ""}) == Settings()  # blank counts as unset


def test_values_are_typed_and_normalised():
    settings = Settings.from_env(
        {
            "DEN_STORE": "SharePoint",
            "PORT": "8080",
            "DEN_NOTIFY_RETRY_BASE_SECONDS": "0.5",
            "DEN_DIGEST_SCHEDULE": "off",
            "DEN_GRAPH_MANAGED_IDENTITY": "yes",
            "DEN_LOG_LEVEL": "debug",
            "DEN_DIGEST_WEEKDAY": "Friday",
        }
    )
    assert settings.store == "sharepoint" and settings.port == 8080 and settings.notify_retry_base_seconds == 0.5
    assert settings.digest_schedule is False and settings.graph_managed_identity is True
    assert settings.log_level == "DEBUG" and settings.digest_weekday == "friday"


def test_lists_are_parsed_once_into_their_type():
    """Ids and dates arrive typed: nobody downstream splits text again (spaces and blanks dropped)."""
    settings = Settings.from_env(
        {"DEN_ORGANISER_IDS": " olga , amir,,", "DEN_DM_IDS": "dana", "DEN_HOLIDAYS": "2026-12-25, 2026-12-28,"}
    )
    assert settings.organiser_ids == frozenset({"olga", "amir"}) and settings.dm_ids == frozenset({"dana"})
    assert settings.holidays == (date(2026, 12, 25), date(2026, 12, 28))
    assert Settings().organiser_ids == frozenset() and Settings().holidays == ()
    with pytest.raises(TypeError, match="organiser_ids"):  # text where a set belongs would match substrings
        Settings(organiser_ids="olga,amir")


def test_port_prefers_the_hosts_variable_and_graph_falls_back_to_the_bot_app():
    assert Settings.from_env({"PORT": "80", "DEN_PORT": "81"}).port == 80
    assert Settings.from_env({"DEN_PORT": "81"}).port == 81
    assert Settings.from_env({"MicrosoftAppId": "app"}).graph_client_id == "app"
    assert Settings.from_env({"MicrosoftAppId": "app", "DEN_GRAPH_CLIENT_ID": "graph"}).graph_client_id == "graph"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEN_PORT", "eighty"),
        ("DEN_STORE", "mongodb"),
        ("DEN_DIGEST_TIME", "25:00"),
        ("DEN_NUDGE_TIME", "9h30"),
        ("DEN_TIMEZONE", "Mars/Olympus_Mons"),
        ("DEN_DIGEST_SCHEDULE", "maybe"),
        ("DEN_HOLIDAYS", "2026-12-25, Christmas"),
        ("DEN_CHALLENGE_START", "September"),
        ("DEN_CHAIN_TOP_ROLE", "boss"),
        ("DEN_NOTIFY_MAX_ATTEMPTS", "0"),
        ("DEN_DIGEST_SCOPE", "everyone"),
        ("MicrosoftAppType", "Personal"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable, value):
    with pytest.raises(BadSetting) as stopped:
        Settings.from_env({variable: value})
    assert variable in str(stopped.value) and isinstance(stopped.value, SystemExit)


def test_operator_settings_are_in_the_readme_and_tuning_knobs_in_the_reference():
    """An operator reads one short table; the knobs with good defaults wait in docs/settings-reference.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    operators_table = readme[readme.index("## Settings an operator sets") :].split("\n## ")[0]
    reference = (ROOT / "docs" / "settings-reference.md").read_text(encoding="utf-8")
    variables = Settings.variables()
    assert OPERATOR_SETTINGS <= set(variables), "every operator setting is a real setting"
    misplaced = [
        names[0]
        for name, names in variables.items()
        if f"`{names[0]}`" not in (operators_table if name in OPERATOR_SETTINGS else reference)
    ]
    assert misplaced == []
    tuning_in_readme = [names[0] for name, names in variables.items()
                        if name not in OPERATOR_SETTINGS and f"| `{names[0]}`" in operators_table]
    assert tuning_in_readme == []
