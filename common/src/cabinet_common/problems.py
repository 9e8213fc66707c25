"""Every error answer of every service as an RFC 9457 problem document
(`application/problem+json`): `type`, `title`, `status`, `detail`, a stable `code`, and in
`errors` each thing wrong with what it concerns (a request field, a file sent, a receipt).

Raise `Problem(status, code, detail)`; `install(app)` (done by the service factory) turns
it, Starlette's HTTP errors and FastAPI's request validation errors into problem
documents and puts the problem schema on every error answer of the OpenAPI. A route
dependency that refuses (authentication's 401, a role's 403, another department's 404) is
marked with `answers(...)`: every route depending on it, however deep, documents those
answers, so no service lists them route by route."""

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from http import HTTPStatus
from typing import Any, TypeVar

import fastapi.routing
from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

MEDIA_TYPE = "application/problem+json"

# A validation error never quotes what was sent (a 10 MB name must not come back as a
# 10 MB error); only the first few problems are listed.
MAX_ITEMS = 20
MAX_FIELD_CHARS = 200


class ProblemItem(BaseModel):
    """One thing wrong, and what it concerns: a field of the request (a dotted path such
    as `receipts.0.amount_pence`, or a form question's id), a file sent (1-based position
    and its name), a row of a CSV file sent, or a receipt already held (its id)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Stable, machine-readable: e.g. NEGATIVE, EMPTY_FILE")
    detail: str = Field(description="What is wrong, in words a person can act on")
    field: str | None = None
    file: int | None = Field(default=None, description="The file's position, from 1")
    file_name: str | None = None
    row: int | None = Field(default=None, description="A CSV row; the header is row 1")
    receipt_id: str | None = None


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document, with Cabinet's `code` and `errors` extensions."""

    model_config = ConfigDict(title="Problem", extra="forbid")

    type: str = Field(description="A URI naming the problem type: urn:cabinet:problem:<code>")
    title: str = Field(description="The problem type in a few words (the HTTP status phrase)")
    status: int
    detail: str = Field(description="This occurrence, in words a person can act on")
    code: str = Field(description="Stable, machine-readable: e.g. NOT_FOUND, OBLIGATION_CLOSED")
    errors: list[ProblemItem] = Field(default_factory=list)


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        errors: Sequence[ProblemItem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})

    def document(self) -> ProblemDocument:
        return ProblemDocument(
            type=f"urn:cabinet:problem:{self.code.lower().replace('_', '-')}",
            title=_phrase(self.status),
            status=self.status,
            detail=self.detail,
            code=self.code,
            errors=self.errors,
        )

    def response(self) -> JSONResponse:
        return JSONResponse(
            self.document().model_dump(exclude_none=True),
            status_code=self.status,
            headers=self.headers,
            media_type=MEDIA_TYPE,
        )


def refused(errors: Sequence[ProblemItem], status: int = 422) -> Problem:
    """Several things wrong at once: `detail` sums them up, `errors` lists each."""
    codes = {e.code for e in errors}
    code = codes.pop() if len(codes) == 1 else "INVALID_REQUEST"
    return Problem(status, code, "; ".join(e.detail for e in errors), errors)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _code_of_status(status: int) -> str:
    try:
        return HTTPStatus(status).name
    except ValueError:
        return "ERROR"


# Pydantic's error types, as Cabinet's codes and words (its own words name the input's
# type and limits, never the input itself).
_VALIDATION_CODES = {
    "missing": "REQUIRED",
    "extra_forbidden": "UNKNOWN_FIELD",
    "json_invalid": "INVALID_JSON",
    "json_type": "INVALID_JSON",
    "string_too_long": "TOO_LONG",
    "too_long": "TOO_LONG",
    "string_too_short": "TOO_SHORT",
    "too_short": "TOO_SHORT",
    "greater_than": "TOO_SMALL",
    "greater_than_equal": "TOO_SMALL",
    "less_than": "TOO_LARGE",
    "less_than_equal": "TOO_LARGE",
    "int_parsing": "NOT_A_NUMBER",
    "int_type": "NOT_A_NUMBER",
    "int_from_float": "NOT_A_WHOLE_NUMBER",
    "date_from_datetime_parsing": "NOT_A_DATE",
    "date_parsing": "NOT_A_DATE",
    "date_type": "NOT_A_DATE",
    "enum": "NOT_A_CHOICE",
    "literal_error": "NOT_A_CHOICE",
    "string_pattern_mismatch": "WRONG_FORMAT",
}


def validation_item(error: Mapping[str, Any], skip: int = 0) -> ProblemItem:
    """One pydantic error as a problem item; `skip` drops leading parts of its location
    (FastAPI's `body`/`query`/`header`)."""
    path = ".".join(str(part) for part in error.get("loc", ())[skip:])[:MAX_FIELD_CHARS]
    kind = str(error.get("type", ""))
    code = _VALIDATION_CODES.get(kind, "INVALID")
    context = error.get("ctx") or {}
    detail = str(error.get("msg", "Invalid"))
    if code == "TOO_SMALL" and context.get("ge") == 0:
        code, detail = "NEGATIVE", "must be 0 or more, not negative"
    return ProblemItem(code=code, detail=f"{path or 'the request'}: {detail}", field=path or None)


