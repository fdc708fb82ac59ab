"""Command line: `refverify serve` runs the HTTP service; `refverify check FILE` verifies a file in-process."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any, TextIO

import httpx

from app.batch import as_decided, parse_items
from app.errors import InputError
from app.models import Result, Summary, VerifyResponse
from app.parsing import parse_document
from app.settings import Settings
from app.sources import build_sources, http_client
from app.verifier import Verifier

# File extension -> the content type whose parser reads it.
_TYPES = {
    ".bib": "application/x-bibtex",
    ".bibtex": "application/x-bibtex",
    ".ris": "application/x-research-info-systems",
    ".json": "application/vnd.citationstyles.csl+json",
    ".csl": "application/vnd.citationstyles.csl+json",
}
BAR_WIDTH = 30


def read_items(path: Path) -> list[str | dict[str, Any]]:
    """The references in a file: a request body (`{"references": [...]}`), CSL-JSON, BibTeX, RIS or text."""
    text = path.read_text(encoding="utf-8-sig")
    content_type = _TYPES.get(path.suffix.lower(), "text/plain")
    if content_type.endswith("json"):
        data = json.loads(text)
        if isinstance(data, dict) and isinstance(data.get("references"), list):
            return list(data["references"])
    return parse_document(text, content_type)


class Progress:
    """Progress on `stream`: a bar redrawn in place on a terminal; else (a log, a pipe) a line per 10 %."""

    def __init__(self, total: int, stream: TextIO, *, tty: bool | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self._tenths = 0

    def __call__(self, result: Result) -> None:
        self.done += 1
        if self.tty:
            filled = BAR_WIDTH * self.done // max(self.total, 1)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            end = "\n" if self.done >= self.total else ""
            self.stream.write(f"\r[{bar}] {self.done}/{self.total}{end}")
            self.stream.flush()
            return
        tenths = 10 * self.done // max(self.total, 1)
        if tenths > self._tenths:
            self._tenths = tenths
            self.stream.write(f"verified {self.done}/{self.total} ({10 * tenths}%)\n")
            self.stream.flush()


async def check(
    path: Path,
    settings: Settings,
    *,
    on_result: Callable[[Result], None] | None = None,
    progress: TextIO | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Result]:
    """Verify the references in `path`; the results in input order.

    `on_result` sees each result as it is decided; `progress` (a stream) gets a `Progress` display;
    `transport` replaces the network (tests).
    """
    items = read_items(path)
    tasks = parse_items(items)  # an unreadable item becomes an `unverified` result saying why
    listeners = [f for f in (on_result, Progress(len(tasks), progress) if progress else None) if f is not None]
    results: list[Result] = []
    async with http_client(settings, transport) as client:
        verifier = Verifier(build_sources(client, settings), settings)
        async with aclosing(as_decided(verifier, tasks, concurrency=settings.concurrency)) as decided:
            async for result in decided:
                results.append(result)
                for listener in listeners:
                    listener(result)
    return sorted(results, key=lambda r: r.index)


def render_table(results: list[Result]) -> str:
    lines = [f"{'#':>3}  {'verdict':<10} {'conf':>4}  reference"]
    for r in results:
        title = r.reference.get("title") or (r.input if isinstance(r.input, str) else "")
        lines.append(f"{r.index + 1:>3}  {r.verdict.value:<10} {r.confidence:>4.2f}  {str(title)[:80]}")
        for d in r.discrepancies:
            lines.append(f"{'':>20}{d.field}: cited {d.cited!r}, found {d.found!r}")
        lines.append(f"{'':>20}{r.explanation}")
    s = Summary.of(results)
    lines.append(
        f"\n{s.total} references: {s.verified} verified, {s.miscited} miscited, "
        f"{s.not_found} not found, {s.unverified} unverified"
    )
    return "\n".join(lines)


def _print_line(result: Result) -> None:
    print(result.model_dump_json(), flush=True)


def main(argv: list[str] | None = None, *, transport: httpx.AsyncBaseTransport | None = None) -> int:
    """The `refverify` command; `transport` replaces the network for `check` (tests)."""
    parser = argparse.ArgumentParser(prog="refverify", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    checker = commands.add_parser("check", help="verify the references in FILE (BibTeX, RIS, CSL-JSON, text)")
    checker.add_argument("file", type=Path)
    output = checker.add_mutually_exclusive_group()
    output.add_argument(
        "--format",
        choices=("table", "json", "ndjson"),
        default="table",
        help="table (default); json: the /v1/verify response; ndjson: one result per line as decided, then the summary",
    )
    output.add_argument("--json", dest="format", action="store_const", const="json", help="same as --format json")
    checker.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    settings = Settings()

    if args.command == "serve":
        import uvicorn

        from app.main import create_app
        from app.observability import configure_logging

        configure_logging()
        # access_log off: the app writes its own structured line per request (app/observability.py).
        uvicorn.run(
            create_app(settings), host=args.host or settings.host, port=args.port or settings.port, access_log=False
        )
        return 0
    ndjson = args.format == "ndjson"
    try:
        results = asyncio.run(
            check(
                args.file,
                settings,
                on_result=_print_line if ndjson else None,
                progress=None if args.quiet else sys.stderr,
                transport=transport,
            )
        )
    except (InputError, OSError, json.JSONDecodeError) as exc:
        print(f"refverify: {exc}", file=sys.stderr)
        return 2
    if ndjson:
        print(json.dumps({"summary": Summary.of(results).model_dump()}))
    elif args.format == "json":
        print(VerifyResponse(results=results, summary=Summary.of(results)).model_dump_json(indent=2))
    else:
        print(render_table(results))
    return 0
