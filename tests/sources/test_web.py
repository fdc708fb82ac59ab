"""WebPageSource: SSRF refusals before any connection, pinned and credential-free requests, titles and metadata."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from app.errors import SourceError, SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Name
from app.settings import Settings
from app.sources.web import FetchRefused, WebPageSource, public_address
from tests.conftest import load

PUBLIC = "93.184.216.34"
HTML = {"content-type": "text/html; charset=utf-8"}


class FakeDns:
    """An injected resolver: a fixed table, and a record of every name asked."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


@pytest.fixture
def dns() -> FakeDns:
    return FakeDns(
        {
            "example.org": [PUBLIC],
            "www.example.org": [PUBLIC],
            "intranet.example.org": ["10.1.2.3"],
            "split.example.org": [PUBLIC, "10.0.0.5"],
            "mapped.example.org": ["::ffff:169.254.169.254"],
            "rebind.example.org": ["127.0.0.1"],
        }
    )


@pytest.fixture
def web(client: httpx.AsyncClient, settings: Settings, dns: FakeDns) -> WebPageSource:
    return WebPageSource(client, settings, resolver=dns)


def answer_everything(router: respx.Router) -> respx.Route:
    """Last route: anything not matched before succeeds, so a request that should not be sent is recorded."""
    return router.route().respond(200, headers=HTML, text="<title>reached</title>")


def hosts_reached(router: respx.Router) -> set[str]:
    return {call.request.url.host for call in router.calls}


def test_web_neither_searches_nor_resolves() -> None:
    assert (WebPageSource.name, WebPageSource.searchable, WebPageSource.identifiers) == ("web", False, frozenset())


def test_fetch_refused_is_a_source_error() -> None:
    assert issubclass(FetchRefused, SourceError)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://[::1]/",
        "http://[::]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1]/",
        "http://[fd12:3456::1]/",
        "http://[ff02::1]/",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f.0.0.1/",
        "http://localhost/",
        "http://printer.local/",
        "http://intranet/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "file:///etc/passwd",
        "ftp://example.org/paper.pdf",
        "gopher://example.org/",
        "example.org/no-scheme",
        "http://user:pass@example.org/",
        "http://example.org:22/",
        "http://example.org:8080/",
        "https://example.org:8443/",
    ],
)
async def test_forbidden_url_is_refused_without_a_request(
    router: respx.Router, web: WebPageSource, dns: FakeDns, url: str
) -> None:
    answer_everything(router)

    with pytest.raises(FetchRefused):
        await web.fetch_title(url)

    assert router.calls.call_count == 0
    assert dns.asked == []  # refused on its face, before DNS


@pytest.mark.parametrize(
    "host", ["intranet.example.org", "split.example.org", "mapped.example.org", "rebind.example.org"]
)
async def test_name_resolving_to_any_private_address_is_refused(
    router: respx.Router, web: WebPageSource, dns: FakeDns, host: str
) -> None:
    answer_everything(router)

    with pytest.raises(FetchRefused, match="not a public address"):
        await web.fetch_title(f"https://{host}/page")

    assert dns.asked == [host]
    assert router.calls.call_count == 0


@pytest.mark.parametrize(
    ("address", "public"),
    [
        (PUBLIC, True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("64:ff9b::5db8:d822", True),  # NAT64 of 93.184.216.34
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("::ffff:10.0.0.1", False),
        ("::127.0.0.1", False),  # IPv4-compatible, deprecated
        ("fec0::1", False),  # site-local, deprecated
        ("192.0.2.1", False),  # documentation
        ("198.18.0.1", False),  # benchmarking
        ("255.255.255.255", False),
    ],
)
def test_public_address(address: str, public: bool) -> None:
    assert public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.1/admin",
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://[::1]:80/",
        "file:///etc/passwd",
        "http://example.org:22/",
        "https://intranet.example.org/",
        "http://admin:secret@example.org/",
    ],
)
async def test_redirect_to_forbidden_target_is_refused_without_following(
    router: respx.Router, web: WebPageSource, location: str
) -> None:
    router.head(f"https://{PUBLIC}/start").respond(302, headers={"location": location})
    answer_everything(router)

    with pytest.raises(FetchRefused):
        await web.fetch_title("https://example.org/start")

    assert [str(call.request.url) for call in router.calls] == [f"https://{PUBLIC}/start"]


