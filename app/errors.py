"""Exceptions raised by refverify.

    RefverifyError
    ├── InputError            the request cannot be understood (-> 400/415/422 problem+json)
    └── SourceError           an upstream could not answer; never means "not found"
        ├── SourceTimeout     no answer in time
        ├── SourceRateLimited the upstream said 429 (or its budget is spent)
        └── SourceUnavailable 5xx, bot-check page, malformed or truncated body, connection failure
            └── SourceUnreachable  no connection at all (DNS failure, refused): not retried

Expected outcomes (an unknown DOI, an empty search) are values, not exceptions.
"""

from __future__ import annotations


class RefverifyError(Exception):
    """Base of every error refverify raises on purpose."""


class InputError(RefverifyError):
    """Malformed input. `where` names the entry or line, so the caller can fix it."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class SourceError(RefverifyError):
    """An upstream failed to answer. Carries the source's name for the per-reference report."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


class SourceTimeout(SourceError):
    pass


class SourceRateLimited(SourceError):
    def __init__(self, source: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(source, message)
        self.retry_after = retry_after


class SourceUnavailable(SourceError):
    pass


class SourceUnreachable(SourceUnavailable):
    """No connection could be made: retrying within a second would only repeat the failure."""
