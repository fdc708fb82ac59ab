"""Measure the free-text parser against the evaluation kit's development data.

    python bench/parsing_accuracy.py [--data DIR] [--show N]

HALLMARK: every apa/ieee string is compared with the CSL form of the same entry (title, family names, year).
Crossref: the parsed title is compared with the title that the Chicago or MLA string of the same DOI quotes,
exactly and with a fuzzy ratio >= 90 (styles without titles, ACS, AIP, Elsevier, are left out).
Needs the kit's data (default /work/shared/eval/data). Run from the repository root.
"""

from __future__ import annotations

import argparse
import html
import json
import lzma
import re
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from app.errors import InputError
from app.parsing import parse_item


def norm(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", html.unescape(text or "")).casefold()
    text = re.sub(r"[‘’`´]", "'", text)
    text = re.sub(r"[“”]", '"', text)
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def rows(data: Path, split: str) -> list[dict[str, Any]]:
    with lzma.open(data / f"{split}.jsonl.xz", "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def hallmark(data: Path, show: int) -> None:
    by_entry: dict[str, dict[str, Any]] = defaultdict(dict)
    for row in rows(data, "hallmark_dev_public"):
        by_entry[row["entry"]][row["form"]] = row["input"]
    for form in ("apa", "ieee", "bibtex"):
        counts: dict[str, int] = defaultdict(int)
        misses: dict[str, list[str]] = defaultdict(list)
        total = 0
        for forms in by_entry.values():
            if form not in forms or "csl" not in forms:
                continue
            total += 1
            gold = forms["csl"]
            ref = parse_item(forms[form])
            gold_families = [norm(a.get("family") or a.get("literal")) for a in gold.get("author", [])]
            got_families = [norm(a.family) for a in ref.authors]
            checks = {
                "title": norm(ref.title) == norm(gold.get("title")),
                "authors": got_families == gold_families
                or (ref.et_al and gold_families[: len(got_families)] == got_families and got_families != []),
                "year": ref.year == (gold.get("issued", {}).get("date-parts", [[None]])[0][0]),
            }
            for field, ok in checks.items():
                counts[field] += ok
                if not ok:
                    misses[field].append(f"{forms[form]!r}\n      got {getattr(ref, field)!r}")
        print(f"hallmark {form:7} n={total:5} " + " ".join(f"{k}={v / total:.1%}" for k, v in counts.items()))
        for field, lines in misses.items():
            for line in lines[:show]:
                print(f"   miss {field}: {line}")


# Styles that print no title at all.
_NO_TITLE = frozenset(
    {
        "american-chemical-society",
        "american-institute-of-physics",
        "elsevier-without-titles",
        "american-institute-of-physics-noise",
    }
)


def crossref(data: Path, show: int) -> None:
    """Titles against the title that the Chicago or MLA form of the same DOI quotes."""
    quoted = re.compile(r"“(.+?)[,.]?”")
    gold: dict[str, str] = {}
    by_style: dict[str, list[tuple[str, str]]] = defaultdict(list)
    all_rows = rows(data, "crossref_dev")
    for row in all_rows:
        quoting = row["style"] in ("chicago-author-date", "modern-language-association")
        if quoting and row["gold_doi"] and (match := quoted.search(row["input"])):
            gold.setdefault(row["gold_doi"], match.group(1))
    for row in all_rows:
        if row["gold_doi"] and row["gold_doi"] in gold and row["style"] not in _NO_TITLE:
            by_style[row["style"]].append((row["input"], gold[row["gold_doi"]]))
    for style, pairs in sorted(by_style.items()):
        good, close, misses = 0, 0, []
        for text, title in pairs:
            try:
                got = parse_item(text).title
            except InputError:  # an empty string in the data
                got = None
            close += fuzz.ratio(norm(got), norm(title)) >= 90
            if norm(got) == norm(title):
                good += 1
            else:
                misses.append(f"{text!r}\n      got {got!r}\n     gold {title!r}")
        print(f"crossref {style:34} n={len(pairs):5} title={good / len(pairs):.1%} title~90={close / len(pairs):.1%}")
        for line in misses[:show]:
            print(f"   miss title: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("/work/shared/eval/data"))
    parser.add_argument("--show", type=int, default=0, help="print this many misses per field")
    args = parser.parse_args()
    hallmark(args.data, args.show)
    crossref(args.data, args.show)


if __name__ == "__main__":
    main()
