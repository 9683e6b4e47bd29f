"""Adaptive Cards (schema 1.5, Action.Execute): pure functions of what they show, one module per kind of card."""

from cards.approval import approval_card, decided_card
from cards.my_ideas import my_ideas_card
from cards.pitch_form import pitch_form_card
from cards.receipt import filed_card, receipt_card, spooled_card
from cards.status import idea_status_card, returned_card
from cards.welcome import help_card, notice_card, welcome_card

__all__ = [
    "approval_card",
    "decided_card",
    "filed_card",
    "help_card",
    "idea_status_card",
    "my_ideas_card",
    "notice_card",
    "pitch_form_card",
    "receipt_card",
    "returned_card",
    "spooled_card",
    "welcome_card",
]
