"""The cache of upstream answers and verdicts: the `Cache` protocol, SQLite (embedded default) and Redis (shared).

`open_cache(settings.cache_url)` picks the backend from the URL scheme; nothing connects until first use.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from app.cache.base import Cache, CacheEntry, CacheStats, StoreUnavailable

__all__ = ["Cache", "CacheEntry", "CacheStats", "StoreUnavailable", "backend", "open_cache"]

REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})


def backend(url: str) -> str:
    """The backend for a storage URL, "sqlite" or "redis"; `ValueError` naming the URL for anything else."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return "sqlite"
    if scheme in REDIS_SCHEMES:
        return "redis"
    raise ValueError(f"unsupported cache URL {url!r}: expected sqlite:///path or redis://host:port/db")


def open_cache(url: str) -> Cache:
    """The cache at `url`: `sqlite:///relative/path`, `sqlite:////abs/path`, `sqlite:///:memory:`, `redis://...`."""
    if backend(url) == "sqlite":
        from app.cache.sqlite import SqliteCache

        return SqliteCache.from_url(url)
    from app.cache.redis import RedisCache

    return RedisCache.from_url(url)
