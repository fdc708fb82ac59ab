"""Plain-text bibliographies: find the reference list in a document and cut it into one string per citation.

Lists may be numbered ("[1]", "1.", "(1)"), bulleted, separated by blank lines, or one per line with
wrapped continuation lines. A whole article is reduced to the section under its last "References",
"Bibliography", "Works Cited" or "Literature Cited" heading.
"""

from __future__ import annotations

import itertools
import re

from app.parsing.names import scan
from app.parsing.normalize import clean, squash

_HEADING = re.compile(
    r"^[ \t]*(?:[\dIVX]+\.?[ \t]+)?(?:#+[ \t]*)?(?:References(?:[ \t]+(?:Cited|and[ \t]+Notes))?|Bibliography|"
    r"Works[ \t]+Cited|Literature(?:[ \t]+Cited)?|Reference[ \t]+List|Sources|Citations|Notes[ \t]+and[ \t]+References)"
    r"[ \t]*:?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
# Sections that may follow the references and are not part of them.
_AFTER = re.compile(
    r"^[ \t]*(?:[\dA-Z]+\.?[ \t]+)?(?:Appendix|Appendices|Supplementary|Supplemental|Acknowledg(?:e)?ments?"
    r"|Author[ \t]+Contributions|Figure[ \t]+Legends|Tables?)\b[^\n]{0,40}$",
    re.IGNORECASE | re.MULTILINE,
)
_MARKERS = {
    "bracket": re.compile(r"^[ \t]*\[(\d{1,4})\][ \t]*"),
    "paren": re.compile(r"^[ \t]*\((\d{1,4})\)[ \t]+"),
    "dot": re.compile(r"^[ \t]*(\d{1,4})\.[ \t]+"),
    "bare": re.compile(r"^[ \t]*(\d{1,4})[ \t]+(?=\S)"),
}
_INLINE_BRACKET = re.compile(r"(?:^|\s)\[(\d{1,4})\]\s*")
_BULLET = re.compile(r"^[ \t]*[•·▪‣◦*–-][ \t]+")
_STARTS_ITEM = re.compile(r"^[ \t]*[\"“‘(\[A-ZÀ-Þ]")
_ENDS_ITEM = re.compile(r"(?:[.)\]]|\d|\S+://\S+)[ \t]*$")


def split_bibliography(body: str) -> list[str]:
    """One string per citation (whitespace collapsed, hyphenation repaired, list markers removed)."""
    text = clean(body).replace("\r\n", "\n").replace("\r", "\n")
    text = _reference_section(text)
    lines = text.split("\n")
    items = _numbered(lines) or _bulleted(lines) or _by_blank_lines(lines) or _by_line_shape(lines)
    return [item for raw in items if len(item := squash(raw)) >= 3]


def _reference_section(text: str) -> str:
    headings = list(_HEADING.finditer(text))
    if not headings:
        return text
    section = text[headings[-1].end() :]
    if after := _AFTER.search(section):
        section = section[: after.start()]
    return section


def _numbered(lines: list[str]) -> list[str] | None:
    """Items that start with a running number; other lines continue the item above."""
    for pattern in _MARKERS.values():
        starts = [(i, int(m.group(1))) for i, line in enumerate(lines) if (m := pattern.match(line))]
        numbers = [n for _, n in starts]
        # A real list counts up from a small number; stray matches ("2 cups", "1984 ...") do not.
        if len(starts) >= 2 and numbers[0] <= 2 and _mostly_increasing(numbers):
            items: list[str] = []
            expected = numbers[0]
            for line in lines:
                match = pattern.match(line)
                if match and (int(match.group(1)) in (expected, expected + 1) or not items):
                    items.append(line[match.end() :] if match else line)
                    expected = int(match.group(1)) + 1 if match else expected
                elif items:
                    items[-1] += "\n" + line
            return items
    joined = " ".join(lines)
    inline = list(_INLINE_BRACKET.finditer(joined))
    if len(inline) >= 2 and [int(m.group(1)) for m in inline] == list(range(1, len(inline) + 1)):
        return [
            joined[a.end() : b.start() if b else len(joined)] for a, b in zip(inline, [*inline[1:], None], strict=True)
        ]
    return None


def _mostly_increasing(numbers: list[int]) -> bool:
    steps = [b - a for a, b in itertools.pairwise(numbers)]
    return sum(step == 1 for step in steps) >= 0.8 * len(steps)


def _bulleted(lines: list[str]) -> list[str] | None:
    if sum(bool(_BULLET.match(line)) for line in lines) < 2:
        return None
    items: list[str] = []
    for line in lines:
        if match := _BULLET.match(line):
            items.append(line[match.end() :])
        elif items:
            items[-1] += "\n" + line
    return items


def _by_blank_lines(lines: list[str]) -> list[str] | None:
    blocks = re.split(r"\n[ \t]*\n", "\n".join(lines).strip())
    if len(blocks) < 2 or not any("\n" in block for block in blocks):
        return None  # a blank line after every one-line item is the same as one item per line
    return blocks


def _by_line_shape(lines: list[str]) -> list[str]:
    """One citation per line, except lines that continue the previous one (wrapped or hyphenated text).

    When nearly every line ends like a citation ends, each line is one; otherwise a new citation starts
    only where a line opens with a name or a quoted title after a line that ended one.
    """
    lines = [line for line in lines if line.strip()]
    ended = sum(bool(_ENDS_ITEM.search(line)) for line in lines)
    one_per_line = ended >= 0.9 * len(lines)
    items: list[str] = []
    for line in lines:
        if items and not _starts_new(items[-1], line, one_per_line=one_per_line):
            items[-1] += "\n" + line
        else:
            items.append(line)
    return items


def _starts_new(previous: str, line: str, *, one_per_line: bool) -> bool:
    last = previous.rstrip()
    if last.endswith("-") or not _ENDS_ITEM.search(last) or not _STARTS_ITEM.match(line):
        return False
    return one_per_line or bool(line.lstrip()[:1] in '"“‘[' or scan(line.strip()).names)
