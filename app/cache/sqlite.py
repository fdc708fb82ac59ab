"""The embedded default backend: one SQLite file.

`SqliteDb` owns the connection (and the thread that runs it, for the job store); the cache and the job store
(app/jobs.py) each hold one.
URLs follow SQLAlchemy's form: `sqlite:///relative/path`, `sqlite:////absolute/path`, `sqlite:///:memory:`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from app.cache.base import JsonCache, StoreUnavailable

T = TypeVar("T")

MEMORY = ":memory:"
# Expired rows are ignored on read; every this many writes they are also deleted.
PURGE_EVERY = 1000
# Seconds a writer waits for another process's write lock: on a thread, long; inline, the event loop waits too.
BUSY_TIMEOUT = 5.0
INLINE_BUSY_TIMEOUT = 0.05
# Keys read by one statement of `get_many` (SQLite allows 32,766 parameters since 3.32, 999 before).
READ_MANY = 500


def sqlite_path(url: str) -> str:
    """The file path in a `sqlite:///...` URL (relative to the working directory unless it starts with `/`)."""
    prefix = "sqlite:///"
    path = url[len(prefix) :] if url.startswith(prefix) else ""
    if not path:
        raise ValueError(f"not a SQLite URL (expected sqlite:///path or sqlite:///:memory:): {url!r}")
    return path


class SqliteDb:
    """One connection, opened lazily, that runs every statement in order: on a worker thread of its own, or
    `inline` on the event loop's thread.

    One thread serialises access without locks. The job store keeps blocking I/O off the event loop on its
    thread; the cache runs inline, because a trip to a thread (a hand-over of the GIL each way) cost more CPU than
    the statements it carried (an indexed read, a batch of writes committed to the WAL without fsync: tens of
    microseconds; README, "Speed"). `schema` runs once when the connection opens. WAL mode lets other processes
    (more replicas on the same file) read while one writes; a writer waits `busy_timeout` seconds for another
    (inline: briefly, since the loop waits with it; the cache then goes without). `migrate`, when given, runs
    after the schema: it brings tables an older version created up to date.
    """

    def __init__(
        self,
        path: str,
        schema: str,
        migrate: Callable[[sqlite3.Connection], None] | None = None,
        *,
        inline: bool = False,
    ) -> None:
        self._path = path
        self._schema = schema
        self._migrate = migrate
        self._busy_timeout = INLINE_BUSY_TIMEOUT if inline else BUSY_TIMEOUT
        self._executor = None if inline else ThreadPoolExecutor(1, thread_name_prefix="refverify-sqlite")
        self._open = True
        self._conn: sqlite3.Connection | None = None

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` in order with every other statement; driver and file errors become
        `StoreUnavailable`."""
        if not self._open:
            raise StoreUnavailable(f"SQLite database {self._path} is closed")
        try:
            if self._executor is None:
                return self._call(fn)
            return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, fn)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"SQLite database {self._path}: {exc}") from exc

    async def close(self) -> None:
        if not self._open:
            return
        self._open = False
        if self._executor is None:
            self._disconnect()
            return
        await asyncio.get_running_loop().run_in_executor(self._executor, self._disconnect)
        self._executor.shutdown(wait=False)

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            self._conn = self._connect()
        return fn(self._conn)

    def _connect(self) -> sqlite3.Connection:
        if self._path != MEMORY:
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        # Autocommit (isolation_level=None): single statements commit at once, multi-statement
        # writes open `BEGIN IMMEDIATE` themselves (see `transaction`).
        conn = sqlite3.connect(self._path, timeout=self._busy_timeout, isolation_level=None)
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

    Reads run at once, inline (`SqliteDb`), and see every write asked for before them. Writes asked for in one
    turn of the event loop are committed together in one transaction at the next: a commit (a WAL append) costs
    more than the statements. A write returns once it is committed.
    """

    def __init__(self, path: str, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(failures=(StoreUnavailable,))
        self._db = SqliteDb(path, _CACHE_SCHEMA, inline=True)
        self._clock = clock
        self._writes = 0
        self._writing: dict[str, tuple[str, float]] = {}
        self._next: asyncio.Future[None] | None = None  # the batch of writes being gathered
        self._trips: set[asyncio.Task[None]] = set()

    @classmethod
    def from_url(cls, url: str, *, clock: Callable[[], float] = time.time) -> SqliteCache:
        return cls(sqlite_path(url), clock=clock)

    async def _read(self, key: str) -> str | None:
        if (waiting := self._writing.get(key)) is not None:
            return waiting[0]
        now = self._clock()

        def run(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT value FROM cache WHERE key = ? AND expires > ?", (key, now)).fetchone()
            return None if row is None else str(row[0])

        return await self._db.run(run)

    async def _read_many(self, keys: Sequence[str]) -> list[str | None]:
        now = self._clock()
        wanted = [key for key in keys if key not in self._writing]

        def run(conn: sqlite3.Connection) -> dict[str, str]:
            found: dict[str, str] = {}
            for start in range(0, len(wanted), READ_MANY):
                chunk = wanted[start : start + READ_MANY]
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT key, value FROM cache WHERE key IN ({marks}) AND expires > ?"
                found.update((str(k), str(v)) for k, v in conn.execute(sql, (*chunk, now)))
            return found

        found = await self._db.run(run) if wanted else {}
        return [waiting[0] if (waiting := self._writing.get(key)) else found.get(key) for key in keys]

    async def _write(self, key: str, text: str, ttl: int) -> None:
        self._writing[key] = (text, self._clock() + ttl)
        await asyncio.shield(self._gather())

    def _gather(self) -> asyncio.Future[None]:
        """The batch being gathered (started, if none is): it is committed at the event loop's next turn."""
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            trip = asyncio.get_running_loop().create_task(self._trip(self._next))
            self._trips.add(trip)
            trip.add_done_callback(self._trips.discard)
        return self._next

    async def _trip(self, done: asyncio.Future[None]) -> None:
        writes, self._writing, self._next = self._writing, {}, None
        now = self._clock()
        # A batch holding write number 1, PURGE_EVERY + 1, 2 * PURGE_EVERY + 1... since opening also purges.
        before, self._writes = self._writes, self._writes + len(writes)
        purge = -(-before // PURGE_EVERY) != -(-self._writes // PURGE_EVERY)
        try:
            await self._db.run(lambda conn: transaction(conn, lambda conn: _store(conn, writes, now, purge)))
        except BaseException as exc:
            done.set_exception(exc)
            done.exception()  # retrieved here: each waiter re-raises it
            if not isinstance(exc, Exception):
                raise
            return
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