async def test_public_page_title_is_read(router: respx.Router, web: WebPageSource) -> None:
    router.head(f"https://{PUBLIC}/paper").respond(200, headers=HTML)
    router.get(f"https://{PUBLIC}/paper").respond(200, headers=HTML, text=load("web/article.html"))

    page = await web.fetch_title("https://example.org/paper")

    assert (page.url, page.status, page.exists) == ("https://example.org/paper", 200, True)
    assert page.title == "Attention Is All You Need & More | Proceedings of Machine Learning"


async def test_connection_is_pinned_to_the_vetted_address(router: respx.Router, web: WebPageSource) -> None:
    router.head(f"https://{PUBLIC}/paper").respond(200, headers=HTML)
    router.get(f"https://{PUBLIC}/paper").respond(200, headers=HTML, text=load("web/article.html"))

    await web.fetch_title("https://example.org/paper")

    for call in router.calls:
        assert call.request.url.host == PUBLIC
        assert call.request.headers["host"] == "example.org"
        assert call.request.extensions["sni_hostname"] == "example.org"
    assert [call.request.method for call in router.calls] == ["HEAD", "GET"]


async def test_redirects_are_followed_and_each_hop_resolved(
    router: respx.Router, web: WebPageSource, dns: FakeDns
) -> None:
    router.head(f"http://{PUBLIC}/old").respond(301, headers={"location": "https://www.example.org/new"})
    router.head(f"https://{PUBLIC}/new").respond(302, headers={"location": "/newest?x=1"})
    router.head(f"https://{PUBLIC}/newest").respond(200, headers=HTML)
    router.get(f"https://{PUBLIC}/newest").respond(200, headers=HTML, text=load("web/article.html"))

    page = await web.fetch_title("http://example.org/old")

    assert page.url == "https://www.example.org/newest?x=1"
    assert dns.asked == ["example.org", "www.example.org", "www.example.org", "www.example.org"]
    assert router.calls[-1].request.headers["host"] == "www.example.org"


async def test_too_many_redirects_are_unavailable(
    router: respx.Router, client: httpx.AsyncClient, settings: Settings, dns: FakeDns
) -> None:
    web = WebPageSource(client, settings.model_copy(update={"fetch_max_redirects": 2}), resolver=dns)
    router.head(f"https://{PUBLIC}/loop").respond(302, headers={"location": "/loop"})

    with pytest.raises(SourceUnavailable, match="more than 2 redirects"):
        await web.fetch_title("https://example.org/loop")

    assert router.calls.call_count == 3


async def test_no_credentials_headers_or_cookies_are_sent(
    router: respx.Router, settings: Settings, dns: FakeDns
) -> None:
    router.head(f"https://{PUBLIC}/paper").respond(200, headers={**HTML, "set-cookie": "tracker=1; Path=/"})
    router.get(f"https://{PUBLIC}/paper").respond(200, headers=HTML, text=load("web/article.html"))
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(router.async_handler),
        headers={"Authorization": "Bearer s3cret", "X-Api-Key": "k"},
        cookies={"session": "abc"},
        auth=("user", "pw"),
    ) as leaky:
        await WebPageSource(leaky, settings, resolver=dns).fetch_title("https://example.org/paper")

    for call in router.calls:
        assert set(call.request.headers) == {"host", "user-agent", "accept", "accept-encoding"}
        assert call.request.headers["user-agent"] == settings.user_agent


async def test_byte_cap_stops_reading_a_huge_body(
    router: respx.Router, client: httpx.AsyncClient, settings: Settings, dns: FakeDns
) -> None:
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        yield b"<html><head><title>Big page</title></head><body>"
        for _ in range(10_000):
            sent.append(1)
            yield b"x" * 65_536

    web = WebPageSource(client, settings.model_copy(update={"fetch_max_bytes": 100_000}), resolver=dns)
    router.head(f"https://{PUBLIC}/big").respond(200, headers=HTML)
    router.get(f"https://{PUBLIC}/big").mock(side_effect=lambda _: httpx.Response(200, headers=HTML, content=endless()))

    page = await web.fetch_title("https://example.org/big")

    assert (page.exists, page.title) == (True, "Big page")
    assert len(sent) <= 2


