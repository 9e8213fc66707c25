"""Every error answer is an RFC 9457 problem document, and each service's OpenAPI says so."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from sqlalchemy import AsyncAdaptedQueuePool, text
from sqlalchemy.ext.asyncio import create_async_engine

from cabinet_common import problems
from cabinet_common.database import session_factory
from cabinet_common.service import DbSession, ServiceRuntime, create_service_app
from cabinet_cycles.app import create_app as create_cycles
from cabinet_cycles.settings import CyclesSettings
from cabinet_intake.app import create_app as create_intake
from cabinet_intake.settings import IntakeSettings
from cabinet_receipts.app import create_app as create_receipts
from cabinet_receipts.settings import ReceiptsSettings


class Line(BaseModel):
    payee: str = Field(max_length=10)
    amount_pence: int = Field(ge=0)


def small_app() -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.post("/lines", responses=problems.responses({409: "Closed"}))
    async def add(line: Line, closed: Annotated[bool, Query()] = False) -> Line:
        if closed:
            raise problems.Problem(409, "PERIOD_CLOSED", "The period has closed")
        return line

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(418, "Short and stout")

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("a secret stack detail")

    return app


def test_a_raised_problem_is_a_problem_document() -> None:
    answer = TestClient(small_app()).post(
        "/lines?closed=true", json={"payee": "Acme", "amount_pence": 1}
    )
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json() == {
        "type": "urn:cabinet:problem:period-closed",
        "title": "Conflict",
        "status": 409,
        "detail": "The period has closed",
        "code": "PERIOD_CLOSED",
        "errors": [],
    }


def test_validation_errors_are_coded_per_field_and_never_echo_the_input() -> None:
    answer = TestClient(small_app()).post(
        "/lines", json={"payee": "x" * 100_000, "amount_pence": -5}
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert [(e["code"], e["field"]) for e in body["errors"]] == [
        ("TOO_LONG", "payee"),
        ("NEGATIVE", "amount_pence"),
    ]
    assert body["code"] == "INVALID_REQUEST"
    assert len(answer.content) < 1000


def test_http_errors_and_crashes_are_problem_documents_too() -> None:
    client = TestClient(small_app(), raise_server_exceptions=False)
    teapot = client.get("/teapot")
    assert (teapot.status_code, teapot.json()["code"], teapot.json()["detail"]) == (
        418,
        "IM_A_TEAPOT",
        "Short and stout",
    )
    missing = client.get("/nowhere")
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
    assert missing.headers["content-type"] == "application/problem+json"
    broken = client.get("/broken")
    assert (broken.status_code, broken.json()["code"]) == (500, "INTERNAL_ERROR")
    assert "secret" not in broken.text


def _error_answers(spec: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    return [
        (path, method, status, answer.get("content"))
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        if status[0] in "45"
    ]


@pytest.mark.parametrize(
    "app",
    [
        pytest.param(lambda tmp: create_intake(IntakeSettings(evidence_dir=tmp)), id="intake"),
        pytest.param(lambda tmp: create_receipts(ReceiptsSettings()), id="receipts"),
        pytest.param(lambda tmp: create_cycles(CyclesSettings()), id="cycles"),
    ],
)
def test_each_service_documents_its_errors_as_problem_documents(app: Any, tmp_path: Path) -> None:
    spec = app(tmp_path).openapi()
    answers = _error_answers(spec)
    assert answers, "no error answers documented"
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert [a for a in answers if a[3] != problem] == []
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert spec["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
        "code",
    ]


def test_a_dependencys_answers_are_documented_on_every_route_using_it() -> None:
    """A dependency marked with answers(...), used by a router or deep in a route's
    dependencies, documents them on each such route (a route's own words win); a route
    not using it documents nothing more."""

    @problems.answers({401: {"description": "Who are you?"}})
    async def who() -> str:
        raise problems.Problem(401, "UNAUTHORIZED", "Send a token")

    async def member(caller: Annotated[str, Depends(who)]) -> str:
        return caller

    @problems.answers({403: {"description": "Not you"}})
    async def staff(caller: Annotated[str, Depends(member)]) -> str:
        return caller

    app = FastAPI()
    problems.install(app)
    router = APIRouter(prefix="/inside", dependencies=[Depends(member)])

    @router.get("/plain")
    async def plain() -> None: ...

    @router.get(
        "/staff", dependencies=[Depends(staff)], responses=problems.responses({403: "Mine"})
    )
    async def staff_only() -> None: ...

    @app.get("/open")
    async def open_route() -> None: ...

    app.include_router(router)
    paths = app.openapi()["paths"]
    plain_answers = paths["/inside/plain"]["get"]["responses"]
    staff_answers = paths["/inside/staff"]["get"]["responses"]
    assert set(plain_answers) == {"200", "401"}
    assert plain_answers["401"]["description"] == "Who are you?"
    assert plain_answers["401"]["content"] == problems.problem_content()
    assert set(staff_answers) == {"200", "401", "403"}
    assert staff_answers["403"]["description"] == "Mine"
    assert set(paths["/open"]["get"]["responses"]) == {"200"}
    with TestClient(app) as client:
        answered = client.get("/inside/plain")
    assert answered.status_code == 401
    assert answered.headers["content-type"] == problems.MEDIA_TYPE


def test_a_405_names_every_documented_method_of_the_path() -> None:
    """Two routes on one path (GET and PUT) and a path written out beside a template
    (POST /things/import beside /things/{thing_id}): Allow lists what the OpenAPI documents
    for the path asked, not the first route Starlette happened to match."""
    app = FastAPI()
    problems.install(app)

    @app.get("/things/{thing_id}")
    async def read(thing_id: str) -> None: ...

    @app.put("/things/{thing_id}")
    async def write(thing_id: str) -> None: ...

    @app.post("/things/import")
    async def import_things() -> None: ...

    with TestClient(app) as client:
        one = client.options("/things/7")
        imported = client.options("/things/import")
    assert one.status_code == 405
    assert one.headers["allow"] == "GET, PUT"
    assert one.headers["content-type"] == problems.MEDIA_TYPE
    assert imported.status_code == 405
    assert imported.headers["allow"] == "POST"


def test_a_service_out_of_database_connections_is_busy_not_broken() -> None:
    engine = create_async_engine(
        "sqlite+aiosqlite://",
        poolclass=AsyncAdaptedQueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=0.1,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = ServiceRuntime(engine, session_factory(engine))
        yield
        await engine.dispose()

    app = create_service_app("Busy", lifespan, max_request_bytes=1024)

    @app.get("/filings")
    async def filings(session: DbSession) -> None:
        async with engine.connect():  # the pool's only connection, busy elsewhere
            await session.execute(text("SELECT 1"))

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/filings")
    assert (answer.status_code, answer.json()["code"], answer.headers["retry-after"]) == (
        503,
        "SERVICE_BUSY",
        "5",
    )
    assert "QueuePool" not in answer.text
    documented = app.openapi()["paths"]["/filings"]["get"]["responses"]["503"]
    assert "Retry-After" in documented["headers"]
