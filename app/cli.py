"""Command line: `refverify serve` runs the HTTP service; `refverify check FILE` verifies a file in-process."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx

from app.errors import InputError
from app.models import Result, Summary, VerifyResponse
from app.parsing import parse_document
from app.settings import Settings
from app.sources import build_sources
from app.verifier import Verifier

# File extension -> the content type whose parser reads it.
_TYPES = {
    ".bib": "application/x-bibtex",
    ".bibtex": "application/x-bibtex",
    ".ris": "application/x-research-info-systems",
    ".json": "application/vnd.citationstyles.csl+json",
    ".csl": "application/vnd.citationstyles.csl+json",
}


def read_items(path: Path) -> list[str | dict[str, Any]]:
    """The references in a file: a request body (`{"references": [...]}`), CSL-JSON, BibTeX, RIS or text."""
    text = path.read_text(encoding="utf-8-sig")
    content_type = _TYPES.get(path.suffix.lower(), "text/plain")
    if content_type.endswith("json"):
        data = json.loads(text)
        if isinstance(data, dict) and isinstance(data.get("references"), list):
            return list(data["references"])
    return parse_document(text, content_type)


async def check(path: Path, settings: Settings, *, progress: bool = True) -> list[Result]:
    items = read_items(path)
    async with httpx.AsyncClient(headers={"User-Agent": settings.user_agent}) as client:
        verifier = Verifier(build_sources(client, settings), settings)
        if progress:
            print(f"verifying {len(items)} references ...", file=sys.stderr)
        return await verifier.verify(items)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="refverify", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    checker = commands.add_parser("check", help="verify the references in FILE (BibTeX, RIS, CSL-JSON, text)")
    checker.add_argument("file", type=Path)
    checker.add_argument("--json", action="store_true", help="print the JSON response instead of a table")
    args = parser.parse_args(argv)
    settings = Settings()

    if args.command == "serve":
        import uvicorn

        from app.main import create_app

        uvicorn.run(create_app(settings), host=args.host or settings.host, port=args.port or settings.port)
        return 0
    try:
        results = asyncio.run(check(args.file, settings, progress=not args.json))
    except (InputError, OSError, json.JSONDecodeError) as exc:
        print(f"refverify: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(VerifyResponse(results=results, summary=Summary.of(results)).model_dump_json(indent=2))
    else:
        print(render_table(results))
    return 0
