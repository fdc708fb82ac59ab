"""The `Cache` protocol: an async key-value store of JSON values with a time to live.

A cached `None` is a *negative entry* ("the source answered: no such record") and is told apart from a miss by the
`CacheEntry` wrapper: `get` returns `None` only on a miss. Failures are never cached: callers store answers
(records, `None`, `[]`), never a `SourceError`; that decision is theirs, the cache cannot see it.

A cache is an optimisation, so a backend failure (database locked, Redis down) degrades to a miss or a skipped
write, logged and counted in `stats().errors`, instead of failing the reference. The job store, which holds
results nobody can recompute for free, raises `StoreUnavailable` instead.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import orjson

from app.errors import RefverifyError

log = logging.getLogger(__name__)


class StoreUnavailable(RefverifyError):
    """The storage backend (SQLite file, Redis server) failed; raised by the job store, never by the cache."""


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """A hit. `value` is the stored JSON as parsed (a raw-JSON boundary: validate it where it is used)."""

    value: Any


@dataclass(frozen=True, slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0
    errors: int = 0


@runtime_checkable
class Cache(Protocol):
    """Async JSON key-value store with TTL. Never caches failures: callers store answers only."""

    async def get(self, key: str) -> CacheEntry | None:
        """The live entry for `key` (whose value may be `None`: a negative entry), or `None` on a miss."""
        ...

    async def get_many(self, keys: Sequence[str]) -> list[CacheEntry | None]:
        """`get` for each key, in order, in one round trip where the backend allows."""
        ...

    async def set(self, key: str, value: Any, ttl: int) -> None:
        """Store a JSON-serialisable `value` for `ttl` seconds; `ttl <= 0` stores nothing and drops the key.

        A value `json` cannot encode raises `TypeError`/`ValueError`: that is a bug in the caller.
        """
        ...

    async def delete(self, key: str) -> None:
        """Forget `key` (no error when absent)."""
        ...

    async def claim(self, key: str, token: str, seconds: float) -> bool:
        """Take the right to ask upstream the question stored under `key`, for `seconds` at most: False while
        another process holds it (its answer is on its way to the cache). A cache no other process shares always
        grants it; a backend failure grants it too (every process then asks for itself)."""
        ...

    async def released(self, key: str, token: str, timeout: float) -> None:
        """After `claim` refused `token`: return once the holder may have given the right back (its answer may be
        stored), or after `timeout` seconds at the latest."""
        ...

    async def release(self, key: str, token: str) -> None:
        """Give the right back (only if `token` still holds it): after the answer is stored, or after a failure."""
        ...

    async def prepare(self) -> None:
        """Open ahead what the first lookup would wait for (a shared store's subscriptions and scripts); never
        raises: a store that does not answer yet is asked again by each lookup."""
        ...

    async def close(self) -> None:
        """Release connections and threads. Idempotent."""
        ...

    def stats(self) -> CacheStats:
        """Hits, misses and backend errors since the cache was opened."""
        ...


class JsonCache(ABC):
    """JSON encoding, hit/miss counting and error degradation shared by the backends.

    A backend stores text: it implements `_read`, `_read_many`, `_write`, `_delete` and `close`, and names the
    exceptions of its driver in `failures`; those become misses and skipped writes here.
    """

    def __init__(self, failures: tuple[type[Exception], ...]) -> None:
        self._failures = failures
        self._hits = self._misses = self._errors = 0

    @abstractmethod
    async def _read(self, key: str) -> str | None:
        """The stored text for a live key, or None when absent or expired."""

    @abstractmethod
    async def _read_many(self, keys: Sequence[str]) -> list[str | None]:
        """`_read` for each key, in order, at once."""

    @abstractmethod
    async def _write(self, key: str, text: str, ttl: int) -> None: ...

    @abstractmethod
    async def _delete(self, key: str) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    async def get(self, key: str) -> CacheEntry | None:
        try:
            text = await self._read(key)
        except self._failures as exc:
            self._failed("get", key, exc)
            text = None
        return self._entry(key, text)

    async def get_many(self, keys: Sequence[str]) -> list[CacheEntry | None]:
        try:
            texts = await self._read_many(keys) if keys else []
        except self._failures as exc:
            self._failed("get", f"{keys[0]} and {len(keys) - 1} more", exc)
            texts = [None] * len(keys)
        return [self._entry(key, text) for key, text in zip(keys, texts, strict=True)]

    def _entry(self, key: str, text: str | None) -> CacheEntry | None:
        try:
            entry = None if text is None else CacheEntry(orjson.loads(text))
        except orjson.JSONDecodeError as exc:  # a corrupt stored value is a miss too
            self._failed("get", key, exc)
            entry = None
        if entry is None:
            self._misses += 1
        else:
            self._hits += 1
        return entry

    async def set(self, key: str, value: Any, ttl: int) -> None:
        # Encoded before any I/O so an unencodable value raises in the caller instead of being swallowed.
        text = orjson.dumps(value).decode()
        try:
            if ttl > 0:
                await self._write(key, text, ttl)
            else:
                await self._delete(key)
        except self._failures as exc:
            self._failed("set", key, exc)

    async def delete(self, key: str) -> None:
        try:
            await self._delete(key)
        except self._failures as exc:
            self._failed("delete", key, exc)

    async def claim(self, key: str, token: str, seconds: float) -> bool:
        return True  # only this process reads and writes this cache: nobody else asks

    async def released(self, key: str, token: str, timeout: float) -> None:
        await asyncio.sleep(timeout)  # never refused: nobody to wait for

    async def release(self, key: str, token: str) -> None:
        return None

    async def prepare(self) -> None:
        return None  # nothing opened ahead: a backend that shares nothing waits for nothing

    def stats(self) -> CacheStats:
        return CacheStats(hits=self._hits, misses=self._misses, errors=self._errors)

    def _failed(self, operation: str, key: str, exc: Exception) -> None:
        self._errors += 1
        log.warning("cache %s of %r failed, going without: %s", operation, key, exc)
