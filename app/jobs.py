"""The job store behind `POST /v1/jobs`: batches verified in the background, their results kept as they arrive.

Every decided result is written at once, so a restart loses nothing already decided: `unfinished()` lists the
jobs to resume, `items()` gives back their inputs and `pending()` the indexes still to decide.

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
from collections.abc import Callable, Iterable
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
    model_config = ConfigDict(frozen=True)

    index: int
    result: dict[str, Any]


class Job(BaseModel):
    """A snapshot of one job: progress, verdict counts and the results decided so far, by index."""

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

    async def set_status(self, job_id: str, status: JobStatus, *, error: str | None = None) -> None: ...

    async def get(self, job_id: str) -> Job | None: ...

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


def _job(job_id: str, created: float, total: int, status: str, error: str | None, rows: Iterable[Any]) -> Job:
    """Build the snapshot from stored rows of (index, result JSON)."""
    results = sorted((JobResult(index=int(i), result=json.loads(text)) for i, text in rows), key=lambda r: r.index)
    counts = Counter(str(r.result["verdict"]) for r in results if r.result.get("verdict") is not None)
    return Job(
        id=job_id,
        created=datetime.fromtimestamp(created, UTC),
        total=total,
        done=len(results),
        status=JobStatus(status),
        error=error,
        counts=dict(sorted(counts.items())),
        results=results,
    )


def _pending(total: int, decided: Iterable[Any]) -> list[int]:
    have = {int(i) for i in decided}
    return [i for i in range(total) if i not in have]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, created REAL NOT NULL, total INTEGER NOT NULL, status TEXT NOT NULL, error TEXT,
    items TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS job_results (
    job_id TEXT NOT NULL REFERENCES jobs (id), idx INTEGER NOT NULL, result TEXT NOT NULL,
    PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;
"""


class SqliteJobStore:
    """Jobs in tables `jobs` and `job_results` of a SQLite file (may be the cache's file)."""

    def __init__(self, path: str, *, clock: Callable[[], float] = time.time) -> None:
        self._db = SqliteDb(path, _SCHEMA)
        self._clock = clock

    async def create(self, total: int, items: list[Any]) -> str:
        text, job_id, now = _check_new(total, items), uuid.uuid4().hex, self._clock()
        sql = "INSERT INTO jobs (id, created, total, status, items) VALUES (?, ?, ?, ?, ?)"
        await self._db.run(lambda conn: conn.execute(sql, (job_id, now, total, JobStatus.QUEUED, text)).close())
        return job_id

    async def add_result(self, job_id: str, index: int, result: dict[str, Any]) -> None:
        text = json.dumps(result, ensure_ascii=False, separators=(",", ":"))

        def add(conn: sqlite3.Connection) -> None:
            total, status = self._meta(conn, job_id)
            _check_index(job_id, index, total)
            conn.execute("INSERT OR REPLACE INTO job_results VALUES (?, ?, ?)", (job_id, index, text))
            (done,) = conn.execute("SELECT count(*) FROM job_results WHERE job_id = ?", (job_id,)).fetchone()
            if (new := _advanced(status, done, total)) != status:
                conn.execute("UPDATE jobs SET status = ? WHERE id = ?", (new, job_id))

        await self._db.run(lambda conn: transaction(conn, add))

    async def set_status(self, job_id: str, status: JobStatus, *, error: str | None = None) -> None:
        def update(conn: sqlite3.Connection) -> None:
            sql = "UPDATE jobs SET status = ?, error = ? WHERE id = ?"
            if conn.execute(sql, (JobStatus(status), error, job_id)).rowcount == 0:
                raise UnknownJob(job_id)

        await self._db.run(update)

    async def get(self, job_id: str) -> Job | None:
        def read(conn: sqlite3.Connection) -> Job | None:
            sql = "SELECT created, total, status, error FROM jobs WHERE id = ?"
            if (row := conn.execute(sql, (job_id,)).fetchone()) is None:
                return None
            rows = conn.execute("SELECT idx, result FROM job_results WHERE job_id = ?", (job_id,)).fetchall()
            created, total, status, error = row
            return _job(job_id, created, total, status, error, rows)

        # One read transaction, so the job row and its results are from the same moment.
        return await self._db.run(lambda conn: transaction(conn, read, write=False))

    async def items(self, job_id: str) -> list[Any] | None:
        def read(conn: sqlite3.Connection) -> list[Any] | None:
            row = conn.execute("SELECT items FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return None if row is None else list(json.loads(row[0]))

        return await self._db.run(read)

    async def pending(self, job_id: str) -> list[int]:
        def read(conn: sqlite3.Connection) -> list[int]:
            total, _ = self._meta(conn, job_id)
            rows = conn.execute("SELECT idx FROM job_results WHERE job_id = ?", (job_id,)).fetchall()
            return _pending(total, (i for (i,) in rows))

        return await self._db.run(lambda conn: transaction(conn, read, write=False))

    async def unfinished(self) -> list[str]:
        sql = "SELECT id FROM jobs WHERE status IN (?, ?) ORDER BY created, id"
        args = (JobStatus.QUEUED, JobStatus.RUNNING)
        return await self._db.run(lambda conn: [job_id for (job_id,) in conn.execute(sql, args)])

    async def close(self) -> None:
        await self._db.close()

    @staticmethod
    def _meta(conn: sqlite3.Connection, job_id: str) -> tuple[int, str]:
        row = conn.execute("SELECT total, status FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise UnknownJob(job_id)
        return int(row[0]), str(row[1])


# Atomic add_result: store, count and advance the status in one step (Redis runs a script without interleaving,
# https://redis.io/docs/latest/develop/interactive/programmability/eval-intro/).
# KEYS: job hash, results hash, unfinished zset. ARGV: index, result JSON, job id. Returns done, -1 or -2.
_ADD_RESULT = """
local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
if not total then return -1 end
local index = tonumber(ARGV[1])
if index < 0 or index >= total then return -2 end
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
    """Jobs in Redis: hash `{prefix}{id}` (created, total, status, error, items), hash `{prefix}{id}:results`
    (index -> result JSON) and sorted set `{prefix}unfinished` (id by creation time)."""

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
        text = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
        keys = [self._prefix + job_id, f"{self._prefix}{job_id}:results", self._open]
        with unavailable_on_failure():
            done = await self._add(keys=keys, args=[index, text, job_id])
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

    async def get(self, job_id: str) -> Job | None:
        with unavailable_on_failure():
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hmget(self._prefix + job_id, ["created", "total", "status", "error"])
                pipe.hgetall(f"{self._prefix}{job_id}:results")
                (created, total, status, error), results = await pipe.execute()
        if created is None:
            return None
        return _job(job_id, float(created), int(total), status, error, results.items())

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
