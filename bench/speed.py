"""Speed of the service against the kit's simulator: cold and warm job times against the bound the upstreams'
rate limits imply, service CPU and memory per reference, and three replicas sharing one Redis.

Everything runs as subprocesses on loopback ports (simulator, service, redis-server) and is stopped at the end.
Standard library only; the service runs from the project's .venv.

Usage: python bench/speed.py [--time-scale 0.5] [--limit 1000] [--overhead-refs 10000] [--skip overhead,replicas]

Lower bound of a cold job: every upstream admits at most `rate` requests per second (its documented limit, the
simulator's `--limits real`); the simulator's clock runs `time_scale` times as fast, so source s needs at least
    calls_s * time_scale / rate_s   seconds
for the calls it received, and the job at least the largest of these (Crossref's two pools counted apart). The
service may not beat it; the target is measured / bound <= 1.25.

Why time scale 0.5 by default: the simulator is one Python process, and a Crossref search costs it about 80 ms of
CPU (an FTS5 query ranked over every record sharing a word with the citation). At 0.2 Crossref's 3 searches a
second become 15, which would take it 1.2 CPU seconds a second: the simulator, not the limits, set the pace
(0.2 is still accepted; the report prints the simulator's CPU time beside the wall time).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import lzma
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT.parent / "shared" / "eval"
PYTHON = ROOT / ".venv" / "bin" / "python"
SPLIT = "hallmark_dev_public"

# Documented limits the simulator enforces (kit README, "Time, limits, faults"): requests per second, polite pools
# (the service identifies itself with a mailto), no PubMed key. doi.org and Europe PMC have none.
RATES = {
    "crossref:single": 10.0,  # /works/{doi}
    "crossref:array": 3.0,  # searches
    "openalex": 10.0,
    "semantic_scholar": 1.0,
    "arxiv": 1 / 3,
    "dblp": 1.0,
    "pubmed": 3.0,
    "datacite": 1000 / 300,
    "openlibrary": 3.0,
}

# The service in a subprocess, its throttle on the simulator's clock (REFVERIFY_THROTTLE_TIME_SCALE).
LAUNCHER = """
import uvicorn
from app.main import create_app
from app.settings import Settings
settings = Settings()
uvicorn.run(create_app(settings), host="127.0.0.1", port=settings.port, access_log=False, log_level="warning")
"""

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = 1000  # results fetched per page of a done job
POLL_FAR, POLL_NEAR, NEAR_END = 0.5, 0.05, 25  # seconds between polls; references left when near the end


class Processes:
    """Subprocesses started by this run, each stopped (TERM, then KILL) at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, args: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> int:
        log = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        self.running.append(proc)
        return proc.pid

    def stop(self, pid: int) -> None:
        for proc in self.running:
            if proc.pid == pid:
                _stop(proc)
                self.running.remove(proc)
                return

    def stop_all(self) -> None:
        for proc in reversed(self.running):
            _stop(proc)
        self.running.clear()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def call(method: str, url: str, body: Any = None, timeout: float = 600) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            call("GET", url, timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up in {timeout} s") from None
            time.sleep(0.1)


def wait_listening(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on port {port} after {timeout} s") from None
            time.sleep(0.05)


def load_items(limit: int) -> list[Any]:
    with lzma.open(KIT / "data" / f"{SPLIT}.jsonl.xz", "rt", encoding="utf-8") as f:
        items = [json.loads(line)["input"] for line in f]
    return items[:limit] if limit <= len(items) else widen(items, limit)


def widen(items: list[Any], n: int) -> list[Any]:
    """`n` items from the split, repeating it with trailing spaces so every repeat is a new item (own key)."""
    out = []
    for i in range(n):
        item, repeat = items[i % len(items)], i // len(items)
        if repeat and isinstance(item, str):
            item = item + " " * repeat
        elif repeat:
            item = {**item, "note": " " * repeat}  # CSL `note`: not read for verification
        out.append(item)
    return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15 of proc(5))


def context_switches(pid: int) -> tuple[int, int]:
    """The process's voluntary (it waited: each a wake-up) and involuntary (it was preempted) context switches."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["voluntary_ctxt_switches"]), int(fields["nonvoluntary_ctxt_switches"])


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


class Bench:
    def __init__(self, args: argparse.Namespace, procs: Processes, work: Path) -> None:
        self.args = args
        self.procs = procs
        self.work = work
        self.world = args.world
        self.late = 0  # references of the last job that passed their deadline
        self.span = (0.0, 0.0)  # the last job's submission and the moment it was seen done (wall clock)

    def simulator(self, *, realistic: bool) -> tuple[int, str, Path]:
        port = free_port()
        log = self.work / f"sim-{port}.jsonl"
        mode = ["--latency", "realistic", "--limits", "real"] if realistic else ["--latency", "zero", "--limits", "off"]
        args = [sys.executable, "-m", "refsim", "serve", "--db", str(self.world), "--port", str(port), *mode]
        args += ["--time-scale", str(self.args.time_scale), "--log", str(log)]
        pid = self.procs.start(f"sim-{port}", args, cwd=KIT)
        url = f"http://127.0.0.1:{port}"
        wait_up(url + "/_sim/health")
        return pid, url, log

    def service(self, sim: str, *, cache_url: str | None = None, throttle: bool = True) -> tuple[int, str]:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("REFVERIFY_")}
        for line in urllib.request.urlopen(sim + "/_sim/env", timeout=10).read().decode().splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = value
        env |= {
            "REFVERIFY_PORT": str(port),
            "REFVERIFY_CACHE_URL": cache_url or f"sqlite:///{self.work / f'cache-{port}.sqlite'}",
            "REFVERIFY_THROTTLE": "true" if throttle else "false",
            "REFVERIFY_THROTTLE_TIME_SCALE": str(self.args.time_scale),
            # The simulator serves the scholarly APIs and Open Library; the news, book and web sources it lacks would
            # be asked on the real internet, which this machine cannot reach: their timeouts are not the service's.
            "REFVERIFY_DISABLED_SOURCES": "google_books,guardian,nyt,wikipedia,wayback,web",
        }
        pid = self.procs.start(f"service-{port}", [str(PYTHON), "-c", LAUNCHER], env=env, cwd=ROOT)
        url = f"http://127.0.0.1:{port}"
        wait_up(url + "/healthz")
        return pid, url

    def job(self, service: str, items: list[Any], *, poll: float | None = None, results: bool = True) -> float:
        """Seconds from submitting the job to seeing it done (polling progress only, `limit=0`, every `poll`
        seconds or `pause(left)`); then, unless `results` is False, `late` counts its references left undecided at
        their deadline."""
        start, submitted = time.monotonic(), time.time()
        job = call("POST", service + "/v1/jobs", {"references": items})
        while left := remaining(service, job["id"]):
            time.sleep(poll if poll is not None else pause(left))
        seconds = time.monotonic() - start
        self.span = (submitted, time.time())
        self.late = late(service, job["id"]) if results else 0
        return seconds

    def cold_and_warm(self, items: list[Any]) -> dict[str, Any]:
        sim_pid, sim, log = self.simulator(realistic=True)
        pid, service = self.service(sim)
        call("POST", sim + "/_sim/reset", {})
        cpu_before = cpu_seconds(sim_pid), cpu_seconds(pid)
        cold = self.job(service, items)
        late, span = self.late, self.span
        # The simulator is one Python process: its CPU time bounds how fast it can answer at all.
        cpu = cpu_seconds(sim_pid) - cpu_before[0], cpu_seconds(pid) - cpu_before[1]
        stats = call("GET", sim + "/_sim/stats")
        calls = per_rule(log)
        steps = timeline(log, *span)
        call("POST", sim + "/_sim/reset", {})
        warm = self.job(service, items, poll=0.02)
        warm_stats = call("GET", sim + "/_sim/stats")
        self.procs.stop(pid)
        self.procs.stop(sim_pid)
        bounds = {rule: n * self.args.time_scale / RATES[rule] for rule, n in calls.items() if rule in RATES}
        return {
            "cold": cold,
            "past_deadline": late,
            "sim_cpu": cpu[0],
            "service_cpu": cpu[1],
            "bound": max(bounds.values(), default=0.0),
            "bounds": bounds,
            "calls": calls,
            "timeline": steps,
            "stats": stats,
            "warm": warm,
            "warm_calls": sum(s["calls"] for s in sources(warm_stats).values()),
        }

    def overhead(self, items: list[Any]) -> dict[str, Any]:
        sim_pid, sim, _ = self.simulator(realistic=False)
        pid, service = self.service(sim, throttle=False)
        per_ref = []
        batch = self.args.batch
        timed = min(len(items), self.args.cpu_refs)
        switches = context_switches(pid)
        for i in range(0, timed, batch):
            chunk = items[i : i + batch]
            before = cpu_seconds(pid)
            call("POST", service + "/v1/verify", {"references": chunk})
            per_ref.append((cpu_seconds(pid) - before) / len(chunk) * 1000)
        woken = [(after - before) / timed for before, after in zip(switches, context_switches(pid), strict=True)]
        self.procs.stop(pid)
        pid, service = self.service(sim, throttle=False)  # a fresh process: its peak is the job's
        seconds = self.job(service, items, poll=2.0, results=False)  # the peak is the job's, not its reading's
        hwm = vm_hwm_mb(pid)
        self.procs.stop(pid)
        self.procs.stop(sim_pid)
        return {
            "cpu_ms": statistics.median(per_ref),
            "cpu_batches": per_ref,
            "switches": woken,
            "hwm_mb": hwm,
            "job_s": seconds,
        }

    def replicas(self, items: list[Any], n: int = 3) -> dict[str, Any]:
        redis = shutil.which("redis-server")
        if redis is None:
            raise RuntimeError("redis-server is not installed")
        port = free_port()
        args = [redis, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
        redis_pid = self.procs.start(f"redis-{port}", [*args, "--dir", str(self.work)])
        wait_listening(port)  # before the next free_port(), which could otherwise hand out the same port
        sim_pid, sim, log = self.simulator(realistic=True)
        url = f"redis://127.0.0.1:{port}/0"
        services = [self.service(sim, cache_url=url) for _ in range(n)]
        urls = [s for _, s in services]
        call("POST", sim + "/_sim/reset", {})
        pids = [sim_pid, redis_pid, *(pid for pid, _ in services)]
        cpu_before = [cpu_seconds(pid) for pid in pids]
        shares = [items[i::n] for i in range(n)]
        # Submitted and polled at once, as a client fanning a list out to replicas would: one after the other,
        # the last replica would start (and be seen done) a few POSTs later than the first.
        with ThreadPoolExecutor(n) as fan:
            start, submitted = time.monotonic(), time.time()
            posted = fan.map(lambda s, share: call("POST", s + "/v1/jobs", {"references": share}), urls, shares)
            pending = {job["id"]: s for s, job in zip(urls, posted, strict=True)}
            jobs = list(pending.items())
            while pending:
                lefts = dict(zip(pending, fan.map(remaining, pending.values(), pending), strict=True))
                pending = {job_id: s for job_id, s in pending.items() if lefts[job_id]}
                if pending:
                    time.sleep(min(pause(n) for n in lefts.values() if n))
            wall = time.monotonic() - start
            done = time.time()
        past_deadline = sum(late(s, job_id) for job_id, s in jobs)
        cpu = [cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before, strict=True)]
        commands = redis_commands(port)
        stats = call("GET", sim + "/_sim/stats")
        calls = per_rule(log)
        steps = timeline(log, submitted, done)
        for pid, _ in services:
            self.procs.stop(pid)
        self.procs.stop(sim_pid)
        self.procs.stop(redis_pid)
        bounds = {rule: c * self.args.time_scale / RATES[rule] for rule, c in calls.items() if rule in RATES}
        return {
            "wall": wall,
            "stats": stats,
            "bound": max(bounds.values(), default=0.0),
            "calls": calls,
            "timeline": steps,
            "past_deadline": past_deadline,
            "sim_cpu": cpu[0],
            "redis_cpu": cpu[1],
            "service_cpu": cpu[2:],
            "redis_commands": commands,
        }


def redis_commands(port: int) -> dict[str, int]:
    """Commands the Redis server at `port` has run, by name (`INFO commandstats`)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"INFO commandstats\r\n")
        data = conn.recv(65536)
        size = int(data[1 : data.index(b"\r\n")])
        while len(data) < size + len(str(size)) + 5:
            data += conn.recv(65536)
    counts = {}
    for line in data.decode().splitlines():
        if line.startswith("cmdstat_"):
            name, _, fields = line.removeprefix("cmdstat_").partition(":")
            counts[name] = int(fields.split(",")[0].removeprefix("calls="))
    return counts


