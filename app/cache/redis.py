"""The shared backend for many replicas: Redis through `redis.asyncio` (https://redis.readthedocs.io/).

The `redis` package is imported only when a `redis://` URL is opened, so the embedded default does not need it.
Values are JSON text with the TTL set by the server (`SET key value EX ttl`, https://redis.io/docs/latest/commands/set/).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

from app.cache.base import JsonCache, StoreUnavailable

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

# Bounded waits: an unreachable server must not hang a reference forever.
TIMEOUT = 5.0
# Connections per process; more concurrent commands wait (up to TIMEOUT) for one to be free.
MAX_CONNECTIONS = 50
# Seconds before `Wakeups` listens again after its connection failed (messages sent meanwhile are lost: every
# waiter is woken to look for itself).
RESUBSCRIBE_AFTER = 1.0


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


class Wakeups:
    """Waiters on keys, woken by messages on one pub/sub channel, each message naming a key
    (https://redis.io/docs/latest/develop/interact/pubsub/): what replicas wait for (a claim or a slot given
    back) is announced by the script that gives it back, so nobody polls.

    `expect(key)` is called before looking (a claim, a slot): a message sent between the look and the wait is
    not missed. A message wakes every waiter on its key in this process. Pub/sub delivers at most once, so
    waiters still bound their wait and look again; a broken connection wakes them all. One connection, held by
    a listening task from the first `start` to `close`.
    """

    def __init__(self, client: Redis, channel: str) -> None:
        self._client = client
        self.channel = channel
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self._listening: asyncio.Task[None] | None = None
        self._subscribed: asyncio.Future[None] | None = None

    async def start(self) -> None:
        """Subscribe (once): messages are heard from when this returns."""
        if self._subscribed is None:
            self._subscribed = asyncio.get_running_loop().create_future()
            self._listening = asyncio.create_task(self._listen(self._subscribed))
        await asyncio.shield(self._subscribed)

    def expect(self, key: str) -> asyncio.Future[None]:
        """A future done when a message names `key` (or the connection broke); cancel it when done waiting."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters = self._waiters.setdefault(key, set())
        waiters.add(future)
        future.add_done_callback(lambda f: self._forget(key, f))
        return future

    async def wait(self, future: asyncio.Future[None], timeout: float) -> None:
        """Until `future` is done or `timeout` seconds passed; the future is cancelled either way."""
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout=max(0.0, timeout))
        except TimeoutError:
            pass
        finally:
            future.cancel()

    async def close(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            with suppress(asyncio.CancelledError):
                await self._listening
            self._listening = None
        self._wake_all()

    def _forget(self, key: str, future: asyncio.Future[None]) -> None:
        waiters = self._waiters.get(key)
        if waiters is not None:
            waiters.discard(future)
            if not waiters:
                del self._waiters[key]

    def _wake(self, key: str) -> None:
        for future in list(self._waiters.get(key, ())):
            if not future.done():
                future.set_result(None)

    def _wake_all(self) -> None:
        for key in list(self._waiters):
            self._wake(key)

    async def _listen(self, subscribed: asyncio.Future[None]) -> None:
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                if not subscribed.done():
                    subscribed.set_result(None)
                async for message in pubsub.listen():
                    self._wake(message["data"])
            except Exception as exc:  # a failure, or anything unforeseen: waiters must not wait on a dead task
                log.warning("listening on %s failed, waking every waiter: %s", self.channel, exc)
                if not subscribed.done():  # the first subscription failed: waiters look by their bounded waits
                    subscribed.set_result(None)
                self._wake_all()
            finally:
                with suppress(*failures()):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(RESUBSCRIBE_AFTER)


# Deletes a claim only for the token that took it (a claim that expired may have been taken by another), and
# tells the replicas waiting for it. KEYS = claim; ARGV = token, channel, the key to announce.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('DEL', KEYS[1])
    redis.call('PUBLISH', ARGV[2], ARGV[3])
    return 1
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
        self._released = Wakeups(client, f"{claims}released")
        self._refused: dict[tuple[str, str], asyncio.Future[None]] = {}  # claims refused, until waited for
        self._closed = False

    @classmethod
    def from_url(cls, url: str) -> RedisCache:
        return cls(connect(url))

    async def _read(self, key: str) -> str | None:
        text = await self._client.get(self._prefix + key)
        # decode_responses=True makes it str; the stubs cannot know that.
        return text.decode() if isinstance(text, bytes) else text

    async def _read_many(self, keys: Sequence[str]) -> list[str | None]:
        texts = await self._client.mget([self._prefix + key for key in keys])
        return [text.decode() if isinstance(text, bytes) else text for text in texts]

    async def _write(self, key: str, text: str, ttl: int) -> None:
        await self._client.set(self._prefix + key, text, ex=ttl)

    async def _delete(self, key: str) -> None:
        await self._client.delete(self._prefix + key)

    async def claim(self, key: str, token: str, seconds: float) -> bool:
        await self._released.start()
        expected = self._released.expect(key)  # before looking: a release right after the look is heard
        try:
            taken = await self._client.set(self._claims + key, token, nx=True, px=max(1, int(seconds * 1000)))
        except self._failures as exc:
            self._failed("claim", key, exc)
            taken = True
        except BaseException:
            expected.cancel()
            raise
        if taken:
            expected.cancel()
        else:
            self._refused[key, token] = expected
        return bool(taken)

    async def released(self, key: str, token: str, timeout: float) -> None:
        expected = self._refused.pop((key, token), None)
        if expected is None:
            await asyncio.sleep(timeout)
        else:
            await self._released.wait(expected, timeout)

    async def release(self, key: str, token: str) -> None:
        try:
            await self._release(keys=[self._claims + key], args=[token, self._released.channel, key])
        except self._failures as exc:  # the claim expires by itself
            self._failed("release", key, exc)

    async def prepare(self) -> None:
        await self._released.start()
        try:
            await self._client.script_load(_RELEASE)
        except self._failures as exc:  # loaded by the first release instead
            self._failed("prepare", "scripts", exc)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._released.close()
            await self._client.aclose()
