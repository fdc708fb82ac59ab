"""The embedded SQLite cache: hits, misses, negative entries, TTL by an injected clock, persistence, concurrency."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from app.cache import CacheEntry, CacheStats
from app.cache.base import StoreUnavailable
from app.cache.sqlite import PURGE_EVERY, SqliteCache, SqliteDb
from tests.cache import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def cache(tmp_path: Path, clock: Clock) -> AsyncIterator[SqliteCache]:
    c = SqliteCache(str(tmp_path / "cache.sqlite"), clock=clock)
    yield c
    await c.close()


def _count_trips(cache: SqliteCache, monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """One item for each trip to the database from now on."""
    trips: list[None] = []
    run = cache._db.run

    async def counted(fn: Any) -> Any:
        trips.append(None)
        return await run(fn)

    monkeypatch.setattr(cache._db, "run", counted)
    return trips


async def test_unknown_key_is_a_miss(cache: SqliteCache) -> None:
    assert await cache.get("doi:10.1000/none") is None


async def test_stored_json_comes_back_as_a_hit(cache: SqliteCache) -> None:
    value = {"title": "Über Zahlen — eine Einführung", "authors": [{"family": "Nöther"}], "year": 1921, "ok": True}
    await cache.set("k", value, ttl=60)
    assert await cache.get("k") == CacheEntry(value)


async def test_cached_none_is_a_negative_entry_not_a_miss(cache: SqliteCache) -> None:
    await cache.set("doi:10.1000/missing", None, ttl=60)
    entry = await cache.get("doi:10.1000/missing")
    assert entry is not None
    assert entry.value is None


async def test_empty_list_is_a_hit(cache: SqliteCache) -> None:
    await cache.set("search:nothing", [], ttl=60)
    assert await cache.get("search:nothing") == CacheEntry([])


async def test_many_keys_are_read_in_order_in_one_trip_each_a_hit_a_negative_entry_or_a_miss(
    cache: SqliteCache, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await cache.set("old", 1, ttl=10)
    await cache.set("none", None, ttl=60)
    clock.now += 10
    trips = _count_trips(cache, monkeypatch)
    writing = asyncio.ensure_future(cache.set("pending", 2, ttl=60))  # asked for, not yet committed
    await asyncio.sleep(0)
    keys = ["none", "old", "pending", *(f"k{i}" for i in range(1200))]  # more than one statement's parameters
    entries = await cache.get_many(keys)
    assert len(trips) == 1 and entries[:4] == [CacheEntry(None), None, CacheEntry(2), None]
    assert len(entries) == len(keys) and cache.stats() == CacheStats(hits=2, misses=len(keys) - 2)
    await writing


async def test_entry_expires_when_its_ttl_has_passed(cache: SqliteCache, clock: Clock) -> None:
    await cache.set("k", "v", ttl=100)
    clock.now += 99
    assert await cache.get("k") == CacheEntry("v")
    clock.now += 1
    assert await cache.get("k") is None


async def test_set_again_replaces_value_and_renews_ttl(cache: SqliteCache, clock: Clock) -> None:
    await cache.set("k", "old", ttl=10)
    clock.now += 5
    await cache.set("k", "new", ttl=10)
    clock.now += 9
    assert await cache.get("k") == CacheEntry("new")


async def test_zero_ttl_stores_nothing_and_drops_the_old_entry(cache: SqliteCache) -> None:
    await cache.set("k", "old", ttl=60)
    await cache.set("k", "new", ttl=0)
    assert await cache.get("k") is None


async def test_delete_forgets_the_key(cache: SqliteCache) -> None:
    await cache.set("k", 1, ttl=60)
    await cache.delete("k")
    await cache.delete("never-set")
    assert await cache.get("k") is None


async def test_stats_count_hits_and_misses(cache: SqliteCache) -> None:
    await cache.set("k", None, ttl=60)
    await cache.get("k")
    await cache.get("k")
    await cache.get("other")
    assert cache.stats() == CacheStats(hits=2, misses=1, errors=0)


async def test_unencodable_value_raises_in_the_caller(cache: SqliteCache) -> None:
    with pytest.raises(TypeError):
        await cache.set("k", {1, 2}, ttl=60)


async def test_nan_is_stored_as_null_since_json_has_no_nan(cache: SqliteCache) -> None:
    await cache.set("k", [float("nan")], ttl=60)
    assert await cache.get("k") == CacheEntry([None])


async def test_entries_survive_reopening_the_file(tmp_path: Path, clock: Clock) -> None:
    path = str(tmp_path / "cache.sqlite")
    first = SqliteCache(path, clock=clock)
    await first.set("k", {"v": 1}, ttl=60)
    await first.close()
    second = SqliteCache(path, clock=clock)
    try:
        assert await second.get("k") == CacheEntry({"v": 1})
    finally:
        await second.close()


async def test_parent_directories_are_created(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "a" / "b" / "cache.sqlite"
    c = SqliteCache(str(path), clock=clock)
    await c.set("k", 1, ttl=60)
    await c.close()
    assert path.is_file()


async def test_memory_database_works_and_is_private_to_the_cache(clock: Clock) -> None:
    one, two = SqliteCache(":memory:", clock=clock), SqliteCache(":memory:", clock=clock)
    try:
        await one.set("k", "v", ttl=60)
        assert await one.get("k") == CacheEntry("v")
        assert await two.get("k") is None
    finally:
        await one.close()
        await two.close()


async def test_many_concurrent_tasks_each_read_their_own_write(cache: SqliteCache) -> None:
    async def roundtrip(i: int) -> CacheEntry | None:
        await cache.set(f"k{i}", {"i": i}, ttl=60)
        return await cache.get(f"k{i}")

    entries = await asyncio.gather(*(roundtrip(i) for i in range(200)))
    assert entries == [CacheEntry({"i": i}) for i in range(200)]
    assert cache.stats().hits == 200


async def test_statements_run_off_the_event_loop_thread(tmp_path: Path) -> None:
    db = SqliteDb(str(tmp_path / "x.sqlite"), "")
    try:
        worker = await db.run(lambda conn: threading.get_ident())
    finally:
        await db.close()
    assert worker != threading.get_ident()


async def test_an_inline_database_runs_statements_on_the_event_loop_thread(tmp_path: Path) -> None:
    db = SqliteDb(str(tmp_path / "x.sqlite"), "", inline=True)
    try:
        worker = await db.run(lambda conn: threading.get_ident())
    finally:
        await db.close()
    assert worker == threading.get_ident()


async def test_a_closed_database_raises_store_unavailable(tmp_path: Path) -> None:
    db = SqliteDb(str(tmp_path / "x.sqlite"), "", inline=True)
    await db.close()
    with pytest.raises(StoreUnavailable):
        await db.run(lambda conn: None)


async def test_expired_rows_are_purged_on_write(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "cache.sqlite"
    c = SqliteCache(str(path), clock=clock)
    await c.set("short", 1, ttl=10)  # the first write purges (nothing yet)
    for i in range(PURGE_EVERY - 1):
        await c.set(f"k{i}", i, ttl=1000)
    clock.now += 10
    await c.set("last", 1, ttl=1000)  # write number PURGE_EVERY + 1 purges again
    await c.close()
    with sqlite3.connect(path) as conn:
        keys = {k for (k,) in conn.execute("SELECT key FROM cache")}
    conn.close()
    assert "short" not in keys
    assert "last" in keys


async def test_unusable_file_degrades_to_misses_counted_as_errors(tmp_path: Path, clock: Clock) -> None:
    (tmp_path / "file").write_text("not a directory")
    c = SqliteCache(str(tmp_path / "file" / "cache.sqlite"), clock=clock)
    try:
        await c.set("k", 1, ttl=60)
        assert await c.get("k") is None
    finally:
        await c.close()
    assert c.stats() == CacheStats(hits=0, misses=1, errors=2)


async def test_corrupt_stored_value_is_a_miss(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "cache.sqlite"
    c = SqliteCache(str(path), clock=clock)
    await c.set("k", 1, ttl=60)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE cache SET value = '{truncated' WHERE key = 'k'")
    conn.close()
    try:
        assert await c.get("k") is None
    finally:
        await c.close()
    assert c.stats().errors == 1


async def test_close_is_idempotent_and_later_use_degrades(cache: SqliteCache) -> None:
    await cache.close()
    await cache.close()
    assert await cache.get("k") is None
    assert cache.stats().errors == 1


async def test_writes_asked_together_are_committed_in_one_transaction(
    cache: SqliteCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    await cache.set("old", 1, ttl=60)
    trips = _count_trips(cache, monkeypatch)
    await asyncio.gather(*(cache.set(f"k{i}", i, ttl=60) for i in range(10)))
    assert len(trips) == 1
    assert [await cache.get(f"k{i}") for i in range(10)] == [CacheEntry(i) for i in range(10)]


async def test_a_read_sees_the_writes_asked_before_it(cache: SqliteCache) -> None:
    await cache.set("old", 1, ttl=60)
    writes = [cache.set(f"k{i}", i, ttl=60) for i in range(10)]
    reads = [cache.get("old"), cache.get("k3"), cache.get("none")]
    *_, old, k3, none = await asyncio.gather(*writes, *reads)
    assert (old, k3, none) == (CacheEntry(1), CacheEntry(3), None)


async def test_a_failing_trip_fails_every_operation_in_it_as_a_miss_or_a_skipped_write(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = SqliteCache(str(blocker / "cache.sqlite"))
    results = await asyncio.gather(cache.get("a"), cache.get("b"), cache.set("c", 1, ttl=60))
    assert results == [None, None, None]
    assert cache.stats().errors == 3
    await cache.close()
