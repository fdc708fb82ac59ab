"""Upstream answers and verdicts, cached and deduplicated.

An answer (a record, "no such record", a list of candidates) is cached under the source and the question, with its
own time to live for positive and negative answers; failures are never cached. Identical questions asked at the same
time, by one request or by several, share one upstream call; with a shared cache (Redis), so do the replicas' (one
holds a claim on the question, the others wait for its answer in the cache). A verdict is cached under the exact
input and the set of sources consulted, unless a source failed while deciding it.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from pydantic import TypeAdapter

from app.cache import Cache, CacheEntry
from app.models import Record, Reference, Result, SourceStatus
from app.settings import Settings

T = TypeVar("T")
_RECORDS = TypeAdapter(list[Record])


@dataclass(frozen=True)
class Answer(Generic[T]):
    """An upstream answer, and whether it came from the cache (no upstream call was made)."""

    value: T
    cached: bool


VERSION = "v1"  # bump when the shape of cached answers or the decision rules change
# Longest wait for another replica's answer before looking in the cache again: the holder's release wakes the
# waiter at once (`Cache.released`); this bounds the wait when that word is lost.
CLAIM_RECHECK = 1.0


@dataclass(frozen=True)
class Question(Generic[T]):
    """One question to one source: the key its answer is cached under, how to ask, and how the answer is stored."""

    source: str
    key: str
    call: Callable[[], Awaitable[T]]
    encode: Callable[[T], Any]
    decode: Callable[[Any], T]


# Told when the reference decided in this context has started: a question of it was not answered by the cache (it
# waits on an upstream from then on: its own call, the same question in flight, another replica's claim), or it
# was decided (and waits for its verdict to be stored). `app/batch.py` then starts the next reference.
started: ContextVar[Callable[[], None] | None] = ContextVar("started", default=None)


def tell_started() -> None:
    """Tell whoever set `started` in this context that its reference has started."""
    if (told := started.get()) is not None:
        told()


def digest(value: Any) -> str:
    return hashlib.sha256(orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


class Lookups:
    """Runs upstream questions through the cache and the in-flight table."""

    def __init__(
        self,
        cache: Cache | None,
        settings: Settings,
        *,
        on_hit: Callable[[str], None] | None = None,
    ) -> None:
        self._cache = cache
        self._settings = settings
        self._on_hit = on_hit  # told the source of every upstream answer served from the cache (metrics)
        self._inflight: dict[str, asyncio.Future[Any]] = {}

    async def resolve(
        self, source: str, kind: str, value: str, call: Callable[[], Awaitable[Record | None]]
    ) -> Answer[Record | None]:
        """The record for an identifier (None: the source has none)."""
        key = f"{VERSION}:{source}:id:{kind}:{value.lower()}"
        return await self._run(
            Question(
                source,
                key,
                call,
                encode=lambda r: r.model_dump(mode="json") if r else None,
                decode=lambda raw: Record.model_validate(raw) if raw else None,
            )
        )

    async def search(
        self,
        source: str,
        ref: Reference,
        call: Callable[[], Awaitable[list[Record]]],
        *,
        reads: frozenset[str] | None = None,
    ) -> Answer[list[Record]]:
        """Candidates for a reference from one source; `reads`: the reference's fields the search depends on."""
        fields = ref.model_dump(mode="json", include=set(reads) if reads is not None else None)
        # Whitespace never changes a question (adapters send words): the same citation pasted twice is one.
        fields = {k: " ".join(v.split()) if isinstance(v, str) else v for k, v in fields.items()}
        key = f"{VERSION}:{source}:search:{digest(fields)}"
        return await self._run(
            Question(
                source,
                key,
                call,
                encode=lambda rs: _RECORDS.dump_python(rs, mode="json"),
                decode=_RECORDS.validate_python,
            )
        )

    async def _run(self, q: Question[T]) -> Answer[T]:
        """The answer from the cache (decoded), from the same question in flight (in this process, or in another
        replica: `_claim`), or from asking (as it came: records are frozen, so every asker may share them)."""
        if self._cache is not None and (entry := await self._cache.get(q.key)) is not None:
            return self._hit(q.source, q.decode(entry.value))
        tell_started()
        if q.key in self._inflight:  # the same question is on its way: share its answer (or its failure)
            try:
                return Answer(await asyncio.shield(self._inflight[q.key]), False)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is None or task.cancelling():
                    raise
                # The asker was cancelled (its own reference's deadline), not this one: ask again.
                return await self._run(q)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._inflight[q.key] = future
        try:
            answer = await self._fetch(q)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here: waiters re-raise it, nobody else must
            raise
        finally:
            self._inflight.pop(q.key, None)
        future.set_result(answer.value)
        return answer

    async def _fetch(self, q: Question[T]) -> Answer[T]:
        """Ask once among the replicas: the holder of the claim calls and stores the answer (failures are not
        stored), then gives the claim back; the others read the stored answer."""
        token = uuid.uuid4().hex
        stored = await self._claim(q.key, token)
        try:
            if stored is not None:
                return self._hit(q.source, q.decode(stored.value))
            value = await q.call()
            encoded = q.encode(value)
            if self._cache is not None:
                ttl = self._settings.cache_ttl if encoded else self._settings.cache_negative_ttl
                await self._cache.set(q.key, encoded, ttl)
            return Answer(value, False)
        finally:  # after the answer is stored, where the waiting replicas read it; after a failure, one asks instead
            if self._cache is not None:
                await self._cache.release(q.key, token)

    async def _claim(self, key: str, token: str) -> CacheEntry | None:
        """None once this process holds the right to ask (`Cache.claim`); the answer another replica stored while
        this one waited for it (woken when the holder gives the right back). A holder that neither answers nor
        gives the right back within a reference's deadline is asked around."""
        if self._cache is None:
            return None
        deadline = self._settings.reference_deadline
        loop = asyncio.get_running_loop()
        give_up = loop.time() + deadline
        while not await self._cache.claim(key, token, deadline):
            left = give_up - loop.time()
            await self._cache.released(key, token, min(CLAIM_RECHECK, max(0.0, left)))
            if (entry := await self._cache.get(key)) is not None:
                return entry
            if left <= 0:
                return None
        return None

    def _hit(self, source: str, value: T) -> Answer[T]:
        if self._on_hit is not None:
            self._on_hit(source)
        return Answer(value, True)

    async def verdicts(self, items: Sequence[str | dict[str, Any]], sources: Sequence[str]) -> list[Result | None]:
        """The verdict cached for each item (None: none), read at once."""
        if self._cache is None:
            return [None] * len(items)
        entries = await self._cache.get_many([_verdict_key(item, sources) for item in items])
        return [
            None if entry is None else Result.model_validate({**entry.value, "input": item})
            for item, entry in zip(items, entries, strict=True)
        ]

    async def keep_verdict(self, item: str | dict[str, Any], sources: Sequence[str], result: Result) -> None:
        """Cache a verdict reached with every source answering; one shaped by a failure is asked again next time."""
        tell_started()
        failed = any(
            s.status not in (SourceStatus.MATCH, SourceStatus.NO_MATCH, SourceStatus.SKIPPED) for s in result.sources
        )
        if self._cache is None or failed:
            return
        await self._cache.set(
            _verdict_key(item, sources), result.model_dump(mode="json", exclude={"input"}), self._settings.cache_ttl
        )


def _verdict_key(item: str | dict[str, Any], sources: Sequence[str]) -> str:
    return f"{VERSION}:verdict:{digest([item, sorted(sources)])}"