def validation_problem(errors: Sequence[Mapping[str, Any]], skip: int = 0) -> Problem:
    items = [validation_item(e, skip) for e in errors[:MAX_ITEMS]]
    problem = refused(items)
    if len(errors) > MAX_ITEMS:
        problem.detail += f"; and {len(errors) - MAX_ITEMS} more"
    return problem


async def _on_problem(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Problem)
    return error.response()


async def _on_http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail if isinstance(error.detail, str) else _phrase(error.status_code)
    headers = dict(error.headers or {})
    # An exception that carries its own stable code (BODY_TOO_LARGE) keeps it.
    code = getattr(error, "code", None) or _code_of_status(error.status_code)
    if error.status_code == 405 and isinstance(request.scope.get("app"), FastAPI):
        allowed = allowed_methods(request.scope["app"], request.scope["path"])
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    return Problem(error.status_code, code, detail, (), headers).response()


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI documents for this path (a path written out, such as
    .../filers/import, before a template that would also match it). Starlette's 405 names
    only the first route whose path matched, so two routes on one path (GET and PUT
    .../filers/{filer_id}) each hid the other's method from `Allow`."""
    patterns: list[tuple[re.Pattern[str], list[str]]] | None = getattr(
        app.state, "cabinet_allow_patterns", None
    )
    if patterns is None:
        patterns = []
        paths = app.openapi().get("paths", {})
        # Fewer parameters first: a segment written out wins over a template, as in OpenAPI.
        for template in sorted(paths, key=lambda t: t.count("{")):
            regex = re.sub(r"\\\{[^}/]+\\\}", "[^/]+", re.escape(template))
            methods = sorted(m.upper() for m in paths[template] if m.upper() in _HTTP_METHODS)
            patterns.append((re.compile(f"^{regex}$"), methods))
        app.state.cabinet_allow_patterns = patterns
    return next((methods for pattern, methods in patterns if pattern.match(path)), [])


_HTTP_METHODS = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}


async def _on_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    # FastAPI's locations start with where the value came from: body, query, path, header.
    return validation_problem(list(error.errors()), skip=1).response()


async def _on_unexpected(request: Request, error: Exception) -> JSONResponse:
    return Problem(500, "INTERNAL_ERROR", "Something went wrong; try again later").response()


def problem_content() -> dict[str, Any]:
    return {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def responses(answers: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """A route's documented error answers, each a problem document: {404: "why"}."""
    return {status: {"description": why} for status, why in answers.items()}


Call = TypeVar("Call", bound=Callable[..., Any])
_ANSWERS = "__cabinet_answers__"


def answers(documented: Mapping[int, Mapping[str, Any]]) -> Callable[[Call], Call]:
    """Mark a route dependency with the problem answers it gives ({401: {"description":
    ..., "headers": ...}}): the OpenAPI of every route that depends on it documents them."""

    def mark(call: Call) -> Call:
        setattr(call, _ANSWERS, {status: dict(answer) for status, answer in documented.items()})
        return call

    return mark


def dependency_answers(dependant: Dependant) -> dict[int, dict[str, Any]]:
    """The answers marked on a route's dependencies, its router's included, at any depth."""
    found: dict[int, dict[str, Any]] = {}
    pending = [dependant]
    while pending:
        current = pending.pop()
        for status, answer in getattr(current.call, _ANSWERS, {}).items():
            found.setdefault(status, answer)
        pending.extend(current.dependencies)
    return found


def _api_routes(app: FastAPI) -> Iterator[Any]:
    """The app's API routes, those of included routers too (FastAPI from 0.16x keeps an
    included router as one route and resolves its routes' contexts lazily)."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    for route in iterate(app.routes) if iterate is not None else app.routes:
        if isinstance(getattr(route, "original_route", route), APIRoute):
            yield route


def _document_dependency_answers(app: FastAPI, schema: dict[str, Any]) -> None:
    paths = schema.get("paths", {})
    for route in _api_routes(app):
        if not route.include_in_schema or route.dependant is None:
            continue
        found = dependency_answers(route.dependant)
        for method in route.methods or ():
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            documented = operation.setdefault("responses", {})
            for status, answer in sorted(found.items()):
                documented.setdefault(str(status), dict(answer))


def _documented(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI with every 4xx/5xx answer a problem document (FastAPI's own 422
    schema replaced), and the problem schema among the components."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = ProblemDocument.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    _document_dependency_answers(app, schema)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            if "requestBody" in operation:
                # Starlette's own answer to a body it cannot parse at all.
                operation["responses"].setdefault(
                    "400", {"description": "The body cannot be parsed"}
                )
                # cabinet_common.body_limit's answer to a body over the service's limit.
                operation["responses"].setdefault(
                    "413", {"description": "The body is larger than this service takes"}
                )
            for status, answer in operation.get("responses", {}).items():
                if str(status)[0] in "45":
                    if answer.get("description") == "Validation Error":
                        answer["description"] = "The request is not valid: each problem listed"
                    answer["content"] = problem_content()
    app.openapi_schema = schema
    return schema


def install(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unexpected)
    app.openapi = lambda: _documented(app)  # type: ignore[method-assign]
