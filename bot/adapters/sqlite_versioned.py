"""Optimistic concurrency on SQLite rows, as SharePoint's If-Match gives it: one rule for every table.

A record is created only if its key is free, and changed only if it still has the version the
writer read; either refusal is a ConcurrencyConflict, which the services retry on a fresh read.
Both run inside a store transaction (on the SQLite thread), so a refusal rolls back the rest.
"""

from __future__ import annotations

import sqlite3

from bot.ports import ConcurrencyConflict


def versioned_table(name: str, *columns: str) -> str:
    """The CREATE TABLE of a record kept as a JSON body with a version (the If-Match token): its id,
    the columns its queries filter and sort on (`columns`, each "name TYPE ..."), its version, its body."""
    listed = "".join(f"    {column},\n" for column in ("id TEXT PRIMARY KEY", *columns))
    return f"CREATE TABLE IF NOT EXISTS {name} (\n{listed}    version INTEGER NOT NULL,\n    body TEXT NOT NULL\n);\n"


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
