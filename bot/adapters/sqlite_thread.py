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
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.ports import StoreUnavailable

T = TypeVar("T")

Work = Callable[[sqlite3.Connection], T]
_STOP = object()
_CONNECT = object()  # the thread's first job: open the connection it will own


class SqliteThread:
    """A connection and the single thread that uses it.

    A plain queue and `call_soon_threadsafe` rather than an executor: a hand-off then costs half
    the CPU (no executor future, condition or lock to make and settle on each call)."""

    def __init__(self, path: str, *, busy_timeout_ms: int, schema: str = "") -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._schema = schema
        self._queue: queue.SimpleQueue | None = None
        self._thread: threading.Thread | None = None
        self._connection: sqlite3.Connection | None = None

    @property
    def is_open(self) -> bool:
        return self._connection is not None

    async def open(self) -> None:
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        self._queue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, args=(self._queue,), name="den-sqlite", daemon=True)
        self._thread.start()
        try:
            self._connection = await self._submit(_CONNECT)
        except BaseException:
            self._stop()
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
        was_open, self._connection = self._connection is not None, None
        if self._queue is None:
            return
        try:
            if was_open:
                await self._submit(lambda connection: connection.close())
        finally:
            self._stop()

    def _stop(self) -> None:
        """Let the thread end once what is queued before this is done."""
        if self._queue is not None:
            self._queue.put(_STOP)
        self._queue = self._thread = None

    async def run(self, work: Work[T]) -> T:
        """Run `work(connection)` on the connection's thread (reads; writes that need no transaction)."""
        if self._connection is None:
            raise StoreUnavailable("store is not open")
        return await self._submit(work)

    async def write(self, work: Work[T]) -> T:
        """Run `work(connection)` inside one BEGIN IMMEDIATE ... COMMIT, in the same single hand-off."""
        return await self.run(lambda connection: in_transaction(connection, work))

    def _submit(self, work: Callable[[Any], T] | object) -> asyncio.Future[T]:
        if self._queue is None:
            raise StoreUnavailable("store is not open")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put((work, future, loop))
        return future

    def _serve(self, jobs: queue.SimpleQueue) -> None:
        """The connection's thread: one job at a time, in the order they were asked for. The
        connection is this thread's own (a local): no other thread ever touches it.

        Jobs asked for together (concurrent turns, a renderer's reads) are answered together:
        one wake-up of the event loop for all of them, not one each."""
        connection: sqlite3.Connection | None = None
        while True:
            batch = [jobs.get()]
            with contextlib.suppress(queue.Empty):
                while len(batch) < MAX_BATCH:
                    batch.append(jobs.get_nowait())
            done: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Any, BaseException | None]]] = {}
            stopping = False
            for job in batch:
                if job is _STOP:
                    stopping = True
                    continue
                work, future, loop = job
                if stopping:  # asked for after the close: never run
                    done.setdefault(loop, []).append((future, None, StoreUnavailable("store is closed")))
                    continue
                if future.cancelled():
                    continue  # cancelled before it started: it never runs
                try:
                    if work is _CONNECT:
                        result = connection = self._connect()
                    else:
                        result = work(connection)
                except BaseException as exc:  # handed to the caller, whatever it is
                    done.setdefault(loop, []).append((future, None, exc))
                else:
                    done.setdefault(loop, []).append((future, result, None))
            _answer(done)
            if stopping:
                return


MAX_BATCH = 64  # jobs run before their callers are answered (each is a few statements at most)


def _answer(done: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Any, BaseException | None]]]) -> None:
    for loop, outcomes in done.items():
        try:
            loop.call_soon_threadsafe(_settle, outcomes)
        except RuntimeError:
            pass  # that event loop is closed: nobody is waiting any more


def _settle(outcomes: list[tuple[asyncio.Future, Any, BaseException | None]]) -> None:
    """On the event loop: hand each caller its result or its error."""
    for future, result, error in outcomes:
        if future.cancelled():
            continue  # the caller gave up; the work is done (committed or rolled back) all the same
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


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
