"""Errors as `application/problem+json` (RFC 9457), mapped once here so that routes stay short."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.cache import StoreUnavailable
from app.errors import InputError
from app.jobs import UnknownJob

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


class UnsupportedMediaType(Exception):
    def __init__(self, content_type: str, supported: tuple[str, ...]) -> None:
        super().__init__(content_type)
        self.content_type = content_type
        self.supported = supported


async def _input_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    return problem(400, "Malformed input", exc.message, where=exc.where)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"where": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
    detail = "; ".join(f"{e['where']}: {e['message']}" for e in errors)
    return problem(422, "Invalid request", detail, errors=errors)


async def _unsupported(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UnsupportedMediaType)
    return problem(415, "Unsupported media type", f"Cannot read {exc.content_type!r}.", supported=list(exc.supported))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(exc.status_code, str(exc.detail), str(exc.detail))


async def _unknown_job(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UnknownJob)
    return problem(404, "Unknown job", f"No job has id {exc.args[0]!r}.")


async def _store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StoreUnavailable)
    # Retry-After: the store is usually back within seconds (a Redis failover, a locked SQLite file).
    response = problem(503, "Job store unavailable", str(exc))
    response.headers["Retry-After"] = "5"
    return response


def install(app: FastAPI) -> None:
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(UnsupportedMediaType, _unsupported)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(UnknownJob, _unknown_job)
    app.add_exception_handler(StoreUnavailable, _store_unavailable)
