"""The register routes of the cycles API in process, on a SQLite file: publishing form type
versions (JSON or YAML) and importing filers from CSV, all or nothing."""

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cabinet_common import problems
from cabinet_common.database import create_engine, session_factory
from cabinet_common.migrations import migrate_engine
from cabinet_cycles import filers_api, form_types_api
from cabinet_cycles.api import router as departments_router
from cabinet_cycles.migrations import SCHEMA
from tests.auth_support import MACHINE, trust_test_tokens
from tests.unit.form_type_examples import EXAMPLES, example_document

DEPARTMENT = "/departments/dept"
VAT_YAML = (EXAMPLES / "vat-return.yaml").read_bytes()
YAML = {"content-type": "application/yaml"}
CSV = {"content-type": "text/csv"}
HEADER = "filer_id,name,contact_email,form_type_ids\n"


class RecordingScheduleKeeper:
    """Stands in for the Temporal schedules: records which form types it was asked for."""

    def __init__(self) -> None:
        self.ensured: list[tuple[str, str]] = []

    async def ensure(self, department_id: str, form_type_id: str) -> None:
        self.ensured.append((department_id, form_type_id))


@pytest.fixture
async def cycles(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'cycles.db'}")
    await migrate_engine(engine, SCHEMA)
    app = FastAPI()
    problems.install(app)
    trust_test_tokens(app)
    # The routes need only the runtime's sessions; Kafka and Temporal stay out of it.
    app.state.runtime = SimpleNamespace(sessions=session_factory(engine))
    app.state.schedule_keeper = RecordingScheduleKeeper()
    for router in (departments_router, form_types_api.router, filers_api.router):
        app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://cycles", headers=MACHINE
    ) as client:
        (await client.put(DEPARTMENT, json={"name": "Dept"})).raise_for_status()
        yield client
    await engine.dispose()


async def publish(cycles: httpx.AsyncClient, document: dict[str, Any]) -> httpx.Response:
    return await cycles.put(f"{DEPARTMENT}/form-types/vat-return", json=document)


async def test_the_same_definition_again_is_the_same_version(cycles: httpx.AsyncClient) -> None:
    first = await cycles.put(f"{DEPARTMENT}/form-types/vat-return", content=VAT_YAML, headers=YAML)
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1
    again_as_json = await publish(cycles, example_document("vat-return"))
    assert again_as_json.json() == first.json()


async def test_a_changed_definition_is_the_next_version_and_earlier_ones_stay(
    cycles: httpx.AsyncClient,
) -> None:
    original = example_document("vat-return")
    await publish(cycles, original)
    changed = await publish(cycles, original | {"escalate_after_days_overdue": 30})
    assert changed.json()["version"] == 2
    current = (await cycles.get(f"{DEPARTMENT}/form-types/vat-return")).json()
    assert (current["version"], current["definition"]["escalate_after_days_overdue"]) == (2, 30)
    first = (await cycles.get(f"{DEPARTMENT}/form-types/vat-return/versions/1")).json()
    assert first["definition"]["escalate_after_days_overdue"] == 15
    back_to_the_original = await publish(cycles, original)
    assert back_to_the_original.json()["version"] == 3
    missing = await cycles.get(f"{DEPARTMENT}/form-types/vat-return/versions/4")
    assert missing.status_code == 404


async def test_a_definition_that_cannot_be_applied_is_refused_and_nothing_is_published(
    cycles: httpx.AsyncClient,
) -> None:
    document = example_document("vat-return")
    document["rules"][0]["of"] = ["box1", "box99"]
    refused = await publish(cycles, document)
    assert refused.status_code == 422
    [problem] = refused.json()["errors"]
    assert "field" not in problem
    assert "rule 1 (sum): there is no field box99" in problem["detail"]
    assert (await cycles.get(f"{DEPARTMENT}/form-types/vat-return")).status_code == 404


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b"name: [unclosed", YAML, 422),
        (b"{not json", {"content-type": "application/json"}, 422),
        (b"- just\n- a list\n", YAML, 422),
        (VAT_YAML, {"content-type": "text/plain"}, 415),
    ],
)
async def test_a_body_that_is_not_a_definition_is_refused(
    cycles: httpx.AsyncClient, content: bytes, headers: dict[str, str], status: int
) -> None:
    response = await cycles.put(
        f"{DEPARTMENT}/form-types/vat-return", content=content, headers=headers
    )
    assert response.status_code == status, response.text


