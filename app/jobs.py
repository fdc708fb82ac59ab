"""The job store behind `POST /v1/jobs`: batches verified in the background, their results kept as they arrive.

Every decided result is written at once, so a restart loses nothing already decided: `unfinished()` lists the
jobs to resume, `items()` gives back their inputs and `pending()` the indexes still to decide. Progress (results
done, counts by verdict) is counted as results arrive, so reading it costs the same at 10 and at 100,000 results;
`get` reads one page of results by index and hands each back as the JSON text it was stored as.

Status moves by itself as results arrive: queued -> running on the first result, running -> done on the last
(unless the job was marked failed). `set_status` sets it outright (running when a worker picks the job up,
failed with a reason). Backend failures raise `StoreUnavailable`; an unknown job id is `None` from `get` and
`items`, and `UnknownJob` from the methods that need the job to exist.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict

from app.cache import backend
from app.cache.redis import connect, unavailable_on_failure
from app.cache.sqlite import SqliteDb, sqlite_path, transaction

if TYPE_CHECKING:
    import sqlite3

    from redis.asyncio import Redis


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class UnknownJob(LookupError):
    """No job has this id."""


class JobResult(BaseModel):
    """One decided result: its index and the JSON text it was stored as (served as is, not parsed again)."""

    model_config = ConfigDict(frozen=True)

    index: int
    text: str

    @property
    def result(self) -> dict[str, Any]:
        return dict(json.loads(self.text))


class Job(BaseModel):
    """A snapshot of one job: progress and verdict counts over all its results, and the results decided so far
    among indexes `offset` to `offset + limit - 1` (one page), by index."""

    model_config = ConfigDict(frozen=True)

    id: str
    created: datetime
    total: int
    done: int
    status: JobStatus
    error: str | None = None
    counts: dict[str, int]
    results: list[JobResult]


class JobStore(Protocol):
    async def create(self, total: int, items: list[Any]) -> str:
        """A new queued job over `items` (JSON-serialisable, `total == len(items)`); returns its id (uuid4 hex)."""
        ...

    async def add_result(self, job_id: str, index: int, result: dict[str, Any]) -> None:
        """Record the result for item `index` (replacing an earlier one); `result["verdict"]` is counted."""
        ...

    async def add_results(self, job_id: str, results: Sequence[tuple[int, dict[str, Any]]]) -> None:
        """`add_result` for each (index, result), in one write."""
        ...

    async def set_status(self, job_id: str, status: JobStatus, *, error: str | None = None) -> None: ...

    async def get(self, job_id: str, *, offset: int = 0, limit: int | None = None) -> Job | None:
        """The job with its results among indexes `offset` to `offset + limit - 1` (to the end: `limit=None`)."""
        ...

    async def items(self, job_id: str) -> list[Any] | None:
        """The inputs the job was created with."""
        ...

    async def pending(self, job_id: str) -> list[int]:
        """Indexes without a result yet, ascending."""
        ...

    async def unfinished(self) -> list[str]:
        """Ids of jobs queued or running, oldest first: what a restarted service resumes."""
        ...

    async def close(self) -> None: ...


def open_job_store(url: str, *, clock: Callable[[], float] = time.time) -> JobStore:
    """The job store at `url`, same forms as `open_cache` (the two may share one SQLite file or Redis)."""
    if backend(url) == "sqlite":
        return SqliteJobStore(sqlite_path(url), clock=clock)
    return RedisJobStore(connect(url), clock=clock)


def _check_new(total: int, items: list[Any]) -> str:
    if total != len(items):
        raise ValueError(f"total is {total} but {len(items)} items were given")
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def _check_index(job_id: str, index: int, total: int) -> None:
    if not 0 <= index < total:
        raise ValueError(f"job {job_id} has {total} items, no index {index}")


def _advanced(status: str, done: int, total: int) -> str:
    """The status after a result arrives (see the module docstring)."""
    if status == JobStatus.FAILED:
        return status
    if done >= total:
        return JobStatus.DONE
    return JobStatus.RUNNING if status == JobStatus.QUEUED else status


def _job(job_id: str, meta: Sequence[Any], counts: dict[str, int], rows: Iterable[tuple[Any, str]]) -> Job:
    """The snapshot from the stored fields (created, total, status, error, done) and rows (index, result JSON)."""
    created, total, status, error, done = meta
    return Job(
        id=job_id,
        created=datetime.fromtimestamp(float(created), UTC),
        total=int(total),
        done=int(done),
        status=JobStatus(status),
        error=error,
        counts=dict(sorted((k, int(v)) for k, v in counts.items() if int(v) > 0)),
        results=sorted((JobResult(index=int(i), text=text) for i, text in rows), key=lambda r: r.index),
    )


def _encoded(result: dict[str, Any]) -> tuple[str, str | None]:
    """The stored text of a result and its verdict (counted)."""
    verdict = result.get("verdict")
    return json.dumps(result, ensure_ascii=False, separators=(",", ":")), None if verdict is None else str(verdict)


def _recounted(counts: dict[str, int], old: str | None, new: str | None) -> dict[str, int]:
    """Counts by verdict after a result with verdict `new` replaced one with `old` (None: no verdict, or none)."""
    counts = dict(counts)
    if old is not None:
        counts[old] = counts.get(old, 0) - 1
    if new is not None:
        counts[new] = counts.get(new, 0) + 1
    return {k: v for k, v in sorted(counts.items()) if v > 0}


def _pending(total: int, decided: Iterable[Any]) -> list[int]:
    have = {int(i) for i in decided}
    return [i for i in range(total) if i not in have]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, created REAL NOT NULL, total INTEGER NOT NULL, status TEXT NOT NULL, error TEXT,
    items TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0, counts TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS job_results (
    job_id TEXT NOT NULL REFERENCES jobs (id), idx INTEGER NOT NULL, result TEXT NOT NULL, verdict TEXT,
    PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;
"""

