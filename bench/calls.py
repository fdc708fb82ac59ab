"""Upstream lookups per reference (median, mean, p90) on a sample of a kit split, from each result's
`sources[].calls`. Run against a service whose cache is empty (or disabled) to measure cold behaviour.

Usage: python bench/calls.py --split hallmark_dev_public [--limit 400] [--service URL]
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import lzma
import statistics
import urllib.request
from pathlib import Path

KIT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "data"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--split", required=True)
    p.add_argument("--data", type=Path, default=KIT)
    p.add_argument("--service", default="http://127.0.0.1:8000")
    p.add_argument("--limit", type=int, default=400)
    p.add_argument("--batch", type=int, default=25)
    args = p.parse_args()
    with lzma.open(args.data / f"{args.split}.jsonl.xz", "rt", encoding="utf-8") as f:
        items = [json.loads(line)["input"] for line, _ in zip(f, range(args.limit), strict=False)]
    calls: list[int] = []
    for start in range(0, len(items), args.batch):
        body = json.dumps({"references": items[start : start + args.batch]}).encode()
        req = urllib.request.Request(f"{args.service}/v1/verify", body, {"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=600) as r:
            calls += [sum(s.get("calls", 0) for s in res["sources"]) for res in json.load(r)["results"]]
    calls.sort()
    print(
        json.dumps(
            {
                "split": args.split,
                "references": len(calls),
                "median": statistics.median(calls),
                "mean": round(statistics.fmean(calls), 3),
                "p90": calls[int(0.9 * (len(calls) - 1))],
                "max": calls[-1],
            }
        )
    )


if __name__ == "__main__":
    main()
