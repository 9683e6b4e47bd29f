from bot.domain.pitch import FIELD_RULES, clean_text, validate_pitch
from tests.support.people import VALID_PITCH


def test_a_valid_pitch_passes_and_is_cleaned():
    pitch, values, errors = validate_pitch({**VALID_PITCH, "title": "  Tell   us\x07 once  "})
    assert errors == {} and pitch is not None
    assert pitch.title == "Tell us once"


def test_every_rule_is_checked_on_the_server():
    data = {"title": "", "problem": "x" * 2001, "solution": ["not", "text"], "beneficiaries": "aliens"}
    pitch, values, errors = validate_pitch(data)
    assert pitch is None
    assert errors == {
        "title": "required",
        "problem": "too_long",
        "solution": "required",
        "beneficiaries": "invalid_choice",
        "program_area": "required",
        "cost_band": "required",
        "first_steps": "required",
    }
    assert values["problem"] == "x" * 2001, "what was typed comes back"


def test_people_is_optional_and_multiline_keeps_newlines():
    pitch, _, errors = validate_pitch({**VALID_PITCH, "people": "", "problem": "line 1\r\nline 2"})
    assert errors == {} and pitch.people == "" and pitch.problem == "line 1\nline 2"


def test_rules_match_the_form_fields():
    assert [r.name for r in FIELD_RULES] == [
        "title",
        "problem",
        "solution",
        "beneficiaries",
        "program_area",
        "cost_band",
        "people",
        "first_steps",
    ]
    assert clean_text(None, multiline=False) == ""


def _inputs(card: dict) -> dict[str, dict]:
    return {element["id"]: element for element in card["body"] if str(element.get("type", "")).startswith("Input.")}


def test_pasted_text_is_never_cut_silently_the_limit_is_said_and_checked_on_the_server():
    """Issue #14: a card `maxLength` made Teams cut pasted text without a word."""
    from bot.i18n import Messages
    from cards.pitch_form import pitch_form_card

    m = Messages("en-CA")
    inputs = _inputs(pitch_form_card(m, form_id="f"))
    assert all("maxLength" not in element for element in inputs.values())
    assert inputs["problem"]["label"] == "What problem does it solve? (up to 2,000 characters)"

    pasted = "x" * 2300
    _, values, errors = validate_pitch({**VALID_PITCH, "problem": pasted})
    card = pitch_form_card(m, form_id="f", values=values, errors=errors)
    problem = _inputs(card)["problem"]
    assert problem["value"] == pasted, "everything pasted is kept for the person to trim"
    message = "keep it to 2,000 characters (you have 2,300)"
    assert message in problem["errorMessage"]
    following = card["body"][card["body"].index(problem) + 1]
    assert message in following["text"], "the server's message sits right under its field"


def test_a_drop_down_left_empty_asks_to_choose_not_to_fill_in():
    """Issue #14: "Please fill in" for drop-downs."""
    from bot.i18n import Messages
    from cards.pitch_form import pitch_form_card

    _, values, errors = validate_pitch({**VALID_PITCH, "cost_band": ""})
    card = pitch_form_card(Messages("en-CA"), form_id="f", values=values, errors=errors)
    cost = _inputs(card)["cost_band"]
    assert cost["errorMessage"] == 'Please choose one of the options for "Rough cost".'
    assert "fill in" not in cost["errorMessage"]


def test_plural_rules_come_from_the_locale():
    """No "(s)": 1 business day, 2 business days; French says 1 jour ouvrable, 1,5 jour ouvrable."""
    from bot.i18n import Messages
    from cards.common import business_days

    assert [business_days(Messages("en-CA"), n) for n in (0, 1, 2)] == [
        "less than a business day", "1 business day", "2 business days"
    ]
    french = Messages("fr-CA")
    assert [business_days(french, n) for n in (1, 1.5, 2)] == [
        "1 jour ouvrable", "1,5 jour ouvrable", "2 jours ouvrables"
    ]
