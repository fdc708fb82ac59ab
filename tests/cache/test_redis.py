"""The Redis cache against a real throwaway redis-server (skipped, with the reason, when none is installed)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.cache import CacheEntry, CacheStats, open_cache
from app.cache.redis import RedisCache, connect
from app.lookups import Answer, Lookups
from app.models import Record
from app.settings import Settings
from tests.cache import flush, redis_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_url(server: str) -> str:
    flush(server)
    return server


@pytest.fixture
async def cache(redis_url: str) -> AsyncIterator[RedisCache]:
    c = RedisCache.from_url(redis_url)
    yield c
    await c.close()


async def test_unknown_key_is_a_miss(cache: RedisCache) -> None:
    assert await cache.get("doi:10.1000/none") is None


async def test_stored_json_comes_back_as_a_hit(cache: RedisCache) -> None:
    value = {"title": "Über Zahlen", "authors": [{"family": "Nöther"}], "year": 1921}
    await cache.set("k", value, ttl=60)
    assert await cache.get("k") == CacheEntry(value)


async def test_cached_none_is_a_negative_entry_not_a_miss(cache: RedisCache) -> None:
    await cache.set("doi:10.1000/missing", None, ttl=60)
    assert await cache.get("doi:10.1000/missing") == CacheEntry(None)
    assert cache.stats() == CacheStats(hits=1, misses=0, errors=0)


async def test_ttl_is_set_on_the_server(cache: RedisCache, redis_url: str) -> None:
    """Expiry is Redis's job (SET ... EX), so checking the key's TTL stands in for waiting it out."""
    await cache.set("k", "v", ttl=120)
    client = connect(redis_url)
    try:
        remaining = await client.ttl("refverify:cache:k")
    finally:
        await client.aclose()
    assert 110 < remaining <= 120


async def test_zero_ttl_stores_nothing_and_drops_the_old_entry(cache: RedisCache) -> None:
    await cache.set("k", "old", ttl=60)
    await cache.set("k", "new", ttl=0)
    assert await cache.get("k") is None


async def test_delete_forgets_the_key(cache: RedisCache) -> None:
    await cache.set("k", 1, ttl=60)
    await cache.delete("k")
    assert await cache.get("k") is None


async def test_entries_are_seen_by_a_new_client(cache: RedisCache, redis_url: str) -> None:
    await cache.set("k", [1, 2], ttl=60)
    other = open_cache(redis_url)
    try:
        assert await other.get("k") == CacheEntry([1, 2])
    finally:
        await other.close()


async def test_prefix_keeps_caches_apart(redis_url: str) -> None:
    a, b = RedisCache(connect(redis_url), prefix="a:"), RedisCache(connect(redis_url), prefix="b:")
    try:
        await a.set("k", "from a", ttl=60)
        assert await b.get("k") is None
    finally:
        await a.close()
        await b.close()


async def test_many_concurrent_tasks_each_read_their_own_write(cache: RedisCache) -> None:
    async def roundtrip(i: int) -> CacheEntry | None:
        await cache.set(f"k{i}", {"i": i}, ttl=60)
        return await cache.get(f"k{i}")

    entries = await asyncio.gather(*(roundtrip(i) for i in range(200)))
    assert entries == [CacheEntry({"i": i}) for i in range(200)]


async def test_many_keys_are_read_in_order_each_a_hit_a_negative_entry_or_a_miss(cache: RedisCache) -> None:
    await cache.set("a", {"x": 1}, ttl=60)
    await cache.set("none", None, ttl=60)
    entries = await cache.get_many(["none", "missing", "a"])
    assert entries == [CacheEntry(None), None, CacheEntry({"x": 1})]


async def test_unreachable_server_degrades_to_misses_counted_as_errors() -> None:
    with socket.socket() as probe:  # a free port: nothing listens on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pytest.importorskip("redis", reason="the `redis` package is not installed: `pip install redis`")
    c = RedisCache.from_url(f"redis://127.0.0.1:{port}/0")
    try:
        await c.set("k", 1, ttl=60)
        assert await c.get("k") is None
        assert await c.get_many(["k", "l"]) == [None, None]
    finally:
        await c.close()
    assert c.stats() == CacheStats(hits=0, misses=3, errors=3)


def test_server_fixture_skips_with_a_reason_when_redis_server_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(pytest.skip.Exception, match="redis-server not installed"), redis_server(tmp_path):
        pass


async def test_a_claim_is_held_by_one_replica_until_its_token_releases_it(redis_url: str) -> None:
    first, second = RedisCache.from_url(redis_url), RedisCache.from_url(redis_url)
    try:
        assert await first.claim("q", "token-1", 60)
        assert not await second.claim("q", "token-2", 60)
        await second.release("q", "token-2")  # not its claim: nothing happens
        assert not await second.claim("q", "token-2", 60)
        await first.release("q", "token-1")
        assert await second.claim("q", "token-2", 60)
    finally:
        await first.close()
        await second.close()


async def test_a_claim_expires_on_the_server_when_its_holder_never_releases_it(
    cache: RedisCache, redis_url: str
) -> None:
    assert await cache.claim("q", "gone", 1.5)
    client = connect(redis_url)
    try:
        assert 0 < await client.pttl("refverify:claim:q") <= 1500
    finally:
        await client.aclose()


async def test_a_replica_waiting_for_a_claim_is_woken_by_its_release(redis_url: str) -> None:
    """No polling: the holder's release announces itself, long before the waiter's own bound on waiting."""
    first, second = RedisCache.from_url(redis_url), RedisCache.from_url(redis_url)
    try:
        assert await first.claim("q", "token-1", 60)
        assert not await second.claim("q", "token-2", 60)
        waiting = asyncio.create_task(second.released("q", "token-2", timeout=60))
        await asyncio.sleep(0)
        assert not waiting.done()
        await first.release("q", "token-1")
        await asyncio.wait_for(waiting, timeout=5)
    finally:
        await first.close()
        await second.close()


async def test_a_release_wakes_only_the_waiters_on_its_key(redis_url: str) -> None:
    first, second = RedisCache.from_url(redis_url), RedisCache.from_url(redis_url)
    try:
        assert await first.claim("q", "token-1", 60) and await first.claim("other", "token-3", 60)
        assert not await second.claim("q", "token-2", 60)
        waiting = asyncio.create_task(second.released("q", "token-2", timeout=60))
        await first.release("other", "token-3")
        done, _ = await asyncio.wait({waiting}, timeout=0.05)
        assert not done
        await first.release("q", "token-1")
        await asyncio.wait_for(waiting, timeout=5)
    finally:
        await first.close()
        await second.close()


async def test_an_unreachable_server_grants_every_claim_without_waiting(caplog: pytest.LogCaptureFixture) -> None:
    """Nobody can be told of a release then: every replica asks for itself."""
    cache = RedisCache.from_url("redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        assert await asyncio.wait_for(cache.claim("q", "token", 60), timeout=5)
    finally:
        await cache.close()
    assert "listening on refverify:claim:released failed" in caplog.text


async def test_a_replica_asking_what_another_is_asking_gets_its_answer_when_it_is_stored(
    redis_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two replicas, one question: one upstream call, and the waiting replica is woken by the release."""
    monkeypatch.setattr("app.lookups.CLAIM_RECHECK", 60.0)
    record = Record(source="crossref", title="A paper", doi="10.1000/x")
    first, second = RedisCache.from_url(redis_url), RedisCache.from_url(redis_url)
    answering, calls = asyncio.Event(), []

    async def ask() -> Record:
        calls.append(1)
        await answering.wait()
        return record

    try:
        asking = asyncio.create_task(Lookups(first, settings).resolve("crossref", "doi", "10.1000/x", ask))
        while not calls:
            await asyncio.sleep(0)
        waiting = asyncio.create_task(Lookups(second, settings).resolve("crossref", "doi", "10.1000/x", ask))
        done, _ = await asyncio.wait({waiting}, timeout=0.05)
        assert not done
        answering.set()
        assert await asyncio.wait_for(asking, timeout=5) == Answer(record, False)
        assert await asyncio.wait_for(waiting, timeout=5) == Answer(record, True)
    finally:
        await first.close()
        await second.close()
    assert len(calls) == 1