def remaining(service: str, job_id: str) -> int:
    """References of the job not decided yet: 0 once it is done (raises when it failed)."""
    view = call("GET", f"{service}/v1/jobs/{job_id}?limit=0")
    if view["status"] == "failed":
        raise RuntimeError(f"job failed: {view['error']}")
    return 0 if view["status"] == "done" else max(1, int(view["total"]) - int(view["done"]))


def pause(left: int) -> float:
    """Seconds before polling a job again: rarely while much is left (each poll costs the service CPU, three
    services three times as much), often near the end (the wall time is read to within the pause)."""
    return POLL_NEAR if left <= NEAR_END else POLL_FAR


def late(service: str, job_id: str) -> int:
    """References of a done job left undecided because their deadline passed."""
    view = call("GET", f"{service}/v1/jobs/{job_id}?limit={PAGE}")
    results = list(view["results"])
    while view["links"]["next"]:
        view = call("GET", service + view["links"]["next"])
        results += view["results"]
    return sum(1 for r in results if _past_deadline(r))


def _past_deadline(result: dict[str, Any]) -> bool:
    """A reference left undecided because its deadline passed (waiting in queues counts)."""
    return any("deadline" in (s.get("detail") or "") for s in result.get("sources", []))


def sources(stats: dict[str, Any]) -> dict[str, Any]:
    """Per-source stats (the snapshot's layout: `sources` or the sources at the top level)."""
    found = stats.get("sources", stats)
    return {k: v for k, v in found.items() if isinstance(v, dict) and "calls" in v}


