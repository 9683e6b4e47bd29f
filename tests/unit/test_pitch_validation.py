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
