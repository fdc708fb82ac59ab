"""One typed settings object, read from the environment (prefix REFVERIFY_) at the entry point and passed down."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFVERIFY_", frozen=True)

    # Upstream roots: the adapters append the documented paths.
    crossref_url: str = "https://api.crossref.org"
    doi_url: str = "https://doi.org"
    datacite_url: str = "https://api.datacite.org"
    openalex_url: str = "https://api.openalex.org"
    semantic_scholar_url: str = "https://api.semanticscholar.org/graph/v1"
    arxiv_url: str = "https://export.arxiv.org/api"
    dblp_url: str = "https://dblp.org"
    pubmed_url: str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
    europepmc_url: str = "https://www.ebi.ac.uk/europepmc/webservices/rest"
    # Books, news and the web.
    openlibrary_url: str = "https://openlibrary.org"
    google_books_url: str = "https://www.googleapis.com/books/v1"
    wayback_url: str = "https://web.archive.org"
    wayback_availability_url: str = "https://archive.org/wayback/available"
    guardian_url: str = "https://content.guardianapis.com"
    nyt_url: str = "https://api.nytimes.com/svc/search/v2"
    wikipedia_url: str = "https://en.wikipedia.org/w/api.php"
    searxng_url: str | None = None  # optional self-hosted web search (https://docs.searxng.org)

    # Identification for polite pools (Crossref, OpenAlex, PubMed `email`, DataCite).
    mailto: str = "refverify@example.org"
    openalex_api_key: str | None = None
    semantic_scholar_api_key: str | None = None
    pubmed_api_key: str | None = None
    google_books_api_key: str | None = None
    guardian_api_key: str = "test"  # the Guardian's public development key
    nyt_api_key: str | None = None

    # Fetching cited web pages (an SSRF surface: see app/sources/web.py).
    fetch_max_bytes: int = Field(262_144, gt=0, description="Bytes read from a cited page at most.")
    fetch_timeout: float = Field(5.0, gt=0, description="Seconds for fetching a cited page.")
    fetch_max_redirects: int = Field(5, ge=0)

    # Cache of upstream answers and verdicts, and the job store: sqlite:///path or redis://host:port/db.
    cache_url: str = "sqlite:///data/refverify.sqlite"
    cache_ttl: int = Field(7 * 24 * 3600, ge=0, description="Seconds a positive answer is kept.")
    cache_negative_ttl: int = Field(24 * 3600, ge=0, description="Seconds a 'no such record' answer is kept.")

    # Sources to leave out, comma separated (e.g. "dblp,arxiv").
    disabled_sources: str = ""

    # Politeness: per-source rate and concurrency limits from the APIs' documented terms.
    # Turn off only against a local simulator whose limits are off.
    throttle: bool = True
    # Simulated upstreams whose clock runs faster (the evaluation kit's --time-scale): limits shrink with it.
    throttle_time_scale: float = Field(1.0, gt=0, description="Upstream clock scale; 1 for the real APIs.")
    request_timeout: float = Field(10.0, gt=0, description="Seconds for one upstream request.")
    retries: int = Field(2, ge=0, description="Retries of a transient upstream failure.")
    reference_deadline: float = Field(60.0, gt=0, description="Seconds to decide one reference.")
    max_references: int = Field(1000, gt=0, description="Largest list accepted by /v1/verify.")
    # References wait in the upstreams' queues: enough in flight keeps the slowest upstreams (one request a second)
    # busy all the time; `backlog` keeps their queues from growing past the reference deadline.
    concurrency: int = Field(64, gt=0, description="References of one request in flight at most.")
    job_concurrency: int = Field(128, gt=0, description="References of one job in flight at most.")
    backlog: float = Field(
        10.0,
        gt=0,
        description="Seconds of waiting at the busiest upstream beyond which requests and jobs start no more "
        "references.",
    )

    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def user_agent(self) -> str:
        return f"refverify/0.1 (https://github.com/refverify/refverify; mailto:{self.mailto})"

    def source_enabled(self, name: str) -> bool:
        return name not in {s.strip() for s in self.disabled_sources.split(",") if s.strip()}
