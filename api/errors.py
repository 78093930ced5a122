"""The error convention: domain exceptions carry their HTTP status; one handler renders them all.

Every error body is a problem document (RFC 9457): `status`, `title`, `detail` (a sentence a
person can act on) and, for bad input, `errors`: one entry per field with what is wrong.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("pledge.api")

PROBLEM_JSON = "application/problem+json"


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """What every error response carries."""

    status: int
    title: str
    detail: str
    errors: list[FieldProblem] | None = None


class PledgeError(Exception):
    """A failure the client can understand; subclasses fix the status."""

    status_code: ClassVar[int] = 500

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers


class BadRequest(PledgeError):
    status_code = 400


class Unauthorized(PledgeError):
    status_code = 401

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(PledgeError):
    status_code = 403


class NotFound(PledgeError):
    status_code = 404


class Conflict(PledgeError):
    status_code = 409


class InvalidInput(PledgeError):
    status_code = 422

    @classmethod
    def for_field(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", errors=[FieldProblem(field=field, message=message)])

    @classmethod
    def of(cls, problems: list[FieldProblem]) -> InvalidInput:
        """Several fields wrong at once, each named."""
        return cls("; ".join(f"{p.field}: {p.message}" for p in problems), errors=problems)

    @classmethod
    def from_validation(cls, exc: ValidationError, prefix: str = "body") -> InvalidInput:
        """A model's refusal of a form's values, as the API refuses a body: per field, and
        'is required' for a blank or missing one."""
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in (prefix, *error.get("loc", ())))
            blank = error.get("type") == "string_too_short" and error.get("input") == ""
            message = "is required" if error.get("type") == "missing" or blank else error["msg"]
            problems.append(FieldProblem(field=where, message=message or "is invalid"))
        return cls.of(problems)


class PayloadTooLarge(PledgeError):
    """An upload past its limit: refused while it is read, before the rest arrives."""

    status_code = 413

    @classmethod
    def for_field(cls, field: str, message: str) -> PayloadTooLarge:
        return cls(f"{field}: {message}", errors=[FieldProblem(field=field, message=message)])


class TooManyRequests(PledgeError):
    status_code = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(PledgeError):
    """Something Pledge needs (the database, Temporal, a worker) cannot serve the request now;
    the detail says what was kept, and Retry-After when to try again."""

    status_code = 503

    def __init__(
        self,
        detail: str,
        *,
        retry_after: int = 5,
        errors: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            detail, errors=errors, headers={"Retry-After": str(retry_after), **(headers or {})}
        )


def problem_response(
    status: int,
    detail: str,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(status=status, title=HTTPStatus(status).phrase, detail=detail, errors=errors)
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for a route: the problem document under each status it may answer
    (every route authenticates, so 401 and 429 for failed attempts; 422 for bad input)."""
    return {
        status: {"model": Problem, "description": HTTPStatus(status).phrase}
        for status in sorted({*statuses, 401, 422, 429})
    }


def _field_name(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location) or "body"


def _validation_problems(exc: RequestValidationError) -> tuple[str, list[FieldProblem]]:
    problems: list[FieldProblem] = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            context = error.get("ctx", {}).get("error", "")
            detail = f"The request body is not valid JSON ({context})".replace(" ()", "")
            return detail, [FieldProblem(field="body", message=detail)]
        location = tuple(error.get("loc", ()))
        message = error.get("msg", "is invalid")
        if error.get("type") == "missing":
            message = "is required"
        elif error.get("type") == "extra_forbidden":
            message = "is not a field this endpoint accepts"
        problems.append(FieldProblem(field=_field_name(location), message=message))
    detail = "; ".join(f"{problem.field}: {problem.message}" for problem in problems)
    return detail or "The request is invalid", problems


async def _pledge_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PledgeError)
    return problem_response(exc.status_code, exc.detail, exc.errors, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail, problems = _validation_problems(exc)
    return problem_response(422, detail, problems)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No such endpoint: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem_response(exc.status_code, detail, headers=getattr(exc, "headers", None))


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "Something went wrong on our side; it has been logged.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PledgeError, _pledge_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
