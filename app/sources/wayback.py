"""Internet Archive Wayback Machine: was a cited page archived, and when.

Availability API (https://archive.org/help/wayback_api.php): the capture closest to a date, or `archived_snapshots: {}`.
CDX server (https://github.com/internetarchive/wayback/tree/master/wayback-cdx-server): every capture of a URL or
URL prefix, as text lines or (`output=json`) an array of arrays whose first row names the fields.

Limits: the CDX server allows 30 requests a minute and answers more with 429 and no Retry-After. Internet Archive staff:
"If 429s are ignored for more than a minute we block the IP at the firewall for 1 hour", doubling each time
(edgi-govdata-archiving/wayback#137). So a 429 is never retried here: the endpoint stays silent for a minute and
calls in that minute fail at once as rate limited. The two APIs run on separate backends with separate limits
(edgi-govdata-archiving/wayback#12), so each has its own throttle.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from app.errors import SourceRateLimited, SourceUnavailable
from app.settings import Settings
from app.sources.base import HttpSource, Policy, Throttle, retry_after

# The CDX server's default fields, in order: the columns of a text line and the JSON header row.
CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
_TIMESTAMP = re.compile(r"\d{4,14}")  # YYYY[MM[DD[hh[mm[ss]]]]]
_BLOCKED = "Blocked Site Error"


@dataclass(frozen=True)
class Snapshot:
    """The archived capture closest to the asked date. `status` is the captured HTTP status, as text ("200")."""

    url: str  # https://web.archive.org/web/<timestamp>/<original>
    timestamp: str  # 14 digits, UTC
    status: str

    @property
    def captured(self) -> datetime:
        return datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


@dataclass(frozen=True)
class Capture:
    """One CDX row. `statuscode` is text: "200", "301", "404", or "-" for a warc/revisit (same content as before)."""

    timestamp: str
    original: str
    mimetype: str
    statuscode: str
    length: int | None


class WaybackSource(HttpSource):
    """Asks the Wayback Machine whether, and when, a URL was archived."""

    name = "wayback"
    url_setting = "wayback_url"
    searchable = False
    identifiers = frozenset()
    policy = Policy(rate=0.5, concurrency=1)  # CDX: 30 requests/min, hard
    availability_policy: ClassVar[Policy] = Policy(rate=0.5, concurrency=1)  # undocumented: as cautious as CDX
    quiet_after_429: ClassVar[float] = 60.0

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        super().__init__(client, settings)
        self._availability = Throttle(self.availability_policy, enabled=settings.throttle)
        self._quiet_until: dict[str, float] = {}

    async def snapshot(self, url: str, *, timestamp: str | None = None) -> Snapshot | None:
        """The capture of `url` closest to `timestamp` (YYYYMMDD[hhmmss]; the newest without one), or None when
        nothing is archived."""
        params = {"url": url}
        if timestamp is not None:
            if not _TIMESTAMP.fullmatch(timestamp):
                raise ValueError(f"timestamp must be 4 to 14 digits (YYYYMMDDhhmmss), not {timestamp!r}")
            params["timestamp"] = timestamp
        response = await self._call(
            "availability", self._settings.wayback_availability_url, params, throttle=self._availability
        )
        body = self._json(response)
        snapshots = body.get("archived_snapshots") if isinstance(body, dict) else None
        if not isinstance(snapshots, dict):
            raise SourceUnavailable(self.name, "answer has no archived_snapshots")
        closest = snapshots.get("closest")
        if not isinstance(closest, dict) or closest.get("available") is False:
            return None
        link, stamp = closest.get("url"), closest.get("timestamp")
        if not isinstance(link, str) or not isinstance(stamp, str) or not _TIMESTAMP.fullmatch(stamp):
            raise SourceUnavailable(self.name, "closest snapshot has no url or timestamp")
        # The API gives http:// links; the archive serves (and redirects to) https.
        link = re.sub(r"^http://", "https://", link)
        return Snapshot(url=link, timestamp=stamp.ljust(14, "0"), status=str(closest.get("status") or ""))

    async def captures(
        self,
        url_prefix: str,
        *,
        match_type: str = "prefix",
        limit: int = 50,
        from_: str | None = None,
        to: str | None = None,
        statuscode: str | None = "200",
        url_pattern: str | None = None,
    ) -> list[Capture]:
        """Captures of `url_prefix` (matchType exact|prefix|host|domain), oldest first, duplicates dropped; [] when
        none. `statuscode` filters on the captured status (None: all rows, revisits "-" included); `url_pattern`
        is a regular expression the captured URL must match (CDX `filter=original:...`).

        A site excluded from the archive (403 "Blocked Site Error") raises `SourceUnavailable` saying so.
        """
        params: dict[str, Any] = {"url": url_prefix, "matchType": match_type, "output": "json", "limit": limit}
        # No `fl`: the default seven fields keep text and JSON answers alike (CDX_FIELDS).
        params.update({k: v for k, v in (("from", from_), ("to", to)) if v})
        filters = [f"statuscode:{statuscode}"] if statuscode else []
        if url_pattern:
            filters.append(f"original:{url_pattern}")
        if filters:
            params["filter"] = filters
        response = await self._call("cdx", "/cdx/search/cdx", params, ok=(200, 403))
        if response.status_code == 403:
            reason = response.headers.get("x-archive-wayback-runtime-error") or response.text
            if _BLOCKED in reason:
                raise SourceUnavailable(self.name, "site excluded from the Wayback Machine (Blocked Site Error)")
            raise SourceUnavailable(self.name, f"HTTP 403: {' '.join(reason.split())[:200]}")
        rows = self._json_rows(response) if response.text.lstrip().startswith("[") else self._text_rows(response)
        captures = [_capture(row) for row in rows]
        return list(dict.fromkeys(captures))[:limit]  # the CDX index holds exact duplicate rows

    async def _call(
        self,
        endpoint: str,
        url: str,
        params: Mapping[str, Any],
        *,
        ok: tuple[int, ...] = (200,),
        throttle: Throttle | None = None,
    ) -> httpx.Response:
        """One GET, refused locally while the endpoint is quiet after a 429; a 429 starts the quiet minute."""
        wait = self._quiet_until.get(endpoint, 0.0) - time.monotonic()
        if wait > 0:
            raise SourceRateLimited(self.name, f"{endpoint} quiet after a 429", retry_after=wait)
        # 429 comes back as a value, outside the retry loop: retrying it is what gets an address blocked.
        headers = {"User-Agent": self._settings.user_agent}
        response = await self._get(url, params=params, headers=headers, ok=(*ok, 429), throttle=throttle)
        if response.status_code == 429:
            quiet = max(self.quiet_after_429, retry_after(response) or 0.0)
            self._quiet_until[endpoint] = time.monotonic() + quiet
            raise SourceRateLimited(self.name, f"{endpoint} rate limited (429)", retry_after=quiet)
        return response

    def _json_rows(self, response: httpx.Response) -> list[dict[str, str]]:
        data = self._json(response)
        if not isinstance(data, list):
            raise SourceUnavailable(self.name, "CDX answer is not an array")
        if not data:
            return []
        header, rows = data[0], []
        if not isinstance(header, list) or not {"timestamp", "original"} <= set(header):
            raise SourceUnavailable(self.name, "CDX answer has no header row")
        for row in data[1:]:
            if not row:  # showResumeKey: an empty row, then the resume key
                break
            if not isinstance(row, list) or len(row) != len(header):
                raise SourceUnavailable(self.name, "CDX row does not match the header")
            rows.append({str(k): str(v) for k, v in zip(header, row, strict=True)})
        return rows

    def _text_rows(self, response: httpx.Response) -> list[dict[str, str]]:
        rows = []
        for line in response.text.splitlines():
            if not line.strip():  # showResumeKey: a blank line, then the resume key
                break
            fields = line.split()
            if len(fields) != len(CDX_FIELDS) or not _TIMESTAMP.fullmatch(fields[1]):
                raise SourceUnavailable(self.name, "answer is not CDX text")
            rows.append(dict(zip(CDX_FIELDS, fields, strict=True)))
        return rows


def _capture(row: Mapping[str, str]) -> Capture:
    length = row.get("length", "")
    return Capture(
        timestamp=row["timestamp"],
        original=row["original"],
        mimetype=row.get("mimetype", ""),
        statuscode=row.get("statuscode", ""),
        length=int(length) if length.isdigit() else None,
    )
