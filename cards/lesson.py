"""Lessons learned: the invitation (once, on the card that says the idea will not go ahead), the short
form, and the thanks."""

from __future__ import annotations

from typing import Any

from bot.domain.model import LESSON_MAX, Idea
from bot.i18n import Messages
from cards import verbs
from cards.common import Element, attention, card, execute, heading, subtle, text
from cards.idea import reference_title


def invite_action(m: Messages, idea: Idea) -> Element:
    """'Share what you learned': opens the lesson form (offered once the idea ended without going ahead)."""
    return execute(m.t("lesson.invite"), verbs.LESSON_OPEN, {"ideaId": idea.id})


def invite_line(m: Messages) -> Element:
    return subtle(m.t("lesson.invite_why"))


def lesson_form_card(m: Messages, idea: Idea, *, error: str = "") -> dict[str, Any]:
    lesson = idea.lesson
    body: list[Element] = [
        heading(m.t("lesson.title")),
        text(reference_title(m, idea.reference, idea.pitch.title), weight="Bolder"),
        text(m.t("lesson.intro")),
    ]
    if error:
        body.append(attention(error))
    body.append(
        {
            "type": "Input.Text",
            "id": "lesson",
            "label": m.t("lesson.label"),
            "isMultiline": True,
            "maxLength": LESSON_MAX,
            "isRequired": True,
            "errorMessage": m.t("lesson.required"),
            "value": lesson.text if lesson else "",
        }
    )
    body.append(
        {
            "type": "Input.Toggle",
            "id": "shareLesson",
            "label": m.t("lesson.share_label"),
            "title": m.t("lesson.share"),
            "value": "true" if lesson and lesson.shared else "false",
            "valueOn": "true",
            "valueOff": "false",
        }
    )
    return card(m, body, [execute(m.t("lesson.save"), verbs.LESSON_SAVE, {"ideaId": idea.id}, style="positive")])


def lesson_thanks_card(m: Messages, idea: Idea) -> dict[str, Any]:
    shared = idea.lesson is not None and idea.lesson.shared
    return card(
        m,
        [
            heading(m.t("lesson.thanks_title")),
            text(m.t("lesson.thanks_shared" if shared else "lesson.thanks_private")),
        ],
    )
