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

    # Identification for polite pools (Crossref, OpenAlex, PubMed `email`, DataCite).
    mailto: str = "refverify@example.org"
    openalex_api_key: str | None = None
    semantic_scholar_api_key: str | None = None
    pubmed_api_key: str | None = None

    # Sources to leave out, comma separated (e.g. "dblp,arxiv").
    disabled_sources: str = ""

    # Politeness: per-source rate and concurrency limits from the APIs' documented terms.
    # Turn off only against a local simulator whose limits are off.
    throttle: bool = True
    request_timeout: float = Field(10.0, gt=0, description="Seconds for one upstream request.")
    retries: int = Field(2, ge=0, description="Retries of a transient upstream failure.")
    reference_deadline: float = Field(60.0, gt=0, description="Seconds to decide one reference.")
    max_references: int = Field(1000, gt=0, description="Largest list accepted by /v1/verify.")
    concurrency: int = Field(16, gt=0, description="References verified at once per request.")

    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def user_agent(self) -> str:
        return f"refverify/0.1 (https://github.com/refverify/refverify; mailto:{self.mailto})"

    def source_enabled(self, name: str) -> bool:
        return name not in {s.strip() for s in self.disabled_sources.split(",") if s.strip()}
