"""The receipts API's GET /departments/{d}/receipts/{r}/lookalikes: the lines a
POSSIBLE_DUPLICATE flag matched, for a caseworker's side-by-side comparison (issue 12,
item 5). Only the department's own lines, never the receipt itself."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_common.database import Sessions, create_engine, session_factory
from cabinet_common.events import Event
from cabinet_common.migrations import migrate_engine
from cabinet_common.problems import install as install_problems
from cabinet_common.service import ServiceRuntime
from cabinet_receipts.api import router
from cabinet_receipts.event_handlers import on_form_submitted
from cabinet_receipts.migrations import SCHEMA
from tests.auth_support import MACHINE, trust_test_tokens
from tests.unit.test_receipt_cases import form, line


@pytest.fixture
async def sessions() -> AsyncIterator[Sessions]:
    engine = create_engine("sqlite+aiosqlite://")
    await migrate_engine(engine, SCHEMA)
    yield session_factory(engine)
    await engine.dispose()


async def filed(
    sessions: Sessions, obligation_id: str, department: str, *lines: submissions_pb2.ReceiptLine
) -> None:
    submitted = form(lines)
    submitted.obligation.obligation_id = obligation_id
    submitted.obligation.department_id = department
    submitted.submission_id = f"s-{obligation_id}"
    async with sessions.begin() as session:
        await on_form_submitted(session, Event(payload=submitted, key=obligation_id, source="/t"))


@pytest.fixture
async def client(sessions: Sessions) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problems(app)
    trust_test_tokens(app)
    app.include_router(router)
    app.state.runtime = ServiceRuntime(engine=None, sessions=sessions)  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", headers=MACHINE
    ) as client:
        yield client


async def test_a_possible_duplicate_names_the_line_it_looks_like(
    sessions: Sessions, client: httpx.AsyncClient
) -> None:
    day = "2026-02-10"
    await filed(sessions, "first", "d", line("a1", day, 4321, payee="Taxi Co", file="f1"))
    await filed(
        sessions,
        "second",
        "d",
        line("b1", payee="Stationers Ltd", file="f2"),
        line("b2", day, 4321, payee="TAXI  CO.", file="f3"),
    )
    # A penny apart is another receipt; another department's twin is none of this one's.
    await filed(sessions, "third", "d", line("x1", day, 4322, payee="Taxi Co", file="f5"))
    await filed(sessions, "elsewhere", "e", line("c1", day, 4321, payee="Taxi Co", file="f4"))

    body = (await client.get("/departments/d/receipts/b2/lookalikes")).json()
    assert body == {
        "receipt_id": "b2",
        "obligation_id": "second",
        "lookalikes": [{"receipt_id": "a1", "obligation_id": "first"}],
    }
    alone = (await client.get("/departments/d/receipts/b1/lookalikes")).json()
    assert alone["lookalikes"] == []


async def test_a_receipt_not_checked_or_of_another_department_is_not_found(
    sessions: Sessions, client: httpx.AsyncClient
) -> None:
    await filed(sessions, "first", "d", line("a1"))
    for path in (
        "/departments/d/receipts/nope/lookalikes",
        "/departments/e/receipts/a1/lookalikes",
    ):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_CHECKED"
