"""Optimistic concurrency on SQLite rows, as SharePoint's If-Match gives it: one rule for every table.

A record is created only if its key is free, and changed only if it still has the version the
writer read; either refusal is a ConcurrencyConflict, which the services retry on a fresh read.
Both run inside a store transaction (on the SQLite thread), so a refusal rolls back the rest.
"""

from __future__ import annotations

import sqlite3

from bot.ports import ConcurrencyConflict


def insert_new(db: sqlite3.Connection, key: str, sql: str, params: tuple) -> None:
    """INSERT a record whose key must be free (a unique clash means another writer got there first)."""
    try:
        db.execute(sql, params)
    except sqlite3.IntegrityError as exc:
        raise ConcurrencyConflict(key) from exc


def update_versioned(db: sqlite3.Connection, key: str, sql: str, params: tuple) -> None:
    """UPDATE ... WHERE ... AND version = ?: exactly one row, or the record moved on under the writer."""
    if db.execute(sql, params).rowcount != 1:
        raise ConcurrencyConflict(key)