# Files written before progress was counted: `done` and `counts` from the stored results, once.
_BACKFILL = """
UPDATE job_results SET verdict = json_extract(result, '$.verdict');
UPDATE jobs SET
    done = (SELECT count(*) FROM job_results AS r WHERE r.job_id = jobs.id),
    counts = coalesce(
        (SELECT json_group_object(verdict, n) FROM (
            SELECT verdict, count(*) AS n FROM job_results AS r
            WHERE r.job_id = jobs.id AND verdict IS NOT NULL GROUP BY verdict ORDER BY verdict)),
        '{}');
"""


def _migrate(conn: sqlite3.Connection) -> None:
    def columns() -> set[str]:
        return {str(row[1]) for row in conn.execute("PRAGMA table_info(jobs)")}

    def upgrade(conn: sqlite3.Connection) -> None:
        if "done" in columns():  # another process upgraded the file first
            return
        conn.execute("ALTER TABLE jobs ADD COLUMN done INTEGER NOT NULL DEFAULT 0")
        conn.execute("ALTER TABLE jobs ADD COLUMN counts TEXT NOT NULL DEFAULT '{}'")
        conn.execute("ALTER TABLE job_results ADD COLUMN verdict TEXT")
        for statement in _BACKFILL.split(";"):
            if statement.strip():
                conn.execute(statement)

    if "done" not in columns():
        transaction(conn, upgrade)


