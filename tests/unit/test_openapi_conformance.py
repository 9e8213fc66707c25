"""What each service publishes in its OpenAPI is what it takes: every constraint the server
enforces on a request is in the schema (make fuzz, ST202, found requests the schema
allowed refused with a 422 or 415), and a body the schema requires is refused when missing
(ST201: /acknowledgements/verify answered 200 to no body at all)."""

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from cabinet_common import problems
from cabinet_common.form_types import periods
from cabinet_common.identifiers import ID_PATTERN
from cabinet_cycles.app import create_app as cycles_app
from cabinet_cycles.quarter_api import BackfillIn, OpenPeriodIn
from cabinet_cycles.schemas import FilerIn
from cabinet_cycles.settings import CyclesSettings
from cabinet_intake.app import create_app as intake_app
from cabinet_intake.settings import IntakeSettings
from cabinet_receipts.app import create_app as receipts_app
from cabinet_receipts.settings import ReceiptsSettings
from tests.auth_support import bearer, trust_test_tokens

SUBMISSIONS = "/departments/{department_id}/obligations/{obligation_id}/submissions"
READINGS = "/departments/{department_id}/readings"
VERIFY = "/acknowledgements/verify"


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("openapi")
    return {
        "intake": intake_app(IntakeSettings(evidence_dir=tmp)).openapi(),
        "receipts": receipts_app(ReceiptsSettings()).openapi(),
        "cycles": cycles_app(CyclesSettings()).openapi(),
    }


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return resolved


def _body_schema(spec: dict[str, Any], path: str, method: str, media: str) -> dict[str, Any]:
    body = spec["paths"][path][method]["requestBody"]
    assert body["required"] is True, (path, method)
    return _resolve(spec, body["content"][media]["schema"])


def _parameter(spec: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    found = [p for p in spec["paths"][path][method]["parameters"] if p["name"] == name]
    assert len(found) == 1, (path, method, name, found)
    parameter: dict[str, Any] = found[0]
    return parameter


def test_every_department_id_carries_the_id_pattern(specs: dict[str, dict[str, Any]]) -> None:
    """Every route under /departments/{department_id}, of every service, publishes the one
    id format the department id is checked against (PUT /departments/{department_id} was
    refused with WRONG_FORMAT for an id its schema allowed)."""
    walked = 0
    for service, spec in specs.items():
        for path, operations in spec["paths"].items():
            if "{department_id}" not in path:
                continue
            for method in operations:
                parameter = _parameter(spec, path, method, "department_id")
                assert parameter["schema"]["pattern"] == ID_PATTERN, (service, method, path)
                walked += 1
    assert walked >= 40
    put = _parameter(specs["cycles"], "/departments/{department_id}", "put", "department_id")
    assert put["schema"]["pattern"] == ID_PATTERN


def test_a_filers_form_type_ids_are_ids(specs: dict[str, dict[str, Any]]) -> None:
    """PUT .../filers/{filer_id} with form_type_ids ["", ""] was a 422 "No form type ''"
    although the schema allowed any string: each id now carries the id pattern."""
    schema = _body_schema(
        specs["cycles"], "/departments/{department_id}/filers/{filer_id}", "put", "application/json"
    )
    ids = schema["properties"]["form_type_ids"]
    assert ids["minItems"] == 1
    assert ids["items"] == {"type": "string", "pattern": ID_PATTERN}
    with pytest.raises(ValidationError) as refused:
        FilerIn(name="Acme", contact_email="a@acme.example", form_type_ids=["", ""])
    assert {e["type"] for e in refused.value.errors()} == {"string_pattern_mismatch"}
    FilerIn(name="Acme", contact_email="a@acme.example", form_type_ids=["vat-return"])


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/departments/{department_id}/form-types/{form_type_id}/periods", OpenPeriodIn),
        ("/departments/{department_id}/form-types/{form_type_id}/schedule/backfill", BackfillIn),
    ],
)
def test_a_period_key_body_carries_the_period_key_pattern(
    specs: dict[str, dict[str, Any]], path: str, model: type[BaseModel]
) -> None:
    """{"period_key": "null"} was refused with "must look like 2026-Q3" by a schema that
    allowed any string: the pattern is common's, published wherever a key is taken."""
    schema = _body_schema(specs["cycles"], path, "post", "application/json")
    assert schema["properties"]["period_key"]["pattern"] == periods.PERIOD_KEY_PATTERN
    assert schema["required"] == ["period_key"]
    for key in ("null", "", "2026-Q5", "0000-Q1", "fy2026-Q1"):
        with pytest.raises(ValidationError):
            model.model_validate({"period_key": key})
    for key in ("2026-Q3", "FY2026-Q1"):
        model.model_validate({"period_key": key})