async def test_title_beyond_the_byte_cap_is_none(
    router: respx.Router, client: httpx.AsyncClient, settings: Settings, dns: FakeDns
) -> None:
    web = WebPageSource(client, settings.model_copy(update={"fetch_max_bytes": 1_000}), resolver=dns)
    router.head(f"https://{PUBLIC}/late").respond(200, headers=HTML)
    router.get(f"https://{PUBLIC}/late").respond(200, headers=HTML, text=" " * 5_000 + "<title>Too late</title>")

    page = await web.fetch_title("https://example.org/late")

    assert (page.exists, page.title) == (True, None)


async def test_gzip_body_is_inflated_within_the_cap(router: respx.Router, web: WebPageSource) -> None:
    body = gzip.compress(b"<title>Zipped</title>" + b" " * 5_000_000)  # 5 MB of padding, ~5 kB on the wire
    router.head(f"https://{PUBLIC}/z").respond(200, headers=HTML)

    async def streamed() -> AsyncIterator[bytes]:  # a body not read in advance, as from the network
        for start in range(0, len(body), 1_000):
            yield body[start : start + 1_000]

    zipped = {**HTML, "content-encoding": "gzip"}
    router.get(f"https://{PUBLIC}/z").mock(
        side_effect=lambda _: httpx.Response(200, headers=zipped, content=streamed())
    )

    page = await web.fetch_title("https://example.org/z")

    assert page.title == "Zipped"


async def test_not_found_is_a_value_and_needs_no_get(router: respx.Router, web: WebPageSource) -> None:
    router.head(f"https://{PUBLIC}/gone").respond(404, headers=HTML)

    page = await web.fetch_title("https://example.org/gone")

    assert (page.status, page.exists, page.title) == (404, False, None)
    assert router.calls.call_count == 1


async def test_head_refused_falls_back_to_get(router: respx.Router, web: WebPageSource) -> None:
    router.head(f"https://{PUBLIC}/p").respond(405)
    router.get(f"https://{PUBLIC}/p").respond(410, headers=HTML, text=load("web/not-found.html"))

    page = await web.fetch_title("https://example.org/p")

    assert (page.status, page.exists, page.title) == (410, False, None)
    assert [call.request.method for call in router.calls] == ["HEAD", "GET"]


async def test_non_html_page_exists_without_a_get(router: respx.Router, web: WebPageSource) -> None:
    router.head(f"https://{PUBLIC}/paper.pdf").respond(200, headers={"content-type": "application/pdf"})

    page = await web.fetch_title("https://example.org/paper.pdf")

    assert (page.exists, page.title) == (True, None)
    assert router.calls.call_count == 1


async def test_og_title_is_the_fallback(router: respx.Router, web: WebPageSource) -> None:
    router.head(f"https://{PUBLIC}/news").respond(200, headers=HTML)
    router.get(f"https://{PUBLIC}/news").respond(200, headers=HTML, text=load("web/og-only.html"))

    page = await web.fetch_title("https://example.org/news")

    assert page.title == "The Climate Report’s Findings"  # entity decoded, spaces collapsed, SVG title ignored


async def test_citation_title_is_the_last_fallback(router: respx.Router, web: WebPageSource) -> None:
    router.head(f"https://{PUBLIC}/c").respond(200, headers=HTML)
    router.get(f"https://{PUBLIC}/c").respond(200, headers=HTML, text=load("web/citation-only.html"))

    page = await web.fetch_title("https://example.org/c")

    assert page.title == "A Dataset of Cited Web Pages"
    assert page.to_record().model_dump(include={"type", "venue", "year"}) == {
        "type": "paper-conference",
        "venue": "Workshop on Link Rot",
        "year": 2019,
    }


async def test_record_takes_highwire_citation_tags(router: respx.Router, web: WebPageSource) -> None:
    router.head(f"https://{PUBLIC}/paper").respond(200, headers=HTML)
    router.get(f"https://{PUBLIC}/paper").respond(200, headers=HTML, text=load("web/article.html"))

    record = (await web.fetch_title("https://example.org/paper")).to_record()

    assert (record.source, record.url, record.type) == ("web", "https://example.org/paper", "article-journal")
    assert record.title == "Attention Is All You Need & More"  # citation_title before <title>
    assert record.authors == (Name(family="Vaswani", given="Ashish"), Name(family="Shazeer", given="Noam"))
    assert (record.year, record.venue, record.volume, record.pages) == (
        2017,
        "Journal of Invented Results",
        "30",
        "5998-6008",
    )
    assert record.doi == "10.5555/3295222.3295349"


