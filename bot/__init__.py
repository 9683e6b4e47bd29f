"""Deputy's Den: a Teams bot for pitching ideas and approving them in one click."""

__version__ = "0.1.0"
