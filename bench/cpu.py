"""Where the service's CPU goes: the verifier in this process, against a running simulator, timed per reference.

Usage (a zero-latency simulator on port 8800, as `bench/accuracy.sh` starts it):

    eval "$(cd ../shared/eval && python3 -m refsim env --port 8800)"
    .venv/bin/python bench/cpu.py [--refs 1000] [--gc service|default] [--cprofile tottime] [--idle]
        [--replay [--delay-ms 300]]

It builds the sources, cache (a fresh SQLite file) and verifier as the app's lifespan does, with throttling off
and the sources the simulator does not serve left out, verifies the first `--refs` distinct references of
hallmark_dev_public in batches of 100 after a warm-up of 20, and prints the CPU time per reference and the time
the garbage collector took by generation (`--gc service`: at the app's `GC_THRESHOLD`; `default`: Python's).
`--cprofile KEY` adds a deterministic profile sorted by KEY (it slows everything about twice). `--idle` first
measures what waking from idle costs this machine: the CPU time of a sleep, and of the same work done hot or
after sleeping. `--replay` puts a recording proxy (bench/replay.py) between the sources and the simulator, verifies
the references once to record every answer, then times them on a fresh cache with each answer replayed from memory:
the service's own CPU without the simulator's on the same cores; `--delay-ms` answers each replayed request after
a random 0 to 2 x that delay, so the service waits and wakes as it does on real upstreams.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from speed import call, free_port, load_items, wait_up  # noqa: E402

from app.cache import open_cache  # noqa: E402
from app.lookups import Lookups  # noqa: E402
from app.main import GC_THRESHOLD, collector_threshold  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.sources import Limits, build_sources, http_client  # noqa: E402
from app.verifier import Verifier  # noqa: E402

UNSERVED = "google_books,guardian,nyt,wikipedia,wayback,web"  # sources the simulator does not serve


@contextmanager
def collections_timed() -> Iterator[Counter[int]]:
    """CPU seconds the cyclic garbage collector spent, by generation, while the block runs."""
    spent: Counter[int] = Counter()
    started = [0.0]

    def watch(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.thread_time()
        else:
            spent[info["generation"]] += time.thread_time() - started[0]

    gc.callbacks.append(watch)
    try:
        yield spent
    finally:
        gc.callbacks.remove(watch)


async def verify(items: list[Any], args: argparse.Namespace, settings: Settings, *, timed: bool = True) -> None:
    cache = open_cache(settings.cache_url)
    async with http_client(settings) as client:
        verifier = Verifier(build_sources(client, settings, Limits()), settings, lookups=Lookups(cache, settings))
        if not timed:  # the replay's recording pass
            await verifier.verify(items)
            await cache.close()
            return
        await verifier.verify(items[:20])  # connections opened, modules warm
        profile = cProfile.Profile() if args.cprofile else None
        pace = collector_threshold(GC_THRESHOLD) if args.gc == "service" else nullcontext()
        with pace, collections_timed() as spent:
            started, switches = time.process_time(), context_switches()
            if profile:
                profile.enable()
            for i in range(20, len(items), 100):
                await verifier.verify(items[i : i + 100])
            if profile:
                profile.disable()
            cpu = time.process_time() - started
            woken = [b - a for a, b in zip(switches, context_switches(), strict=True)]
            thresholds = gc.get_threshold()
        n = len(items) - 20
        print(f"{n} references: CPU {cpu / n * 1000:.2f} ms a reference")
        print(f"context switches a reference: {woken[0] / n:.2f} waiting (wake-ups), {woken[1] / n:.2f} preempted")
        collected = ", ".join(f"generation {g} {s:.2f} s" for g, s in sorted(spent.items()))
        print(f"garbage collector ({args.gc} thresholds {thresholds}): {collected or 'never ran'}")
        if profile:
            pstats.Stats(profile).sort_stats(args.cprofile).print_stats(40)
    await cache.close()


def context_switches() -> tuple[int, int]:
    """This process's voluntary (it waited) and involuntary (it was preempted) context switches so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_nvcsw, usage.ru_nivcsw


