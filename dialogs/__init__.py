"""Conversation flows: what the bot answers to a typed command or a card button.

Each flow takes who is acting (a `Turn`) and what they sent, calls the service layer, and
returns cards. The Teams activity handler only translates activities to and from these.
"""