def per_rule(log: Path) -> dict[str, int]:
    """Calls each rate rule received, from the simulator's request log (Crossref's pools apart)."""
    counts: dict[str, int] = {}
    with log.open(encoding="utf-8") as f:
        for line in f:
            rule = rule_of(json.loads(line))
            counts[rule] = counts.get(rule, 0) + 1
    return counts


def rule_of(rec: dict[str, Any]) -> str:
    """The rate rule a logged request counted against: its source, Crossref's DOI lookups (`crossref:single`)
    and searches (`crossref:array`) apart."""
    rule: str = rec["source"]
    if rule == "crossref":
        path = rec["path"].split("?", 1)[0].removeprefix("/crossref").removeprefix("/v1")
        rule += ":single" if path.startswith("/works/") else ":array"
    return rule


def timeline(log: Path, submitted: float, done: float) -> dict[str, float]:
    """Where a job's wall time went, in seconds from its submission (both clocks are this machine's): the first
    request to reach the simulator, the first Crossref search, the last answer written, and the moment the job was
    seen done (the last answer plus deciding, storing and the poll's pause)."""
    first = search = math.inf
    last = -math.inf
    with log.open(encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            arrived = rec["t"] - rec["latency_ms"] / 1000  # the log's time is the answer's end
            first = min(first, arrived)
            last = max(last, rec["t"])
            if rule_of(rec) == "crossref:array":
                search = min(search, arrived)
    return {
        "first_request": first - submitted,
        "first_search": search - submitted,
        "last_answer": last - submitted,
        "seen_done": done - submitted,
    }


def violations(stats: dict[str, Any]) -> tuple[int, int]:
    per = sources(stats).values()
    return sum(s.get("rate_limited_429", 0) for s in per), sum(s.get("concurrency_violations", 0) for s in per)


def report(args: argparse.Namespace, results: dict[str, Any]) -> None:
    print(f"\nspeed: {SPLIT}, time scale {args.time_scale}, {args.limit} references (cold/warm/replicas)\n")
    print("| measure | value | target |\n|---|---|---|")
    if cw := results.get("cold_warm"):
        r429, conc = violations(cw["stats"])
        print(f"| cold job wall time | {cw['cold']:.1f} s | |")
        print(f"| lower bound from the upstreams' limits | {cw['bound']:.1f} s | |")
        print(
            f"| cold / bound | {cw['cold'] / cw['bound']:.2f} | <= 1.25 |" if cw["bound"] else "| cold / bound | - | |"
        )
        print(f"| 429s provoked, concurrency violations | {r429}, {conc} | 0, 0 |")
        print(f"| references past their deadline (cold) | {cw['past_deadline']} | 0 |")
        print(f"| CPU during the cold job: simulator, service | {cw['sim_cpu']:.1f} s, {cw['service_cpu']:.1f} s | |")
        print(f"| warm job wall time | {cw['warm']:.2f} s | |")
        print(f"| cold / warm | {cw['cold'] / cw['warm']:.0f} | >= 50 |")
        print(f"| upstream calls during the warm job | {cw['warm_calls']} | 0 |")
    if oh := results.get("overhead"):
        print(f"| service CPU per reference (median of batches of {args.batch}) | {oh['cpu_ms']:.2f} ms | <= 3 ms |")
        print(f"| peak RSS (VmHWM), {args.overhead_refs}-reference job | {oh['hwm_mb']:.0f} MB | <= 300 MB |")
    if rp := results.get("replicas"):
        r429, conc = violations(rp["stats"])
        single = results.get("cold_warm", {}).get("cold")
        one = f" (1 replica: {single:.1f} s)" if single else ""
        print(f"| 3 replicas + Redis, cold job wall time | {rp['wall']:.1f} s{one} | <= 1 replica |")
        print(f"| 3 replicas: 429s, concurrency violations | {r429}, {conc} | 0, 0 |")
        print(f"| 3 replicas: references past their deadline | {rp['past_deadline']} | 0 |")
    print()
    if cw:
        print("cold job, calls per rate rule -> seconds needed at the limit:")
        for rule, n in sorted(cw["calls"].items(), key=lambda kv: -cw["bounds"].get(kv[0], 0)):
            bound = cw["bounds"].get(rule)
            print(f"  {rule:22} {n:6d} calls" + (f"  -> {bound:7.1f} s" if bound is not None else "  (no limit)"))
        for name, s in sorted(sources(cw["stats"]).items()):
            print(
                f"  {name:22} 429s {s.get('rate_limited_429', 0)}, concurrency violations "
                f"{s.get('concurrency_violations', 0)}, peak concurrency {s.get('peak_concurrency')}"
            )
    for name, r in (("cold job", cw), ("replicas' job", rp)):
        if r and (t := r.get("timeline")):
            print(
                f"{name}, from submission: first request {t['first_request'] * 1000:.0f} ms, first Crossref search"
                f" {t['first_search'] * 1000:.0f} ms, last answer {t['last_answer']:.2f} s, seen done"
                f" {t['seen_done']:.2f} s"
            )
    if oh:
        print(f"CPU ms per reference by batch: {' '.join(f'{x:.2f}' for x in oh['cpu_batches'])}")
        waited, preempted = oh["switches"]
        print(f"service context switches per reference: {waited:.2f} waiting (wake-ups), {preempted:.2f} preempted")
        print(f"overhead job ({args.overhead_refs} references, zero latency, no limits): {oh['job_s']:.1f} s")
    if rp:
        print(f"replicas: bound {rp['bound']:.1f} s, calls {sum(rp['calls'].values())}")
        services = " + ".join(f"{c:.1f}" for c in rp["service_cpu"])
        print(
            f"CPU during the replicas' job: simulator {rp['sim_cpu']:.1f} s, services {services} s, Redis"
            f" {rp['redis_cpu']:.1f} s ({sum(rp['redis_commands'].values())} commands: "
            + ", ".join(f"{name} {n}" for name, n in sorted(rp["redis_commands"].items(), key=lambda kv: -kv[1]))
            + ")"
        )
    print(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "stats"} for k, v in results.items()}, default=str))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--time-scale", type=float, default=0.5)
    p.add_argument("--limit", type=int, default=1000, help="references of the cold, warm and replica jobs")
    p.add_argument("--overhead-refs", type=int, default=10_000, help="references of the memory job")
    p.add_argument(
        "--cpu-refs", type=int, default=1000, help="distinct references (none answered from the cache) timed for CPU"
    )
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--skip", default="", help="comma-separated: cold, overhead, replicas")
    p.add_argument("--world", type=Path, default=Path(tempfile.gettempdir()) / "refsim-world.sqlite")
    p.add_argument("--keep", type=Path, help="copy the simulator's request logs and the services' logs here")
    args = p.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    # A TERM (timeout, kill) still stops the subprocesses and prints what was measured.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not args.world.exists():
        subprocess.run([sys.executable, "-m", "refsim", "build", "--out", str(args.world)], cwd=KIT, check=True)
    with tempfile.TemporaryDirectory(prefix="refverify-speed-") as tmp, running(Path(tmp)) as procs:
        print(f"command: python bench/speed.py {' '.join(sys.argv[1:])}  (load average {os.getloadavg()[0]:.1f})")
        bench = Bench(args, procs, Path(tmp))
        items = load_items(args.limit)
        results: dict[str, Any] = {}
        try:
            if "cold" not in skip:
                results["cold_warm"] = bench.cold_and_warm(items)
            if "overhead" not in skip:
                results["overhead"] = bench.overhead(load_items(args.overhead_refs))
            if "replicas" not in skip:
                results["replicas"] = bench.replicas(items)
        finally:
            report(args, results)
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                for log in Path(tmp).iterdir():
                    if log.suffix in (".jsonl", ".log"):
                        shutil.copy(log, args.keep / log.name)


@contextlib.contextmanager
def running(logs: Path) -> Iterator[Processes]:
    procs = Processes(logs)
    try:
        yield procs
    finally:
        procs.stop_all()
        for log in logs.glob("service-*.log"):
            text = log.read_text(errors="replace").strip()
            if "Traceback" in text:
                print(f"--- {log.name} (last lines)\n" + "\n".join(text.splitlines()[-15:]), file=sys.stderr)


if __name__ == "__main__":
    main()
