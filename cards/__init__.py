"""Adaptive Cards (schema 1.5, Action.Execute): pure functions from domain objects to card JSON."""

from cards.idea import approval_card, idea_status_card, receipt_card, returned_card
from cards.my_ideas import my_ideas_card
from cards.pitch_form import pitch_form_card
from cards.welcome import help_card, notice_card, welcome_card

__all__ = [
    "approval_card",
    "help_card",
    "idea_status_card",
    "my_ideas_card",
    "notice_card",
    "pitch_form_card",
    "receipt_card",
    "returned_card",
    "welcome_card",
]
