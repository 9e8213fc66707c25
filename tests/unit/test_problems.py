"""Every error answer is an RFC 9457 problem document, and each service's OpenAPI says so."""

from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, HTTPException, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from cabinet_common import problems
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