def test_the_period_key_pattern_is_exactly_the_keys_a_cadence_takes() -> None:
    """Every key the pattern lets through is a quarter of one cadence (which one a form type
    takes is its own rule), and every quarter of either cadence, in every year a key may
    name, matches it: the published pattern is neither looser nor stricter than `period`."""
    pattern = re.compile(periods.PERIOD_KEY_PATTERN)
    cadences: tuple[periods.Cadence, ...] = ("calendar_quarters", "fiscal_quarters_april")
    for year in range(10_000):
        for prefix in ("", "FY"):
            for quarter in (0, 1, 4, 5):
                key = f"{prefix}{year:04d}-Q{quarter}"
                parsed = 0
                for cadence in cadences:
                    try:
                        periods.period(cadence, key)
                    except periods.InvalidPeriodKey:
                        continue
                    parsed += 1
                assert (pattern.fullmatch(key) is not None) == (parsed == 1), key
    assert pattern.fullmatch(f"{periods.FIRST_YEAR}-Q1")
    assert pattern.fullmatch(f"FY{periods.LAST_YEAR}-Q4")


def test_a_submission_part_may_not_be_empty(specs: dict[str, dict[str, Any]]) -> None:
    """An empty `submission` part is read as a missing one (422 REQUIRED): the schema
    says it has at least one character, so an empty one is not offered as valid."""
    schema = _body_schema(specs["intake"], SUBMISSIONS, "post", "multipart/form-data")
    assert schema["properties"]["submission"]["minLength"] == 1
    assert "submission" in schema["required"]


def test_a_file_to_read_may_not_be_empty(specs: dict[str, dict[str, Any]]) -> None:
    """POST .../readings refused an empty file (415 FILE_EMPTY) its schema allowed: every
    media type's body has at least one byte, and the 415 is documented."""
    operation = specs["receipts"]["paths"][READINGS]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/pdf", "image/png", "image/jpeg", "text/csv"}
    for media, body in content.items():
        assert body["schema"] == {"type": "string", "format": "binary", "minLength": 1}, media
    assert "empty" in operation["responses"]["415"]["description"]
    assert operation["responses"]["415"]["content"] == problems.problem_content()


def test_verify_documents_its_body_and_the_422_for_none(
    specs: dict[str, dict[str, Any]],
) -> None:
    operation = specs["cycles"]["paths"][VERIFY]["post"]
    assert operation["requestBody"]["required"] is True
    pdf = operation["requestBody"]["content"]["application/pdf"]["schema"]
    assert pdf["minLength"] == 1
    assert operation["responses"]["422"]["content"] == problems.problem_content()


def _declared_body_answer() -> httpx.Response:
    """What FastAPI (with Cabinet's problem handlers) answers to a route whose declared
    body was not sent: the answer every other route gives."""

    class Thing(BaseModel):
        name: str

    app = FastAPI()
    problems.install(app)

    @app.post("/things")
    async def add(thing: Thing) -> Thing:
        return thing

    with TestClient(app) as client:
        answer: httpx.Response = client.post("/things")
    return answer


@pytest.mark.parametrize("content", [None, b""], ids=["no body", "empty body"])
async def test_verify_without_a_body_is_the_usual_422(
    tmp_path: Path, content: bytes | None
) -> None:
    """ST201: POST /acknowledgements/verify with no body answered 200 ("not genuine"). A
    required body that is missing is now the same 422 problem as on every route whose
    body FastAPI reads itself."""
    app = cycles_app(CyclesSettings())
    trust_test_tokens(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cycles") as client:
        answer = await client.post(VERIFY, content=content, headers=bearer())
    expected = _declared_body_answer()
    assert expected.status_code == 422
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == problems.MEDIA_TYPE
    assert answer.json() == expected.json()
    assert answer.json()["code"] == "REQUIRED"
