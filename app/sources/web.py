"""Cited web pages: does the page answer, and what does it call itself.

The URL comes from the user, so this is an SSRF surface. Before any connection, every URL (the cited one and each
redirect target) must be http(s) on port 80 or 443, carry no user-info, and name a host that is, and resolves only
to, public addresses: loopback, private, link-local (169.254.169.254 metadata), CGNAT, multicast, reserved and
unspecified addresses, their IPv4-in-IPv6 forms and the cloud metadata host names are refused with `FetchRefused`.
The connection is pinned to the vetted address. Requests carry a User-Agent and Accept and nothing else: no cookies,
no Authorization, no client defaults. Bodies are read up to `fetch_max_bytes`, the whole fetch within `fetch_timeout`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import zlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, NoReturn

import httpx

from app.errors import SourceError, SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Name, Record
from app.settings import Settings
from app.sources.base import HttpSource, Policy, Throttle, retry_after
from app.sources.doi import bare_doi

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Only the standard ports: 8080/8443 are where dev servers and admin consoles listen, and cited pages are not there.
_ALLOWED_PORTS = frozenset(_DEFAULT_PORTS.values())
_METADATA_HOSTS = frozenset({"localhost", "metadata", "metadata.google.internal", "metadata.goog", "instance-data"})
_LOCAL_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa")
# A DNS name whose last label is letters or punycode: "127.1", "0x7f.1" and "2130706433" are not names, although
# resolvers (inet_aton) would read them as IPv4 addresses; single-label names would go through search domains.
_HOSTNAME = re.compile(r"^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4 address reached
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_GONE = frozenset({404, 410})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})  # no Content-Type: look at the body
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


class FetchRefused(SourceError):
    """The URL, or a redirect on the way, points where refverify does not connect; nothing was sent there."""


def public_address(ip: IPAddress) -> bool:
    """True for an address on the public Internet; loopback, private, shared, link-local or special is False."""
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:a.b.c.d and 64:ff9b::a.b.c.d reach the IPv4 address; 6to4 2002:aabb:ccdd:: is routed by it.
        inner = ip.ipv4_mapped or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if inner is not None:
            return public_address(inner)
        if (ip.sixtofour is not None and not public_address(ip.sixtofour)) or ip.is_site_local:
            return False
    # `is_global` alone lets multicast (224/4, ff00::/8) and some reserved IPv6 blocks through.
    special = ip.is_multicast or ip.is_reserved or ip.is_private or ip.is_loopback or ip.is_link_local
    return ip.is_global and not special and not ip.is_unspecified


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for `host`, without blocking the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class PageResult:
    """What a cited URL answered. `exists` is a 2xx page; 404/410 give `exists=False`; `title` is the page's own
    (<title>, else og:title, else citation_title). `meta` holds the <meta name|property> values, keys lower-cased."""

    url: str
    status: int
    title: str | None
    exists: bool
    meta: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def to_record(self) -> Record:
        """The page as a `Record`; Highwire `citation_*` tags (Google Scholar's inclusion guidelines) come first."""
        authors = self.meta.get("citation_author") or self.meta.get("author") or ()
        journal, conference = self._first("citation_journal_title"), self._first("citation_conference_title")
        first_page, last_page = self._first("citation_firstpage"), self._first("citation_lastpage")
        date = self._first(
            "citation_publication_date", "citation_date", "citation_online_date", "article:published_time", "dc.date"
        )
        year = _YEAR.search(date or "")
        return Record(
            source="web",
            source_id=self.url,
            type="article-journal" if journal else "paper-conference" if conference else "webpage",
            title=self._first("citation_title", "og:title") or self.title,
            authors=tuple(Name.parse(a) for a in authors),
            year=int(year.group(1)) if year else None,
            venue=journal or conference or self._first("og:site_name"),
            volume=self._first("citation_volume"),
            issue=self._first("citation_issue"),
            pages="-".join(p for p in (first_page, last_page) if p) or None,
            publisher=self._first("citation_publisher"),
            doi=bare_doi(self._first("citation_doi")),
            url=self.url,
        )

    def _first(self, *keys: str) -> str | None:
        return next((values[0] for key in keys if (values := self.meta.get(key))), None)


@dataclass(frozen=True)
class _Answer:
    url: httpx.URL  # by host name, as cited or redirected to
    status: int
    headers: httpx.Headers
    body: bytes


class WebPageSource(HttpSource):
    """Fetches cited pages, refusing any URL that could reach refverify's own network (see the module docstring)."""

    name = "web"
    url_setting = ""  # cited pages have no API root: see __init__
    identifiers = frozenset()
    searchable = False
    # No upstream terms (every page is another site): a modest global cap so one list cannot fan out widely.
    policy = Policy(rate=5.0, concurrency=4)

    def __init__(self, client: httpx.AsyncClient, settings: Settings, *, resolver: Resolver | None = None) -> None:
        # HttpSource.__init__ reads the API root from `url_setting`; there is none, so `base_url` stays empty and
        # `_request` (the unvetted path that would prepend it) refuses to run. Every request goes through `_exchange`.
        self._client = client
        self._settings = settings
        self.base_url = ""
        self._throttle = Throttle(self.policy, enabled=settings.throttle)
        self._resolve = resolver or system_resolver

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        raise NotImplementedError("cited pages are fetched only through fetch_title, which vets every hop")

    async def fetch_title(self, url: str) -> PageResult:
        """HEAD the URL, then GET it when it is (or may be) HTML, and read its title and metadata.

        404/410 is `exists=False`. Raises `FetchRefused` for a URL or redirect that must not be fetched,
        `SourceTimeout` past `fetch_timeout`, `SourceRateLimited` on 429, `SourceUnavailable` otherwise.
        """
        start = self._checked(url)
        try:
            async with asyncio.timeout(self._settings.fetch_timeout):
                return await self._fetch(start)
        except TimeoutError as exc:
            raise SourceTimeout(self.name, f"no page within {self._settings.fetch_timeout:g} s") from exc

    async def _fetch(self, start: httpx.URL) -> PageResult:
        head = await self._follow("HEAD", start)
        if head.status in _GONE:
            return PageResult(url=str(head.url), status=head.status, title=None, exists=False)
        if head.status == 429 or (head.status >= 500 and head.status != 501):
            self._fail(head)
        if head.status < 300 and _media_type(head.headers) not in _HTML_TYPES:
            return PageResult(url=str(head.url), status=head.status, title=None, exists=True)
        # HTML, or a HEAD the server does not support (403/405/501 and the like): the title needs the GET.
        page = await self._follow("GET", head.url)
        if page.status in _GONE:
            return PageResult(url=str(page.url), status=page.status, title=None, exists=False)
        if not 200 <= page.status < 300:
            if head.status < 300:  # the HEAD already showed the page; only its title is lost (a bot check, say)
                return PageResult(url=str(head.url), status=head.status, title=None, exists=True)
            self._fail(page)
        parser = _HeadParser()
        if _media_type(page.headers) in _HTML_TYPES:
            parser.feed(_text(page.body, page.headers))
            parser.close()
        meta = {key: tuple(values) for key, values in parser.meta.items()}
        title = parser.title or next((meta[k][0] for k in ("og:title", "citation_title") if k in meta), None)
        return PageResult(url=str(page.url), status=page.status, title=title, exists=True, meta=meta)

    def _fail(self, answer: _Answer) -> NoReturn:
        if answer.status == 429:
            raise SourceRateLimited(
                self.name, "rate limited (429)", retry_after=retry_after(httpx.Response(429, headers=answer.headers))
            )
        raise SourceUnavailable(self.name, f"HTTP {answer.status} from {answer.url}")

    async def _follow(self, method: str, url: httpx.URL) -> _Answer:
        """Send `method` to `url`, following at most `fetch_max_redirects` redirects, each vetted before use."""
        for _ in range(self._settings.fetch_max_redirects + 1):
            answer = await self._exchange(method, url)
            location = answer.headers.get("location")
            if answer.status not in _REDIRECTS or not location:
                return answer
            try:
                url = self._checked(url.join(location))
            except httpx.InvalidURL as exc:
                raise FetchRefused(self.name, f"redirect to an invalid URL: {location!r}") from exc
        raise SourceUnavailable(self.name, f"more than {self._settings.fetch_max_redirects} redirects")

    async def _exchange(self, method: str, url: httpx.URL) -> _Answer:
        """One request to the vetted address of `url`; the body of a 2xx GET is read up to the byte cap."""
        host = url.raw_host.decode("ascii").rstrip(".")
        address = await self._address(host, url.port or _DEFAULT_PORTS[url.scheme])
        # Pinning: connect to the address just vetted, not to the name, so a second DNS answer (rebinding) cannot
        # redirect the connection. The name still travels in Host and, for TLS, in SNI and the certificate check
        # (httpcore's `sni_hostname` extension becomes the `server_hostname` of the handshake).
        extensions: dict[str, Any] = {"timeout": httpx.Timeout(self._settings.fetch_timeout).as_dict()}
        if url.scheme == "https":
            extensions["sni_hostname"] = host
        headers = {
            "Host": url.netloc.decode("ascii"),
            "User-Agent": self._settings.user_agent,
            "Accept": _ACCEPT,
            "Accept-Encoding": "identity",
        }
        # A Request built here merges none of the client's headers or cookies; auth=None keeps the client's auth
        # (and any taken from the URL) out; redirects are ours to vet.
        async with self._throttle.slot() as slot:
            extensions["trace"] = slot.trace  # the throttle's window counts from the end of the write
            request = httpx.Request(method, url.copy_with(host=str(address)), headers=headers, extensions=extensions)
            try:
                response = await self._client.send(request, stream=True, auth=None, follow_redirects=False)
                try:
                    ok = method == "GET" and 200 <= response.status_code < 300
                    body = await self._read(response) if ok else b""
                finally:
                    await response.aclose()
            except httpx.TimeoutException as exc:
                raise SourceTimeout(self.name, f"no answer in time from {host}") from exc
            except httpx.HTTPError as exc:  # refused, reset, TLS failure, broken stream
                raise SourceUnavailable(self.name, f"{type(exc).__name__}: {exc}") from exc
        return _Answer(url=url, status=response.status_code, headers=response.headers, body=body)

    async def _address(self, host: str, port: int) -> IPAddress:
        """The address to connect to; refused when the host is, or resolves to, any non-public address."""
        if _ip(host) is not None:
            answers: Sequence[str] = [host]
        else:
            try:
                answers = await self._resolve(host, port)
            except OSError as exc:  # socket.gaierror: no such name, or no DNS
                raise SourceUnavailable(self.name, f"cannot resolve {host}: {exc}") from exc
            if not answers:
                raise SourceUnavailable(self.name, f"cannot resolve {host}")
        vetted: list[IPAddress] = []
        # ANY bad answer refuses: round-robin answers must not turn the check into a lottery.
        for answer in answers:
            address = _ip(answer.partition("%")[0])  # drop an IPv6 zone ("fe80::1%eth0")
            if address is None or not public_address(address):
                raise FetchRefused(self.name, f"{host} is not a public address ({answer})")
            vetted.append(address)
        return next((a for a in vetted if a.version == 4), vetted[0])

    def _checked(self, url: str | httpx.URL) -> httpx.URL:
        """The URL, if its scheme, user-info, port and host may be fetched at all (before any DNS lookup)."""
        try:
            parsed = url if isinstance(url, httpx.URL) else httpx.URL(url.strip())
        except httpx.InvalidURL as exc:
            raise FetchRefused(self.name, f"not a valid URL: {exc}") from exc
        if parsed.scheme not in _DEFAULT_PORTS:
            raise FetchRefused(self.name, f"scheme {parsed.scheme or 'missing'!r} is not http(s)")
        if parsed.userinfo:
            raise FetchRefused(self.name, "credentials in the URL")
        if parsed.port is not None and parsed.port not in _ALLOWED_PORTS:
            raise FetchRefused(self.name, f"port {parsed.port} is not 80 or 443")
        host = parsed.raw_host.decode("ascii").lower().rstrip(".")
        if _ip(host) is None and (
            not _HOSTNAME.match(host) or host in _METADATA_HOSTS or host.endswith(_LOCAL_SUFFIXES)
        ):
            raise FetchRefused(self.name, f"host {host!r} is not a public DNS name")
        return parsed

    async def _read(self, response: httpx.Response) -> bytes:
        """At most `fetch_max_bytes` of the body; the rest is never read. gzip is inflated within the same cap."""
        cap = self._settings.fetch_max_bytes
        if response.is_stream_consumed:  # an in-process transport handed over the body already read and decoded
            return response.content[:cap]
        decode = _decoder(response.headers.get("content-encoding", ""))
        body, received = bytearray(), 0
        async for chunk in response.aiter_raw():
            received += len(chunk)
            try:
                body += decode(chunk, cap - len(body))
            except zlib.error:
                break
            if len(body) >= cap or received >= cap:
                break
        return bytes(body[:cap])


class _HeadParser(HTMLParser):
    """The first <title> outside SVG, and every <meta name|property=... content=...>, entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: str | None = None
        self.meta: dict[str, list[str]] = {}
        self._title_parts: list[str] | None = None
        self._svg = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self._svg += 1
        elif tag == "title" and self.title is None and not self._svg:
            self._title_parts = []
        elif tag == "meta":
            values = dict(attrs)
            key = (values.get("name") or values.get("property") or "").strip().lower()
            content = _collapse(values.get("content"))
            if key and content:
                self.meta.setdefault(key, []).append(content)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self._svg:
            self._svg -= 1
        elif tag == "title" and self._title_parts is not None:
            self.title = _collapse("".join(self._title_parts))
            self._title_parts = None

    def handle_data(self, data: str) -> None:
        if self._title_parts is not None:
            self._title_parts.append(data)


def _collapse(text: str | None) -> str | None:
    return " ".join((text or "").split()) or None


def _ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _media_type(headers: httpx.Headers) -> str:
    return str(headers.get("content-type", "")).partition(";")[0].strip().lower()


def _text(body: bytes, headers: httpx.Headers) -> str:
    """The body decoded by the charset of Content-Type, else of <meta charset>, else UTF-8."""
    declared = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", headers.get("content-type", ""), re.IGNORECASE)
    sniffed = _META_CHARSET.search(body[:2048])
    charset = declared.group(1) if declared else sniffed.group(1).decode("ascii") if sniffed else "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _decoder(encoding: str) -> Callable[[bytes, int], bytes]:
    """Raw chunk and room left -> decoded bytes. We ask for identity; a server may gzip anyway."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return lambda chunk, room: chunk[:room]
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # +32: gzip or zlib header, detected
        # max_length bounds each chunk's output, so a small compressed body cannot inflate past the cap.
        return lambda chunk, room: inflater.decompress(chunk, room)
    return lambda chunk, room: b""  # br, zstd: unreadable here; the page still exists