class SqliteJobStore:
    """Jobs in tables `jobs` (with the progress counts) and `job_results` of a SQLite file (may be the cache's)."""

    def __init__(self, path: str, *, clock: Callable[[], float] = time.time) -> None:
        self._db = SqliteDb(path, _SCHEMA, migrate=_migrate)
        self._clock = clock

    async def create(self, total: int, items: list[Any]) -> str:
        text, job_id, now = _check_new(total, items), uuid.uuid4().hex, self._clock()
        sql = "INSERT INTO jobs (id, created, total, status, items) VALUES (?, ?, ?, ?, ?)"
        await self._db.run(lambda conn: conn.execute(sql, (job_id, now, total, JobStatus.QUEUED, text)).close())
        return job_id

    async def add_result(self, job_id: str, index: int, result: dict[str, Any]) -> None:
        await self.add_results(job_id, [(index, result)])

    async def add_results(self, job_id: str, results: Sequence[tuple[int, dict[str, Any]]]) -> None:
        encoded = [(index, *_encoded(result)) for index, result in results]

        def add(conn: sqlite3.Connection) -> None:
            sql = "SELECT total, status, done, counts FROM jobs WHERE id = ?"
            if (row := conn.execute(sql, (job_id,)).fetchone()) is None:
                raise UnknownJob(job_id)
            total, status, done, counts_text = row
            counts = json.loads(counts_text)
            for index, text, verdict in encoded:
                _check_index(job_id, index, total)
                sql = "SELECT verdict FROM job_results WHERE job_id = ? AND idx = ?"
                old = conn.execute(sql, (job_id, index)).fetchone()
                sql = "INSERT OR REPLACE INTO job_results (job_id, idx, result, verdict) VALUES (?, ?, ?, ?)"
                conn.execute(sql, (job_id, index, text, verdict))
                done += old is None
                counts = _recounted(counts, old[0] if old else None, verdict)
            sql = "UPDATE jobs SET done = ?, counts = ?, status = ? WHERE id = ?"
            conn.execute(sql, (done, json.dumps(counts), _advanced(status, done, total), job_id))

        await self._db.run(lambda conn: transaction(conn, add))

    async def set_status(self, job_id: str, status: JobStatus, *, error: str | None = None) -> None:
        def update(conn: sqlite3.Connection) -> None:
            sql = "UPDATE jobs SET status = ?, error = ? WHERE id = ?"
            if conn.execute(sql, (JobStatus(status), error, job_id)).rowcount == 0:
                raise UnknownJob(job_id)

        await self._db.run(update)

    async def get(self, job_id: str, *, offset: int = 0, limit: int | None = None) -> Job | None:
        def read(conn: sqlite3.Connection) -> Job | None:
            sql = "SELECT created, total, status, error, done, counts FROM jobs WHERE id = ?"
            if (row := conn.execute(sql, (job_id,)).fetchone()) is None:
                return None
            end = row[1] if limit is None else offset + limit
            sql = "SELECT idx, result FROM job_results WHERE job_id = ? AND idx >= ? AND idx < ? ORDER BY idx"
            rows = conn.execute(sql, (job_id, offset, end)).fetchall()
            return _job(job_id, row[:5], json.loads(row[5]), rows)

        # One read transaction, so the job row and its results are from the same moment.
        return await self._db.run(lambda conn: transaction(conn, read, write=False))

    async def items(self, job_id: str) -> list[Any] | None:
        def read(conn: sqlite3.Connection) -> list[Any] | None:
            row = conn.execute("SELECT items FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return None if row is None else list(json.loads(row[0]))

        return await self._db.run(read)

    async def pending(self, job_id: str) -> list[int]:
        def read(conn: sqlite3.Connection) -> list[int]:
            row = conn.execute("SELECT total FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise UnknownJob(job_id)
            rows = conn.execute("SELECT idx FROM job_results WHERE job_id = ?", (job_id,)).fetchall()
            return _pending(int(row[0]), (i for (i,) in rows))

        return await self._db.run(lambda conn: transaction(conn, read, write=False))

    async def unfinished(self) -> list[str]:
        sql = "SELECT id FROM jobs WHERE status IN (?, ?) ORDER BY created, id"
        args = (JobStatus.QUEUED, JobStatus.RUNNING)
        return await self._db.run(lambda conn: [job_id for (job_id,) in conn.execute(sql, args)])

    async def close(self) -> None:
        await self._db.close()


# Atomic add_result: store, count and advance the status in one step (Redis runs a script without interleaving,
# https://redis.io/docs/latest/develop/interactive/programmability/eval-intro/).
# KEYS: job hash, results hash, unfinished zset, verdicts hash, counts hash. ARGV: index, result JSON, job id,
# verdict ('' for none). Returns done, -1 (no such job) or -2 (index outside the job).
_ADD_RESULT = """
local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
if not total then return -1 end
local index = tonumber(ARGV[1])
if index < 0 or index >= total then return -2 end
local old = redis.call('HGET', KEYS[4], ARGV[1])
if old then
  if redis.call('HINCRBY', KEYS[5], old, -1) <= 0 then redis.call('HDEL', KEYS[5], old) end
  redis.call('HDEL', KEYS[4], ARGV[1])
end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[4], ARGV[1], ARGV[4])
  redis.call('HINCRBY', KEYS[5], ARGV[4], 1)
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local done = redis.call('HLEN', KEYS[2])
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'failed' then
  if done >= total then
    redis.call('HSET', KEYS[1], 'status', 'done')
    redis.call('ZREM', KEYS[3], ARGV[3])
  elseif status == 'queued' then
    redis.call('HSET', KEYS[1], 'status', 'running')
  end
end
return done
"""


class RedisJobStore:
    """Jobs in Redis: hash `{prefix}{id}` (created, total, status, error, items), hashes `{prefix}{id}:results`
    (index -> result JSON), `{prefix}{id}:verdicts` (index -> verdict) and `{prefix}{id}:counts` (verdict ->
    results), and sorted set `{prefix}unfinished` (id by creation time)."""

    def __init__(self, client: Redis, *, prefix: str = "refverify:job:", clock: Callable[[], float] = time.time):
        self._client = client
        self._prefix = prefix
        self._clock = clock
        self._add = client.register_script(_ADD_RESULT)
        self._open = prefix + "unfinished"
        self._closed = False

    async def create(self, total: int, items: list[Any]) -> str:
        text, job_id, now = _check_new(total, items), uuid.uuid4().hex, self._clock()
        with unavailable_on_failure():
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hset(
                    self._prefix + job_id,
                    mapping={"created": repr(now), "total": total, "status": str(JobStatus.QUEUED), "items": text},
                )
                pipe.zadd(self._open, {job_id: now})
                await pipe.execute()
        return job_id

    async def add_result(self, job_id: str, index: int, result: dict[str, Any]) -> None:
        await self.add_results(job_id, [(index, result)])

    async def add_results(self, job_id: str, results: Sequence[tuple[int, dict[str, Any]]]) -> None:
        key = self._prefix + job_id
        keys = [key, f"{key}:results", self._open, f"{key}:verdicts", f"{key}:counts"]
        with unavailable_on_failure():
            # One round trip; each script call is atomic on its own.
            async with self._client.pipeline(transaction=False) as pipe:
                for index, result in results:
                    text, verdict = _encoded(result)
                    await self._add(keys=keys, args=[index, text, job_id, verdict or ""], client=pipe)
                answers = await pipe.execute()
            for (index, _), done in zip(results, answers, strict=True):
                if done == -1:
                    raise UnknownJob(job_id)
                if done == -2:
                    _check_index(job_id, index, int(await self._client.hget(keys[0], "total") or 0))

    async def set_status(self, job_id: str, status: JobStatus, *, error: str | None = None) -> None:
        status = JobStatus(status)
        key = self._prefix + job_id
        with unavailable_on_failure():
            if (created := await self._client.hget(key, "created")) is None:
                raise UnknownJob(job_id)
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hset(key, "status", str(status))
                if error is None:
                    pipe.hdel(key, "error")
                else:
                    pipe.hset(key, "error", error)
                if status in (JobStatus.DONE, JobStatus.FAILED):
                    pipe.zrem(self._open, job_id)
                else:
                    pipe.zadd(self._open, {job_id: float(created)})  # keeps its place in line
                await pipe.execute()

    async def get(self, job_id: str, *, offset: int = 0, limit: int | None = None) -> Job | None:
        key = self._prefix + job_id
        with unavailable_on_failure():
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hmget(key, ["created", "total", "status", "error"])
                pipe.hlen(f"{key}:results")
                pipe.hgetall(f"{key}:counts")
                if limit is None:
                    pipe.hgetall(f"{key}:results")
                elif limit > 0:
                    pipe.hmget(f"{key}:results", list(range(offset, offset + limit)))
                (created, total, status, error), done, counts, *page = await pipe.execute()
            if created is None:
                return None
            if limit is None:
                rows = [(int(i), text) for i, text in (page[0] if page else {}).items() if int(i) >= offset]
            else:
                rows = [(offset + n, text) for n, text in enumerate(page[0] if page else []) if text is not None]
            if done and not counts:  # a job stored before results were counted: count them on each read
                results = await self._client.hvals(f"{key}:results")
                counts = Counter(v for text in results if (v := json.loads(text).get("verdict")) is not None)
        return _job(job_id, (created, total, status, error, done), counts, rows)

    async def items(self, job_id: str) -> list[Any] | None:
        with unavailable_on_failure():
            text = await self._client.hget(self._prefix + job_id, "items")
        return None if text is None else list(json.loads(text))

    async def pending(self, job_id: str) -> list[int]:
        with unavailable_on_failure():
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hget(self._prefix + job_id, "total")
                pipe.hkeys(f"{self._prefix}{job_id}:results")
                total, decided = await pipe.execute()
        if total is None:
            raise UnknownJob(job_id)
        return _pending(int(total), decided)

    async def unfinished(self) -> list[str]:
        with unavailable_on_failure():
            ids = await self._client.zrange(self._open, 0, -1)
        return [str(i) for i in ids]

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._client.aclose()
