"""The shared backend for many replicas: Redis through `redis.asyncio` (https://redis.readthedocs.io/).

The `redis` package is imported only when a `redis://` URL is opened, so the embedded default does not need it.
Values are JSON text with the TTL set by the server (`SET key value EX ttl`, https://redis.io/docs/latest/commands/set/).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from app.cache.base import JsonCache, StoreUnavailable

if TYPE_CHECKING:
    from redis.asyncio import Redis

# Bounded waits: an unreachable server must not hang a reference forever.
TIMEOUT = 5.0
# Connections per process; more concurrent commands wait (up to TIMEOUT) for one to be free.
MAX_CONNECTIONS = 50


def connect(url: str) -> Redis:
    """A client for `redis://host:port/db` (or `rediss://`, `unix://`); it connects on first use."""
    try:
        from redis.asyncio import BlockingConnectionPool, Redis
    except ImportError as exc:
        raise ImportError(f"{url} needs the 'redis' package: pip install 'redis>=5'") from exc
    # A blocking pool waits for a free connection; the default pool fails with "Too many connections".
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=TIMEOUT,
        decode_responses=True,
        socket_connect_timeout=TIMEOUT,
        socket_timeout=TIMEOUT,
    )
    return Redis.from_pool(pool)  # the client owns the pool: aclose() closes it


def failures() -> tuple[type[Exception], ...]:
    """The exceptions that mean the server could not answer (connection refused, timeout, server error)."""
    from redis.exceptions import RedisError

    return (RedisError, OSError)


@contextmanager
def unavailable_on_failure() -> Iterator[None]:
    """Turn a Redis failure into `StoreUnavailable`, for the job store."""
    try:
        yield
    except failures() as exc:
        raise StoreUnavailable(f"Redis: {exc}") from exc


# Deletes a claim only for the token that took it (a claim that expired may have been taken by another).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisCache(JsonCache):
    """The cache in Redis string keys `{prefix}{key}`, expired by the server; claims (`claim`) in
    `{claims}{key}`, so replicas ask each question once between them."""

    def __init__(self, client: Redis, *, prefix: str = "refverify:cache:", claims: str = "refverify:claim:") -> None:
        super().__init__(failures=failures())
        self._client = client
        self._prefix = prefix
        self._claims = claims
        self._release = client.register_script(_RELEASE)
        self._closed = False

    @classmethod
    def from_url(cls, url: str) -> RedisCache:
        return cls(connect(url))

    async def _read(self, key: str) -> str | None:
        text = await self._client.get(self._prefix + key)
        # decode_responses=True makes it str; the stubs cannot know that.
        return text.decode() if isinstance(text, bytes) else text

    async def _write(self, key: str, text: str, ttl: int) -> None:
        await self._client.set(self._prefix + key, text, ex=ttl)

    async def _delete(self, key: str) -> None:
        await self._client.delete(self._prefix + key)

    async def claim(self, key: str, token: str, seconds: float) -> bool:
        try:
            taken = await self._client.set(self._claims + key, token, nx=True, px=max(1, int(seconds * 1000)))
        except self._failures as exc:
            self._failed("claim", key, exc)
            return True
        return bool(taken)

    async def release(self, key: str, token: str) -> None:
        try:
            await self._release(keys=[self._claims + key], args=[token])
        except self._failures as exc:  # the claim expires by itself
            self._failed("release", key, exc)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._client.aclose()
