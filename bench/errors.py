"""Print the dev items refverify gets wrong, grouped by type, with what each source answered.

Usage (service and simulator running, after `python3 -m refsim run ... --out preds.jsonl`):
    python bench/errors.py --split hallmark_dev_public --preds preds.jsonl [--service URL] [--per-type 5]

Standard library only, so it runs beside the evaluation kit without the service's virtualenv.
"""

from __future__ import annotations

import argparse
import json
import lzma
import re
import urllib.request
from collections import defaultdict
from pathlib import Path

KIT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "data"


def load_split(name: str, data: Path) -> dict[str, dict]:
    with lzma.open(data / f"{name}.jsonl.xz", "rt", encoding="utf-8") as f:
        return {item["key"]: item for item in map(json.loads, f)}


def ask(service: str, item: object) -> dict:
    body = json.dumps({"references": [item]}).encode()
    req = urllib.request.Request(f"{service}/v1/verify", body, {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r)["results"][0]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--split", required=True)
    p.add_argument("--preds", required=True, type=Path)
    p.add_argument("--data", type=Path, default=KIT)
    p.add_argument("--service", default="http://127.0.0.1:8000")
    p.add_argument("--per-type", type=int, default=5)
    p.add_argument("--forms", default="")
    p.add_argument("--groups", default="", help="a regular expression the printed groups must match")
    args = p.parse_args()
    items = load_split(args.split, args.data)
    wrong: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    for pred in map(json.loads, args.preds.read_text().splitlines()):
        item = items[pred["key"]]
        if item.get("score_excluded") or (args.forms and item.get("form") not in args.forms.split(",")):
            continue
        if "label" in item:  # HALLMARK: VALID / HALLUCINATED
            ok = pred["label"] == item["label"]
            group = f"{item['label']}:{item.get('type')}:{pred['label']}"
        else:  # linking: string -> DOI
            ok = (pred.get("matched_doi") or None) == (item.get("gold_doi") or None)
            group = f"{item.get('style')}:{'null' if not item.get('gold_doi') else 'doi'}:{pred.get('verdict')}"
        if not ok:
            wrong[group].append((item, pred))
    for group, cases in sorted(wrong.items(), key=lambda kv: -len(kv[1])):
        if args.groups and not re.search(args.groups, group):
            continue
        print(f"\n=== {group}: {len(cases)}")
        for item, _pred in cases[: args.per_type]:
            res = ask(args.service, item["input"])
            shown = item["input"] if isinstance(item["input"], str) else json.dumps(item["input"])[:400]
            print(f"- {item['key']}  gold={item.get('gold_doi') or item.get('label')}\n  input: {shown[:400]}")
            print(f"  verdict={res['verdict']} conf={res['confidence']} {res['explanation']}")
            print(f"  understood: {json.dumps(res['reference'])[:300]}")
            if res.get("match"):
                print(f"  match: {json.dumps(res['match'])[:300]}")
            for d in res["discrepancies"]:
                print(f"  diff {d['field']}: cited={str(d['cited'])[:80]!r} found={str(d['found'])[:80]!r}")
            print("  sources: " + ", ".join(f"{s['name']}={s['status']}" for s in res["sources"]))


if __name__ == "__main__":
    main()