@contextmanager
def replaying(settings: Settings, delay_ms: float) -> Iterator[Settings]:
    """`settings` with the sources pointed at a recording proxy (bench/replay.py) in front of the simulator."""
    simulator = urlsplit(settings.crossref_url)
    origin = f"{simulator.scheme}://{simulator.netloc}"
    port = free_port()
    proxy = f"http://127.0.0.1:{port}"
    args = ["--upstream", origin, "--port", str(port), "--delay-ms", str(delay_ms)]
    process = subprocess.Popen([sys.executable, str(ROOT / "bench" / "replay.py"), *args])
    try:
        wait_up(proxy + "/_replay/stats")
        urls = {
            name: value.replace(origin, proxy)
            for name, value in settings.model_dump().items()
            if name.endswith("_url") and isinstance(value, str) and value.startswith(origin)
        }
        yield settings.model_copy(update=urls)
    finally:
        process.terminate()
        process.wait()


def idle_cost() -> None:
    """The CPU a process pays for sleeping and waking, and for doing the same work hot or just after a sleep: the
    work reads objects spread over about `megabytes`, as handling an answer reads the service's own."""
    for gap in (0.0005, 0.005, 0.02):
        started = time.process_time()
        for _ in range(200):
            time.sleep(gap)
        print(f"sleep {gap * 1000:g} ms and wake: {(time.process_time() - started) / 200 * 1e6:.0f} us of CPU")
    for megabytes in (0.25, 1, 4):
        objects = [{"n": i, "s": str(i)} for i in range(int(megabytes * 4_000))]  # a dict and a str: ~250 bytes
        order = random.Random(0).sample(range(len(objects)), len(objects))

        def work(objects: list[dict[str, Any]] = objects, order: list[int] = order) -> int:
            return sum(objects[i]["n"] for i in order)

        started = time.process_time()
        for _ in range(200):
            work()
        hot = (time.process_time() - started) / 200
        started = time.process_time()
        for _ in range(200):
            time.sleep(0.005)
            work()
        after = (time.process_time() - started) / 200
        print(
            f"reading {megabytes:g} MB of objects: {hot * 1e6:.0f} us hot; after a 5 ms sleep {after * 1e6:.0f} us"
            " (sleep included)"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--refs", type=int, default=1000)
    p.add_argument("--gc", choices=("service", "default"), default="service")
    p.add_argument("--cprofile", metavar="KEY", help="also profile, sorted by KEY (tottime, cumulative...)")
    p.add_argument("--idle", action="store_true", help="first measure what waking from idle costs")
    p.add_argument("--replay", action="store_true", help="time on the simulator's answers replayed by a proxy")
    p.add_argument("--delay-ms", type=float, default=0.0, help="with --replay: mean delay of a replayed answer")
    args = p.parse_args()
    if not os.environ.get("REFVERIFY_CROSSREF_URL"):
        sys.exit('point the sources at a simulator first: eval "$(python3 -m refsim env --port 8800)"')
    if args.idle:
        idle_cost()
    items = load_items(args.refs + 20)
    settings = Settings(throttle=False, disabled_sources=UNSERVED)
    answers = replaying(settings, args.delay_ms) if args.replay else nullcontext(settings)
    with tempfile.TemporaryDirectory() as work, answers as settings:
        if args.replay:  # record every answer first, on a cache of its own
            recording = settings.model_copy(update={"cache_url": f"sqlite:///{Path(work) / 'recording.sqlite'}"})
            asyncio.run(verify(items, args, recording, timed=False))
            recorded = replay_stats(settings)
        timed = settings.model_copy(update={"cache_url": f"sqlite:///{Path(work) / 'cache.sqlite'}"})
        asyncio.run(verify(items, args, timed))
        if args.replay:
            stats = replay_stats(settings)
            replayed, forwarded = (stats[k] - recorded[k] for k in ("repeated", "forwarded"))
            print(f"replay: {replayed} answers from memory, {forwarded} not recorded (forwarded to the simulator)")


def replay_stats(settings: Settings) -> dict[str, int]:
    proxy = urlsplit(settings.crossref_url)
    stats: dict[str, int] = call("GET", f"{proxy.scheme}://{proxy.netloc}/_replay/stats")
    return stats


if __name__ == "__main__":
    main()
