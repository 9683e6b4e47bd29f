"""One SQLite connection owned by one thread: each store operation is one plain function, run
there in one hand-off from the event loop.

Why not a statement-by-statement async driver: there every statement (BEGIN, each execute, each
fetch, COMMIT) is its own trip between the event loop and SQLite's thread, about twenty for an
approval click, and the trips, not SQLite, were the cost. Here a whole operation, a transaction
included, is a synchronous function the connection's thread runs start to finish:

- the event loop never waits on SQLite, nor on another process's lock (the busy timeout is spent
  on this thread, while the loop serves other turns);
- this instance's operations are serialised by the thread itself (one worker), so no transaction
  interleaves with another; other processes are kept out by SQLite's own lock (`BEGIN IMMEDIATE`
  takes the write lock up front, so two processes never deadlock upgrading a read lock);
- a cancelled caller cannot leave a transaction open: once its function has started it runs to
  COMMIT or ROLLBACK whatever happens to the coroutine that asked for it (the caller then does
  not know the outcome, as after any lost reply); one that had not started never runs.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from bot.ports import StoreUnavailable

T = TypeVar("T")

Work = Callable[[sqlite3.Connection], T]


class SqliteThread:
    """A connection and the single thread that uses it."""

    def __init__(self, path: str, *, busy_timeout_ms: int, schema: str = "") -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._schema = schema
        self._executor: ThreadPoolExecutor | None = None
        self._connection: sqlite3.Connection | None = None

    @property
    def is_open(self) -> bool:
        return self._connection is not None

    async def open(self) -> None:
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="den-sqlite")
        try:
            self._connection = await asyncio.get_running_loop().run_in_executor(self._executor, self._connect)
        except BaseException:
            self._executor.shutdown(wait=False)
            self._executor = None
            raise

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self._path, timeout=self._busy_timeout_ms / 1000, isolation_level=None, check_same_thread=True
        )
        try:
            connection.row_factory = sqlite3.Row
            connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            if self._schema:
                connection.executescript(self._schema)
        except BaseException:
            connection.close()
            raise
        return connection

    async def close(self) -> None:
        executor, connection = self._executor, self._connection
        self._executor = self._connection = None
        if executor is None:
            return
        try:
            if connection is not None:
                await asyncio.get_running_loop().run_in_executor(executor, connection.close)
        finally:
            executor.shutdown(wait=False)

    async def run(self, work: Work[T]) -> T:
        """Run `work(connection)` on the connection's thread (reads; writes that need no transaction)."""
        executor, connection = self._executor, self._connection
        if executor is None or connection is None:
            raise StoreUnavailable("store is not open")
        return await asyncio.get_running_loop().run_in_executor(executor, work, connection)

    async def write(self, work: Work[T]) -> T:
        """Run `work(connection)` inside one BEGIN IMMEDIATE ... COMMIT, in the same single hand-off."""
        return await self.run(lambda connection: in_transaction(connection, work))


def in_transaction(connection: sqlite3.Connection, work: Work[T]) -> T:
    """BEGIN IMMEDIATE, `work`, COMMIT; ROLLBACK on any failure, so no transaction outlives the call."""
    if connection.in_transaction:  # never expected: every path below ends the transaction it began
        connection.execute("ROLLBACK")
    connection.execute("BEGIN IMMEDIATE")
    try:
        result = work(connection)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return result


def run_once(path: str, schema: str, work: Work[T]) -> T:
    """For files touched rarely (the spools): open, create the schema, `work`, commit, close, all on
    the calling thread (run it with asyncio.to_thread). ROLLBACK if `work` fails."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    try:
        with connection:  # commits on success, rolls back on failure
            connection.executescript(schema)
            result = work(connection)
        return result
    finally:
        connection.close()