async def test_news_record_uses_open_graph(router: respx.Router, web: WebPageSource) -> None:
    router.head(f"https://{PUBLIC}/news").respond(200, headers=HTML)
    router.get(f"https://{PUBLIC}/news").respond(200, headers=HTML, text=load("web/og-only.html"))

    record = (await web.fetch_title("https://example.org/news")).to_record()

    assert (record.type, record.venue, record.year) == ("webpage", "Example News", 2021)
    assert record.authors == (Name(family="Reporter", given="Jane Q."),)


async def test_charset_from_content_type_is_used(router: respx.Router, web: WebPageSource) -> None:
    latin = {"content-type": "text/html; charset=iso-8859-1"}
    router.head(f"https://{PUBLIC}/l").respond(200, headers=latin)
    router.get(f"https://{PUBLIC}/l").respond(
        200, headers=latin, content="<title>Café Müller</title>".encode("latin-1")
    )

    assert (await web.fetch_title("https://example.org/l")).title == "Café Müller"


@pytest.mark.parametrize("status", [500, 503])
async def test_server_error_is_unavailable(router: respx.Router, web: WebPageSource, status: int) -> None:
    router.head(f"https://{PUBLIC}/p").respond(status)

    with pytest.raises(SourceUnavailable, match=f"HTTP {status}"):
        await web.fetch_title("https://example.org/p")


async def test_forbidden_get_is_unavailable_not_missing(router: respx.Router, web: WebPageSource) -> None:
    router.head(f"https://{PUBLIC}/p").respond(403)
    router.get(f"https://{PUBLIC}/p").respond(403, headers=HTML, text="<title>Just a moment...</title>")

    with pytest.raises(SourceUnavailable, match="HTTP 403"):
        await web.fetch_title("https://example.org/p")


async def test_get_refused_after_a_good_head_still_exists(router: respx.Router, web: WebPageSource) -> None:
    router.head(f"https://{PUBLIC}/p").respond(200, headers=HTML)
    router.get(f"https://{PUBLIC}/p").respond(403, headers=HTML, text="<title>Just a moment...</title>")

    page = await web.fetch_title("https://example.org/p")

    assert (page.status, page.exists, page.title) == (200, True, None)


async def test_429_is_rate_limited(router: respx.Router, web: WebPageSource) -> None:
    router.head(f"https://{PUBLIC}/p").respond(429, headers={"retry-after": "30"})

    with pytest.raises(SourceRateLimited) as caught:
        await web.fetch_title("https://example.org/p")

    assert caught.value.retry_after == 30.0


@pytest.mark.parametrize(
    ("error", "expected"),
    [(httpx.ConnectTimeout("slow"), SourceTimeout), (httpx.ConnectError("refused"), SourceUnavailable)],
)
async def test_transport_failures_are_source_errors(
    router: respx.Router, web: WebPageSource, error: Exception, expected: type[SourceError]
) -> None:
    router.head(f"https://{PUBLIC}/p").mock(side_effect=error)

    with pytest.raises(expected):
        await web.fetch_title("https://example.org/p")


async def test_unresolvable_host_is_unavailable_not_refused(router: respx.Router, web: WebPageSource) -> None:
    with pytest.raises(SourceUnavailable, match="cannot resolve"):
        await web.fetch_title("https://no-such-host.example.com/")

    assert router.calls.call_count == 0


async def test_fetch_timeout_bounds_the_whole_fetch(client: httpx.AsyncClient, settings: Settings) -> None:
    async def hanging(host: str, port: int) -> list[str]:
        await asyncio.Event().wait()  # never set
        return [PUBLIC]

    web = WebPageSource(client, settings.model_copy(update={"fetch_timeout": 0.01}), resolver=hanging)

    with pytest.raises(SourceTimeout):
        await web.fetch_title("https://example.org/p")


async def test_unvetted_request_path_is_closed(web: WebPageSource) -> None:
    with pytest.raises(NotImplementedError):
        await web._get("http://127.0.0.1/")


@pytest.fixture(autouse=True)
def _no_real_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The default resolver must never be reached from these tests."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("real DNS lookup")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield
