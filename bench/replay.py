"""A recording proxy in front of the simulator: each new request is forwarded and its answer kept; a repeat is
answered from memory, at once or after a random delay.

Usage: python bench/replay.py --upstream http://127.0.0.1:8800 --port 8801 [--delay-ms 300]

`bench/cpu.py --replay` starts it to time the service on the simulator's own answers without the simulator's
CPU (tens of milliseconds a Crossref search) on the same two cores; `--delay-ms` then brings back waiting alone:
each repeat is answered after a uniform 0 to 2 x delay. `GET /_replay/stats` tells how many requests were
forwarded and how many answered from memory.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

# Hop-by-hop and framing headers: aiohttp writes its own.
DROPPED = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "date"})


class Replay:
    def __init__(self, upstream: str, delay: float) -> None:
        self.upstream = upstream.rstrip("/")
        self.delay = delay
        self.kept: dict[tuple[str, str, bytes], tuple[int, list[tuple[str, str]], bytes]] = {}
        self.forwarded = 0
        self.repeated = 0
        self.session: aiohttp.ClientSession | None = None

    async def answer(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/_replay/stats":
            return web.json_response({"forwarded": self.forwarded, "repeated": self.repeated})
        body = await request.read()
        key = (request.method, request.path_qs, body)
        kept = self.kept.get(key)
        if kept is None:
            kept = self.kept[key] = await self.forward(request, body)
            self.forwarded += 1
        else:
            self.repeated += 1
            if self.delay:
                await asyncio.sleep(random.uniform(0, 2 * self.delay))
        status, headers, content = kept
        return web.Response(status=status, headers=headers, body=content)

    async def forward(self, request: web.Request, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        assert self.session is not None
        own = f"{request.scheme}://{request.host}"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in DROPPED and k.lower() != "host"}
        async with self.session.request(
            request.method, self.upstream + request.path_qs, data=body or None, headers=headers, allow_redirects=False
        ) as response:
            content = await response.read()
            kept = [
                (k, v.replace(self.upstream, own) if k.lower() == "location" else v)
                for k, v in response.headers.items()
                if k.lower() not in DROPPED
            ]
            return response.status, kept, content


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upstream", required=True, help="the simulator's origin, e.g. http://127.0.0.1:8800")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--delay-ms", type=float, default=0.0, help="mean delay before answering a repeat")
    args = p.parse_args()
    replay = Replay(args.upstream, args.delay_ms / 1000)

    async def session(app: web.Application) -> AsyncIterator[None]:
        replay.session = aiohttp.ClientSession()
        yield
        await replay.session.close()

    app = web.Application()
    app.cleanup_ctx.append(session)
    app.router.add_route("*", "/{tail:.*}", replay.answer)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
