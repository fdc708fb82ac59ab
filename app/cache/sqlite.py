"""The embedded default backend: one SQLite file, used from a dedicated thread so the event loop never blocks.

`SqliteDb` owns the connection and its thread; the cache and the job store (app/jobs.py) each hold one.
URLs follow SQLAlchemy's form: `sqlite:///relative/path`, `sqlite:////absolute/path`, `sqlite:///:memory:`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from app.cache.base import JsonCache, StoreUnavailable

T = TypeVar("T")

MEMORY = ":memory:"
# Expired rows are ignored on read; every this many writes they are also deleted.
PURGE_EVERY = 1000


def sqlite_path(url: str) -> str:
    """The file path in a `sqlite:///...` URL (relative to the working directory unless it starts with `/`)."""
    prefix = "sqlite:///"
    path = url[len(prefix) :] if url.startswith(prefix) else ""
    if not path:
        raise ValueError(f"not a SQLite URL (expected sqlite:///path or sqlite:///:memory:): {url!r}")
    return path


class SqliteDb:
    """One connection, opened lazily on a single worker thread that runs every statement in order.

    One thread serialises access without locks and keeps blocking I/O off the event loop. `schema` runs once
    when the connection opens. WAL mode lets other processes (more replicas on the same file) read while one
    writes; the 5 s busy timeout makes a writer wait for another instead of failing at once. `migrate`, when
    given, runs after the schema: it brings tables an older version created up to date.
    """

    def __init__(self, path: str, schema: str, migrate: Callable[[sqlite3.Connection], None] | None = None) -> None:
        self._path = path
        self._schema = schema
        self._migrate = migrate
        self._executor: ThreadPoolExecutor | None = ThreadPoolExecutor(1, thread_name_prefix="refverify-sqlite")
        self._conn: sqlite3.Connection | None = None

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` on the database thread; driver and file errors become `StoreUnavailable`."""
        if self._executor is None:
            raise StoreUnavailable(f"SQLite database {self._path} is closed")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, fn)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"SQLite database {self._path}: {exc}") from exc

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        await asyncio.get_running_loop().run_in_executor(executor, self._disconnect)
        executor.shutdown(wait=False)

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            self._conn = self._connect()
        return fn(self._conn)

    def _connect(self) -> sqlite3.Connection:
        if self._path != MEMORY:
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        # Autocommit (isolation_level=None): single statements commit at once, multi-statement
        # writes open `BEGIN IMMEDIATE` themselves (see `transaction`).
        conn = sqlite3.connect(self._path, timeout=5.0, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
            conn.executescript(self._schema)
            if self._migrate is not None:
                self._migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def transaction(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T], *, write: bool = True) -> T:
    """Run `fn` in one transaction: its reads see one snapshot. A write transaction takes the write lock up
    front (`BEGIN IMMEDIATE`), so a read-then-write cannot interleave with another process's."""
    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        result = fn(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


_CACHE_SCHEMA = """
CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS cache_expires ON cache (expires);
"""


class SqliteCache(JsonCache):
    """The cache in a SQLite table `cache(key, value, expires)`.

    `expires` is wall-clock time (`clock`, default `time.time`) because entries outlive the process; tests
    inject a clock to expire entries without sleeping.

    Reads and writes asked for while the database thread is busy are batched: the next trip to the thread reads
    them all and writes them all in one transaction. Each trip and each commit cost more CPU than the statement
    (a thread hand-over, a WAL append); with 16 references in flight, about three cache operations a reference
    went one by one (README, "Speed"). A write still returns once it is committed, and a read sees every write
    asked for before it.
    """

    def __init__(self, path: str, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(failures=(StoreUnavailable,))
        self._db = SqliteDb(path, _CACHE_SCHEMA)
        self._clock = clock
        self._writes = 0
        self._reading: dict[str, asyncio.Future[str | None]] = {}
        self._writing: dict[str, tuple[str, float]] = {}
        self._next: asyncio.Future[None] | None = None  # the batch being gathered
        self._trips: set[asyncio.Task[None]] = set()

    @classmethod
    def from_url(cls, url: str, *, clock: Callable[[], float] = time.time) -> SqliteCache:
        return cls(sqlite_path(url), clock=clock)

    async def _read(self, key: str) -> str | None:
        if (waiting := self._writing.get(key)) is not None:
            return waiting[0]
        future = self._reading.get(key)
        if future is None:
            future = self._reading[key] = asyncio.get_running_loop().create_future()
            self._gather()
        return await asyncio.shield(future)

    async def _write(self, key: str, text: str, ttl: int) -> None:
        self._writing[key] = (text, self._clock() + ttl)
        await asyncio.shield(self._gather())

    def _gather(self) -> asyncio.Future[None]:
        """The batch being gathered (started, if none is): it leaves at the event loop's next turn."""
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            trip = asyncio.get_running_loop().create_task(self._trip(self._next))
            self._trips.add(trip)
            trip.add_done_callback(self._trips.discard)
        return self._next

    async def _trip(self, done: asyncio.Future[None]) -> None:
        reads, writes, self._reading, self._writing, self._next = self._reading, self._writing, {}, {}, None
        now = self._clock()
        # A batch holding write number 1, PURGE_EVERY + 1, 2 * PURGE_EVERY + 1... since opening also purges.
        before, self._writes = self._writes, self._writes + len(writes)
        purge = -(-before // PURGE_EVERY) != -(-self._writes // PURGE_EVERY)

        def run(conn: sqlite3.Connection) -> dict[str, str | None]:
            found: dict[str, str | None] = {}
            for key in reads:
                row = conn.execute("SELECT value FROM cache WHERE key = ? AND expires > ?", (key, now)).fetchone()
                found[key] = None if row is None else str(row[0])
            if writes:
                transaction(conn, lambda conn: _store(conn, writes, now, purge))
            return found

        try:
            found = await self._db.run(run)
        except BaseException as exc:
            futures: list[asyncio.Future[Any]] = [*reads.values(), done]
            for future in futures:
                future.set_exception(exc)
                future.exception()  # retrieved here: each waiter re-raises it
            if not isinstance(exc, Exception):
                raise
            return
        for key, future in reads.items():
            future.set_result(found[key])
        done.set_result(None)

    async def _delete(self, key: str) -> None:
        self._writing.pop(key, None)
        await self._db.run(lambda conn: conn.execute("DELETE FROM cache WHERE key = ?", (key,)).close())

    async def close(self) -> None:
        await asyncio.gather(*self._trips, return_exceptions=True)
        await self._db.close()


def _store(conn: sqlite3.Connection, writes: dict[str, tuple[str, float]], now: float, purge: bool) -> None:
    sql = "INSERT OR REPLACE INTO cache (key, value, expires) VALUES (?, ?, ?)"
    conn.executemany(sql, [(key, text, expires) for key, (text, expires) in writes.items()])
    if purge:
        conn.execute("DELETE FROM cache WHERE expires <= ?", (now,))
