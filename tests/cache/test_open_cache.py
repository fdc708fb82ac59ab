"""`open_cache` picks the backend from the URL scheme and reads SQLite paths the SQLAlchemy way."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.cache import CacheEntry, backend, open_cache
from app.cache.sqlite import SqliteCache, sqlite_path


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/refverify.sqlite", "data/refverify.sqlite"),
        ("sqlite:////var/lib/refverify/cache.sqlite", "/var/lib/refverify/cache.sqlite"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_url_gives_the_path(url: str, path: str) -> None:
    assert sqlite_path(url) == path


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite://data/x.sqlite"])
def test_sqlite_url_without_a_path_is_rejected(url: str) -> None:
    with pytest.raises(ValueError, match="not a SQLite URL"):
        sqlite_path(url)


@pytest.mark.parametrize(
    ("url", "kind"),
    [("sqlite:///x.db", "sqlite"), ("redis://localhost:6379/0", "redis"), ("rediss://cache:6380/1", "redis")],
)
def test_backend_follows_the_scheme(url: str, kind: str) -> None:
    assert backend(url) == kind


@pytest.mark.parametrize("url", ["memcached://localhost:11211", "data/refverify.sqlite", "postgres://db/x", ""])
def test_unsupported_url_raises_value_error_naming_it(url: str) -> None:
    with pytest.raises(ValueError, match=f"unsupported cache URL '{url}'"):
        open_cache(url)


async def test_relative_sqlite_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cache = open_cache("sqlite:///data/refverify.sqlite")
    assert isinstance(cache, SqliteCache)
    await cache.set("k", 1, ttl=60)
    await cache.close()
    assert (tmp_path / "data" / "refverify.sqlite").is_file()


async def test_absolute_sqlite_url_opens_that_file(tmp_path: Path) -> None:
    path = tmp_path / "abs.sqlite"
    cache = open_cache(f"sqlite:///{path}")  # path starts with "/": four slashes in all
    await cache.set("k", "v", ttl=60)
    await cache.close()
    reopened = open_cache(f"sqlite:///{path}")
    try:
        assert await reopened.get("k") == CacheEntry("v")
    finally:
        await reopened.close()


async def test_memory_url_opens_a_working_cache() -> None:
    cache = open_cache("sqlite:///:memory:")
    try:
        await cache.set("k", None, ttl=60)
        assert await cache.get("k") == CacheEntry(None)
    finally:
        await cache.close()


async def test_redis_url_opens_the_redis_backend_without_connecting() -> None:
    pytest.importorskip("redis", reason="the `redis` package is not installed: `pip install redis`")
    from app.cache.redis import RedisCache

    cache = open_cache("redis://127.0.0.1:1/0")  # nothing listens there; no connection is made yet
    assert isinstance(cache, RedisCache)
    await cache.close()


def test_redis_url_without_the_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # makes `import redis...` fail as if not installed
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(ImportError, match="needs the 'redis' package"):
        open_cache("redis://localhost:6379/0")
