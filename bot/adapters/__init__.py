"""Adapters: the real implementations of the ports (SQLite, org file, Bot Framework)."""
