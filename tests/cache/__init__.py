"""Tests of the cache backends. `redis_server` is shared with tests/test_jobs.py (it belongs in a conftest)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Bounded wait for a fresh redis-server to accept connections: the only real sleeping in the tests.
STARTUP_TIMEOUT = 10.0


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A throwaway redis-server on a free loopback port, yielding its URL; skips when Redis is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed: `apt-get install redis-server` runs the Redis backend tests")
    pytest.importorskip("redis", reason="the `redis` package is not installed: `pip install redis`")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    log = directory / "redis.log"
    server = subprocess.Popen([*args, "--dir", str(directory), "--logfile", str(log)], stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    detail = log.read_text() if log.exists() else ""
                    raise RuntimeError(f"redis-server did not start on port {port}: {detail}") from None
                time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def flush(url: str) -> None:
    """Empty the server between tests (a synchronous client: fixtures run outside the event loop)."""
    import redis

    with redis.Redis.from_url(url) as client:
        client.flushall()


class Clock:
    """A settable wall clock for TTLs and timestamps: tests move time instead of sleeping."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
