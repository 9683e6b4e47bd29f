"""The pitch form: new or revised, empty or with what the person typed and what to fix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.notice import CollectionNotice
from bot.domain.pitch import FIELD_RULES, FieldRule
from bot.formatting import format_number
from bot.i18n import Messages
from cards import verbs
from cards.common import attention, card, execute, field_error, heading, subtle
from cards.safe_text import plain


def error_message(m: Messages, rule: FieldRule, code: str, value: str) -> str:
    if code == "required" and rule.choices:
        code = "required_choice"  # "please choose", not "please fill in", for a drop-down
    return m.t(
        f"error.{code}",
        label=m.t(f"field.{rule.name}"),
        max=format_number(rule.max_length, m.locale),
        length=format_number(len(value), m.locale),
    )


def _label(m: Messages, rule: FieldRule) -> str:
    # No "*" here: Teams marks `isRequired` inputs itself (a second one showed as "* *").
    label = m.t(f"field.{rule.name}")
    if rule.max_length:
        # Said in the label (what a screen reader announces) because the card sets no maxLength:
        # Teams would cut pasted text silently; the server says how much to trim instead.
        return m.t("form.limit", label=label, max=format_number(rule.max_length, m.locale))
    return label


def _input(m: Messages, rule: FieldRule, value: str, error: str | None) -> list[dict[str, Any]]:
    label = _label(m, rule)
    required_message = error_message(m, rule, "required", "")
    if rule.choices:
        element: dict[str, Any] = {
            "type": "Input.ChoiceSet",
            "id": rule.name,
            "label": label,
            "style": "expanded" if len(rule.choices) <= 3 else "compact",
            "choices": [{"title": m.t(f"choice.{rule.name}.{c}"), "value": c} for c in rule.choices],
        }
    else:
        element = {"type": "Input.Text", "id": rule.name, "label": label}
        if rule.multiline:
            element["isMultiline"] = True
        placeholder_key = f"field.{rule.name}.placeholder"
        if m.has(placeholder_key):
            element["placeholder"] = m.t(placeholder_key)
    if rule.required:
        element["isRequired"] = True
        element["errorMessage"] = required_message
    if value:
        element["value"] = value
    items = [element]
    if error:
        element["errorMessage"] = error
        items.append(field_error(error))
    return items


def notice_of_collection(m: Messages, collection: CollectionNotice | None) -> str:
    """The notice under the form: the ministry's own (authority, purpose, contact) once it is set."""
    parts = collection.in_language(m.language) if collection is not None else {}
    if not all(parts.get(key) for key in ("authority", "purpose", "contact")):
        return m.t("form.notice_of_collection")
    return m.t("form.notice_of_collection.filled", **{key: plain(value) for key, value in parts.items()})


def share_toggle(m: Messages, shared: bool) -> dict[str, Any]:
    """Consent to share the idea with the whole public service once approved for the Den: off unless ticked."""
    return {
        "type": "Input.Toggle",
        "id": "share",
        "label": m.t("form.share.label"),
        "title": m.t("form.share.title"),
        "value": "true" if shared else "false",
        "valueOn": "true",
        "valueOff": "false",
        "spacing": "Large",
    }


def pitch_form_card(
    m: Messages,
    *,
    form_id: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    revise: tuple[str, int, str, str] | None = None,
    preface: list[dict[str, Any]] | None = None,
    notice: str = "",
    confirm: str = "",
    challenge_id: str = "",
    collection: CollectionNotice | None = None,
) -> dict[str, Any]:
    """`revise` = (idea id, revision, reference, approver name) for a returned idea.

    `confirm` makes the button "Send it anyway", carrying that answer (e.g. to a repeat pitch), with
    Cancel beside it; the notice then sits just above those two buttons, where the person decides
    (as it does on a revision's form: e.g. "nothing has changed", just above its button).
    `preface` comes before the form (the approver's comment on a returned idea); `notice` is a
    problem with the whole form (e.g. the submitter is not in the directory), shown first.
    `challenge_id` is the Den challenge the pitch goes to (its question is in the preface).
    `collection` is the ministry's notice of collection (legal authority, purpose, contact official).
    """
    values = values or {}
    errors = errors or {}
    if revise:
        idea_id, revision, reference, approver = revise
        body = [
            heading(m.t("form.revise_title", reference=reference)),
            subtle(m.t("form.revise_intro", approver=plain(approver))),
        ]
        action = execute(
            m.t("form.resubmit"), verbs.PITCH_RESUBMIT, {"ideaId": idea_id, "revision": revision}, style="positive"
        )
    else:
        body = [heading(m.t("form.title")), subtle(m.t("form.intro"))]
        data = {
            "formId": form_id,
            **({"confirm": confirm} if confirm else {}),
            **({"challengeId": challenge_id} if challenge_id else {}),
        }
        title = m.t("pitch.send_anyway") if confirm else m.t("form.submit")
        action = execute(title, verbs.PITCH_SUBMIT, data, style="positive")
        check = execute(m.t("form.check_similar"), verbs.PITCH_SIMILAR, data)
    if notice and not confirm and not revise:
        body.insert(0, attention(notice))
    body = [*(preface or []), *body]
    if errors:
        body.append(attention(m.t("form.errors_summary")))
    for rule in FIELD_RULES:
        value = values.get(rule.name, "")
        code = errors.get(rule.name)
        body.extend(_input(m, rule, value, error_message(m, rule, code, value) if code else None))
    if not revise:
        body.append(share_toggle(m, values.get("share") == "true"))
    body.append(subtle(notice_of_collection(m, collection)) | {"spacing": "Large", "separator": True})
    actions = [action]
    if notice and (confirm or revise):  # e.g. a revision that changed nothing: said where they pressed
        body.append(attention(notice) | {"spacing": "Large", "separator": True})
    if confirm and not revise:
        # Cancel sends nothing typed, so a field left empty never blocks it.
        cancel = execute(m.t("pitch.cancel"), verbs.PITCH_CANCEL, {"formId": form_id})
        actions.append(cancel | {"associatedInputs": "none"})
    elif not revise:
        actions.append(check)  # "Check for similar ideas" before sending
    return card(m, body, actions)