async def test_a_form_type_needs_its_department(cycles: httpx.AsyncClient) -> None:
    response = await cycles.put(
        "/departments/nowhere/form-types/vat", content=VAT_YAML, headers=YAML
    )
    assert response.status_code == 404


async def filers(cycles: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await cycles.get(f"{DEPARTMENT}/filers")
    response.raise_for_status()
    listed: list[dict[str, Any]] = response.json()
    return listed


async def test_importing_a_register_creates_updates_and_leaves_unchanged(
    cycles: httpx.AsyncClient,
) -> None:
    await cycles.put(f"{DEPARTMENT}/form-types/vat-return", content=VAT_YAML, headers=YAML)
    first = await cycles.post(
        f"{DEPARTMENT}/filers/import",
        content=HEADER
        + "acme-ltd,Acme Ltd,returns@acme.example,vat-return\n"
        + "birch-and-co,Birch & Co,returns@birch.example,vat-return\n",
        headers=CSV,
    )
    assert first.status_code == 200, first.text
    assert (first.json()["created"], first.json()["updated"]) == (2, 0)

    second = await cycles.post(
        f"{DEPARTMENT}/filers/import",
        content=HEADER
        + "acme-ltd,Acme Ltd,returns@acme.example,vat-return\n"
        + "birch-and-co,Birch and Co,returns@birch.example,vat-return\n"
        + "cobalt,Cobalt,returns@cobalt.example,vat-return\n",
        headers=CSV,
    )
    assert second.json() == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "rows": [
            {"row": 2, "filer_id": "acme-ltd", "outcome": "unchanged"},
            {"row": 3, "filer_id": "birch-and-co", "outcome": "updated"},
            {"row": 4, "filer_id": "cobalt", "outcome": "created"},
        ],
    }
    assert [(f["filer_id"], f["name"]) for f in await filers(cycles)] == [
        ("acme-ltd", "Acme Ltd"),
        ("birch-and-co", "Birch and Co"),
        ("cobalt", "Cobalt"),
    ]


async def test_an_import_with_a_bad_row_changes_nothing_and_says_which_rows(
    cycles: httpx.AsyncClient,
) -> None:
    await cycles.put(f"{DEPARTMENT}/form-types/vat-return", content=VAT_YAML, headers=YAML)
    await cycles.post(
        f"{DEPARTMENT}/filers/import",
        content=HEADER + "acme-ltd,Acme Ltd,returns@acme.example,vat-return\n",
        headers=CSV,
    )
    before = await filers(cycles)

    refused = await cycles.post(
        f"{DEPARTMENT}/filers/import",
        content=HEADER
        + "acme-ltd,Acme Renamed,returns@acme.example,vat-return\n"
        + "birch-and-co,Birch & Co,returns@birch,vat-return\n"
        + "cobalt,Cobalt,returns@cobalt.example,payroll\n"
        + "dune,Dune,returns@dune.example,vat-return\n",
        headers=CSV,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "code": "INVALID_ROW",
            "row": 3,
            "detail": "Row 3: Contact email 'returns@birch' must be an email address, "
            "like returns@acme.example",
        },
        {
            "code": "INVALID_ROW",
            "row": 4,
            "detail": "Row 4: There is no form type 'payroll' in this department",
        },
    ]
    assert await filers(cycles) == before


async def test_an_import_must_be_csv(cycles: httpx.AsyncClient) -> None:
    response = await cycles.post(f"{DEPARTMENT}/filers/import", json={"filer_id": "acme-ltd"})
    assert response.status_code == 415
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_put_on_the_import_route_creates_no_filer_called_import(
    cycles: httpx.AsyncClient,
) -> None:
    before = await filers(cycles)
    response = await cycles.put(
        f"{DEPARTMENT}/filers/import",
        json={"name": "Import", "contact_email": "a@b.example", "form_type_ids": ["vat-return"]},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"
    assert await filers(cycles) == before


async def test_a_filer_put_one_at_a_time_needs_known_form_types(
    cycles: httpx.AsyncClient,
) -> None:
    filer = {"name": "Acme", "contact_email": "a@acme.example", "form_type_ids": ["vat-return"]}
    refused = await cycles.put(f"{DEPARTMENT}/filers/acme-ltd", json=filer)
    assert refused.status_code == 422
    await cycles.put(f"{DEPARTMENT}/form-types/vat-return", content=VAT_YAML, headers=YAML)
    accepted = await cycles.put(f"{DEPARTMENT}/filers/acme-ltd", json=filer)
    assert accepted.status_code == 200
    assert await filers(cycles) == [filer | {"filer_id": "acme-ltd"}]
