"""Batches of references: results as they are decided, and background jobs that persist them.

`Verifier.verify` answers a whole list at once; `as_decided` drives `Verifier.verify_reference` itself so callers
(the NDJSON stream, job workers, the CLI's progress bar) see each `Result` the moment it is decided
(`decided_batches`: every result decided since the caller last looked, at once).
`JobRunner` owns the background tasks behind `POST /v1/jobs`: it writes the results to the `JobStore` as they
arrive (those that arrived during one write go in the next), resumes unfinished jobs after a restart, and cancels
its tasks on shutdown (leaving them resumable).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from app.cache import StoreUnavailable
from app.errors import InputError
from app.jobs import JobStatus, JobStore, UnknownJob
from app.lookups import started
from app.models import Reference, Result
from app.parsing import parse_item
from app.verifier import Verifier

log = logging.getLogger(__name__)

Item = str | dict[str, Any]

# Largest job `POST /v1/jobs` accepts. Far above `max_references` (a synchronous request) because a job answers
# at once and is worked through in the background; the bound keeps one submission's stored inputs to tens of
# megabytes.
MAX_JOB_REFERENCES = 100_000
# Verdicts read from the cache at once (one round trip): a batch's cached references are answered that many at a
# time.
VERDICTS_AT_ONCE = 100


@dataclass(frozen=True, slots=True)
class Task:
    """One reference to decide: its position in the input, the item as given and what was understood."""

    index: int
    item: Item
    # An unreadable item gets an `unverified` result saying why, not a failed batch. None: parsed only when no
    # verdict is cached for the item (jobs: a repeated list is answered without parsing it again).
    ref: Reference | InputError | None


def parse_items(items: Sequence[Item], indexes: Sequence[int] | None = None) -> list[Task]:
    """Parse the items at `indexes` (all by default); an unreadable one keeps its `InputError`."""
    chosen = range(len(items)) if indexes is None else indexes
    return [Task(i, items[i], _parse(items[i], i)) for i in chosen]


def _parse(item: Item, index: int) -> Reference | InputError:
    try:
        return parse_item(item, where=f"references[{index}]")
    except InputError as exc:
        return exc


@dataclass(frozen=True)
class Backlog:
    """When a job may start another reference: while the longest wait at an upstream (`seconds()`, the busiest
    throttle's queue) is at most `limit` seconds. Many references in flight keep the slowest upstreams busy; this
    keeps their queues short enough for every reference to be decided within its deadline, on any clock."""

    seconds: Callable[[], float]
    limit: float
    poll: float = 0.05
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def room(self) -> None:
        """Return once the backlog is at most the limit."""
        while self.seconds() > self.limit:
            await self.sleep(self.poll)


async def as_decided(
    verifier: Verifier, tasks: Sequence[Task], *, concurrency: int, backlog: Backlog | None = None
) -> AsyncGenerator[Result, None]:
    """Each task's `Result` as soon as it is decided (completion order; each carries its `index`).

    At most `concurrency` references are in flight; with a `backlog`, a reference starts asking upstreams only when
    it has room (a verdict in the cache comes at once).
    Closing the iterator early (a client that went away, a cancelled job) cancels the references still in flight.
    An unexpected error in one reference is re-raised here.
    """
    async with aclosing(decided_batches(verifier, tasks, concurrency=concurrency, backlog=backlog)) as batches:
        async for batch in batches:
            for result in batch:
                yield result


async def decide_all(
    verifier: Verifier, tasks: Sequence[Task], *, concurrency: int, backlog: Backlog | None = None
) -> list[Result]:
    """Every task's `Result`, in input order (decided as `as_decided` decides them; cancelling this cancels the
    references in flight)."""
    async with aclosing(as_decided(verifier, tasks, concurrency=concurrency, backlog=backlog)) as decided:
        results = [result async for result in decided]
    return sorted(results, key=lambda r: r.index)


async def decided_batches(
    verifier: Verifier, tasks: Sequence[Task], *, concurrency: int, backlog: Backlog | None = None
) -> AsyncGenerator[list[Result], None]:
    """As `as_decided`, but every result decided since the last batch was taken comes at once (at least one)."""
    decided: asyncio.Queue[Result | Exception] = asyncio.Queue()
    to_verify: asyncio.Queue[Task] = asyncio.Queue()
    turns = _Turns()

    async def read() -> None:
        # Unreadable items and verdicts in the cache are answered at once, whatever the upstreams' queues, a chunk
        # at a time (one read of the cache each); the rest go to the workers, which start on the first chunk while
        # the next is read.
        try:
            for start in range(0, len(tasks), VERDICTS_AT_ONCE):
                readable: list[Task] = []
                for task in tasks[start : start + VERDICTS_AT_ONCE]:
                    if isinstance(task.ref, InputError):
                        decided.put_nowait(verifier.unreadable(task.ref, index=task.index, item=task.item))
                    else:
                        readable.append(task)
                cached = await verifier.cached_many([(task.index, task.item) for task in readable])
                for task, result in zip(readable, cached, strict=True):
                    if result is None:
                        to_verify.put_nowait(task)
                    else:
                        decided.put_nowait(result)
                await asyncio.sleep(0)
        except Exception as exc:  # a bug: surface it
            decided.put_nowait(exc)

    async def verify(task: Task) -> Result:
        async with turns.turn():
            # In its turn, so the room it found is still there when it starts: no other reference starts meanwhile.
            if backlog is not None:
                await backlog.room()
            if isinstance(task.ref, Reference):
                return await verifier.verify_reference(task.ref, index=task.index, item=task.item, look_in_cache=False)
            return await verifier.verify_item(task.item, index=task.index, look_in_cache=False)  # parsed here

    async def worker() -> None:
        while True:
            task = await to_verify.get()
            try:
                decided.put_nowait(await verify(task))
            except Exception as exc:  # a bug, not an upstream failure (those are in the Result): surface it
                decided.put_nowait(exc)
                return

    helpers = [asyncio.create_task(read())]
    helpers += [asyncio.create_task(worker()) for _ in range(min(concurrency, len(tasks)))]
    try:
        remaining = len(tasks)
        while remaining:
            outcomes = [await decided.get()]
            while not decided.empty():
                outcomes.append(decided.get_nowait())
            batch: list[Result] = []
            for outcome in outcomes:
                if isinstance(outcome, Exception):
                    raise outcome
                batch.append(outcome)
            remaining -= len(batch)
            yield batch
    finally:
        for helper in helpers:
            helper.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)


class _Turns:
    """A batch's references start one at a time, each on a turn of the event loop of its own: its turn lasts
    through the wait for the backlog's room, parsing and the answer cache until it has started (`lookups.started`:
    it first waits on an upstream, or it is decided).
    The answers to the references before it are read between the turns, so a job's first requests leave at once
    instead of after every other reference in flight has been parsed; with Redis, each round trip of every
    reference's start would otherwise wait behind all the others' starts."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """The block runs in a turn taken; the turn ends when the reference has started, or with the block."""
        held = False

        def end() -> None:
            nonlocal held
            if held:
                held = False
                self._lock.release()

        token = started.set(end)
        try:
            free = not self._lock.locked()
            await self._lock.acquire()
            held = True
            if free:  # a turn of its own all the same (one that waited was woken on a later turn)
                await asyncio.sleep(0)
            yield
        finally:
            started.reset(token)
            end()


class JobRunner:
    """The background tasks that verify jobs, one per job, registered here until they end. Each job has up to
    `concurrency` references in flight, started while the upstreams' `backlog` has room.

    `on_result` sees every decided result, `on_event` each job's "created", "resumed", "done" and "failed"
    (both for metrics).
    """

    def __init__(
        self,
        store: JobStore,
        verifier: Verifier,
        *,
        concurrency: int,
        backlog: Backlog | None = None,
        on_result: Callable[[Result], None] = lambda _: None,
        on_event: Callable[[str], None] = lambda _: None,
    ) -> None:
        self._store = store
        self._verifier = verifier
        self._concurrency = concurrency
        self._backlog = backlog
        self._on_result = on_result
        self._on_event = on_event
        self._running: dict[str, asyncio.Task[None]] = {}

    @property
    def running(self) -> list[str]:
        """Ids of the jobs being worked on by this process."""
        return list(self._running)

    async def submit(self, items: list[Item]) -> str:
        """Store the job and start it; each item is parsed when it is verified (an unreadable one is answered
        `unverified`, saying why)."""
        tasks = [Task(i, item, None) for i, item in enumerate(items)]
        job_id = await self._store.create(len(items), items)
        self._on_event("created")
        self._start(job_id, tasks)
        return job_id

    async def resume(self) -> list[str]:
        """Restart every unfinished job of the store on the references it has no result for; their ids.

        Returns at once: each job reloads and parses its inputs in its own task.
        """
        resumed = [job_id for job_id in await self._store.unfinished() if job_id not in self._running]
        for job_id in resumed:
            self._on_event("resumed")
            self._start(job_id, None)
        return resumed

    async def wait(self, job_id: str) -> None:
        """Until the job's task ends (for tests and graceful drains); at once when it is not running here."""
        if (task := self._running.get(job_id)) is not None:
            await asyncio.shield(task)

    async def close(self) -> None:
        """Cancel every running job and wait for the tasks to end. Their status stays unfinished: resumable."""
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _start(self, job_id: str, tasks: list[Task] | None) -> None:
        task = asyncio.create_task(self._run(job_id, tasks), name=f"job-{job_id}")
        self._running[job_id] = task
        task.add_done_callback(lambda _: self._running.pop(job_id, None))

    async def _reload(self, job_id: str) -> list[Task]:
        """The references of a stored job still without a result."""
        items = await self._store.items(job_id)
        if items is None:
            raise UnknownJob(job_id)
        return [Task(i, items[i], None) for i in await self._store.pending(job_id)]

    async def _run(self, job_id: str, tasks: list[Task] | None) -> None:
        try:
            if tasks is None:
                tasks = await self._reload(job_id)
            await self._store.set_status(job_id, JobStatus.RUNNING)
            # aclosing: on cancellation the references in flight are cancelled now, not when garbage-collected.
            batches = decided_batches(self._verifier, tasks, concurrency=self._concurrency, backlog=self._backlog)
            async with aclosing(batches) as decided:
                async for batch in decided:
                    await self._store.add_results(job_id, [(r.index, r.model_dump(mode="json")) for r in batch])
                    for result in batch:
                        self._on_result(result)
            # The store marks the job done with its last result; this covers a job resumed with nothing left.
            await self._store.set_status(job_id, JobStatus.DONE)
            self._on_event("done")
        except asyncio.CancelledError:
            raise
        except StoreUnavailable as exc:
            # Nothing is lost: what was decided is stored, and the job, still unfinished, resumes on restart.
            log.warning("job %s paused, the job store failed: %s", job_id, exc)
        except Exception as exc:
            log.exception("job %s failed", job_id)
            self._on_event("failed")
            try:
                await self._store.set_status(job_id, JobStatus.FAILED, error=str(exc) or type(exc).__name__)
            except Exception:  # the store itself is down: the job stays unfinished and resumes on restart
                log.warning("job %s: could not record the failure", job_id)
