"""The cycles routes behind the operators' dashboard, in process on a SQLite file: the
periods opened in a department (newest first, with their quarter workflow's link) and how
many obligations are in each status, counted by the database."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from cabinet_common import problems
from cabinet_common.database import Sessions, create_engine, session_factory
from cabinet_common.migrations import migrate_engine
from cabinet_common.obligation_workflow import ObligationStatus
from cabinet_cycles.api import router
from cabinet_cycles.migrations import SCHEMA
from cabinet_cycles.settings import CyclesSettings
from cabinet_cycles.tables import (
    Department,
    FormType,
    FormTypeVersion,
    Obligation,
    OpenedPeriod,
    QuarterClosure,
)
from tests.auth_support import MACHINE, trust_test_tokens

DEMO = "/departments/demo"
TEMPORAL_UI = "http://temporal-ui.test"
LIFECYCLE = [
    "open",
    "submitted",
    "checking",
    "returned",
    "accepted",
    "overdue",
    "escalated",
    "waived",
    "closed",
]
QUARTERS = {
    "2026-Q2": (date(2026, 4, 1), date(2026, 6, 30), date(2026, 8, 7)),
    "2026-Q3": (date(2026, 7, 1), date(2026, 9, 30), date(2026, 11, 7)),
    "2026-Q4": (date(2026, 10, 1), date(2026, 12, 31), date(2027, 2, 7)),
}
AT = datetime(2026, 10, 1, tzinfo=UTC)


def opened(department_id: str, form_type_id: str, period_key: str) -> OpenedPeriod:
    start, end, due = QUARTERS[period_key]
    return OpenedPeriod(
        department_id=department_id,
        form_type_id=form_type_id,
        period_key=period_key,
        start=start,
        end=end,
        due=due,
        form_type_version=1,
        opened_at=AT,
        closes_at=datetime(2027, 5, 9, tzinfo=UTC),
    )


def obligation(
    filer_id: str,
    status: str,
    *,
    department_id: str = "demo",
    form_type_id: str = "vat-return",
    period_key: str = "2026-Q4",
) -> Obligation:
    start, end, due = QUARTERS[period_key]
    parts = (department_id, form_type_id, filer_id, period_key)
    return Obligation(
        obligation_id="-".join(parts),
        department_id=department_id,
        form_type_id=form_type_id,
        form_type_version=1,
        filer_id=filer_id,
        period_key=period_key,
        period_start=start,
        period_end=end,
        due_date=due,
        deadlines={},
        contact_email=f"{filer_id}@example.test",
        workflow_id="obligation:" + ":".join(parts),
        status=status,
        status_sequence=1,
        submission_id=None,
    )


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'cycles.db'}")
    await migrate_engine(engine, SCHEMA)
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        for department_id in ("demo", "other"):
            session.add(Department(department_id=department_id, name=department_id.title()))
        await session.flush()
        for department_id, form_type_id, name in (
            ("demo", "vat-return", "VAT return"),
            ("demo", "expenses", "Expenses claim"),
            ("other", "vat-return", "Other VAT return"),
        ):
            session.add(
                FormType(department_id=department_id, form_type_id=form_type_id, current_version=1)
            )
            await session.flush()
            session.add(
                FormTypeVersion(
                    department_id=department_id,
                    form_type_id=form_type_id,
                    version=1,
                    definition={"name": name},
                    created_at=AT,
                )
            )
    yield sessions
    await engine.dispose()


@pytest.fixture
async def cycles(sessions: Sessions) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    problems.install(app)
    trust_test_tokens(app)
    app.include_router(router)
    app.state.settings = CyclesSettings(temporal_ui_url=TEMPORAL_UI, temporal_namespace="default")
    # The routes need only the runtime's sessions; Kafka and Temporal stay out of it.
    app.state.runtime = SimpleNamespace(sessions=sessions)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://cycles", headers=MACHINE
    ) as client:
        yield client


async def add(sessions: Sessions, *rows: Any) -> None:
    async with sessions.begin() as session:
        session.add_all(rows)


def counts_of(body: dict[str, Any]) -> list[tuple[str, int]]:
    return [(item["status"], item["count"]) for item in body["counts"]]


# The periods.


async def test_the_periods_of_every_form_type_newest_first(
    cycles: httpx.AsyncClient, sessions: Sessions
) -> None:
    await add(
        sessions,
        opened("demo", "vat-return", "2026-Q3"),
        opened("demo", "vat-return", "2026-Q4"),
        opened("demo", "expenses", "2026-Q4"),
        opened("demo", "vat-return", "2026-Q2"),
        opened("other", "vat-return", "2026-Q4"),
    )
    response = await cycles.get(f"{DEMO}/periods")
    assert response.status_code == 200, response.text
    assert [(p["form_type_id"], p["period_key"]) for p in response.json()] == [
        ("expenses", "2026-Q4"),
        ("vat-return", "2026-Q4"),
        ("vat-return", "2026-Q3"),
        ("vat-return", "2026-Q2"),
    ]


async def test_a_period_has_its_dates_its_form_types_name_and_its_quarter_workflow(
    cycles: httpx.AsyncClient, sessions: Sessions
) -> None:
    await add(sessions, opened("demo", "vat-return", "2026-Q4"))
    [period] = (await cycles.get(f"{DEMO}/periods")).json()
    assert period == {
        "form_type_id": "vat-return",
        "form_type_name": "VAT return",
        "form_type_version": 1,
        "period_key": "2026-Q4",
        "start": "2026-10-01",
        "end": "2026-12-31",
        "due": "2027-02-07",
        "opened_at": "2026-10-01T00:00:00Z",
        "closes_at": "2027-05-09T00:00:00Z",
        "closed_at": None,
        "quarter_workflow_id": "quarter:demo:vat-return:2026-Q4",
        "quarter_workflow_url": f"{TEMPORAL_UI}/namespaces/default/workflows/"
        "quarter%3Ademo%3Avat-return%3A2026-Q4",
    }


async def test_a_closed_period_says_when_it_closed(
    cycles: httpx.AsyncClient, sessions: Sessions
) -> None:
    closed_at = datetime(2027, 5, 9, 1, 2, tzinfo=UTC)
    await add(
        sessions,
        opened("demo", "vat-return", "2026-Q3"),
        QuarterClosure(
            department_id="demo",
            form_type_id="vat-return",
            period_key="2026-Q3",
            obligations=3,
            on_time=2,
            late=1,
            waived=0,
            outstanding=0,
            closed_at=closed_at,
        ),
    )
    [period] = (await cycles.get(f"{DEMO}/periods")).json()
    assert period["closed_at"] == "2027-05-09T01:02:00Z"


async def test_a_department_with_no_periods_has_an_empty_list(cycles: httpx.AsyncClient) -> None:
    response = await cycles.get("/departments/nowhere/periods")
    assert (response.status_code, response.json()) == (200, [])


# How many obligations are in each status.


async def test_every_status_in_lifecycle_order_with_zero_where_none(
    cycles: httpx.AsyncClient, sessions: Sessions
) -> None:
    await add(
        sessions,
        obligation("acme-ltd", "overdue"),
        obligation("birch-and-co", "open"),
        obligation("cobalt-trading", "accepted"),
        obligation("delta", "overdue"),
        obligation("echo", "escalated"),
    )
    response = await cycles.get(
        f"{DEMO}/obligations/status-counts",
        params={"form_type_id": "vat-return", "period_key": "2026-Q4"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["form_type_id"], body["period_key"], body["total"]) == (
        "vat-return",
        "2026-Q4",
        5,
    )
    assert counts_of(body) == [
        ("open", 1),
        ("submitted", 0),
        ("checking", 0),
        ("returned", 0),
        ("accepted", 1),
        ("overdue", 2),
        ("escalated", 1),
        ("waived", 0),
        ("closed", 0),
    ]


def test_the_lifecycle_order_is_the_workflows_own() -> None:
    assert [s.value for s in ObligationStatus] == LIFECYCLE


async def test_a_period_with_no_obligations_counts_zero_everywhere(
    cycles: httpx.AsyncClient,
) -> None:
    response = await cycles.get(
        f"{DEMO}/obligations/status-counts",
        params={"form_type_id": "vat-return", "period_key": "2026-Q4"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 0
    assert counts_of(response.json()) == [(status, 0) for status in LIFECYCLE]


async def test_only_that_departments_form_types_period_is_counted(
    cycles: httpx.AsyncClient, sessions: Sessions
) -> None:
    await add(
        sessions,
        obligation("acme-ltd", "open"),
        obligation("acme-ltd", "open", period_key="2026-Q3"),
        obligation("acme-ltd", "open", form_type_id="expenses"),
        obligation("acme-ltd", "open", department_id="other"),
    )
    url = f"{DEMO}/obligations/status-counts"
    one = await cycles.get(url, params={"form_type_id": "vat-return", "period_key": "2026-Q4"})
    assert one.json()["total"] == 1
    every_form_type = await cycles.get(url, params={"period_key": "2026-Q4"})
    assert every_form_type.json()["total"] == 2
    whole_department = await cycles.get(url)
    assert whole_department.json()["total"] == 3
    assert (whole_department.json()["form_type_id"], whole_department.json()["period_key"]) == (
        None,
        None,
    )


async def test_a_status_the_lifecycle_does_not_know_still_counts_after_the_known_ones(
    cycles: httpx.AsyncClient, sessions: Sessions
) -> None:
    await add(sessions, obligation("acme-ltd", "archived"), obligation("birch-and-co", "open"))
    body = (await cycles.get(f"{DEMO}/obligations/status-counts")).json()
    assert body["total"] == 2
    assert counts_of(body)[-1] == ("archived", 1)
    assert [status for status, _ in counts_of(body)][:-1] == LIFECYCLE


async def test_the_counts_are_grouped_by_the_database_not_loaded_row_by_row(
    cycles: httpx.AsyncClient, sessions: Sessions
) -> None:
    await add(sessions, *(obligation(f"filer-{n}", "open") for n in range(20)))
    statements: list[str] = []
    engine = sessions.kw["bind"].sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = await cycles.get(f"{DEMO}/obligations/status-counts")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.json()["total"] == 20
    [query] = [s for s in statements if "obligations" in s]
    assert "count(" in query.lower()
    assert "GROUP BY obligations.status" in query


async def test_status_counts_is_not_taken_for_an_obligation_id(
    cycles: httpx.AsyncClient, sessions: Sessions
) -> None:
    await add(sessions, obligation("acme-ltd", "open"))
    response = await cycles.get(f"{DEMO}/obligations/status-counts")
    assert response.status_code == 200
    assert "counts" in response.json()
    one = await cycles.get(f"{DEMO}/obligations/demo-vat-return-acme-ltd-2026-Q4")
    assert (one.status_code, one.json()["status"]) == (200, "open")


# Obligations of one form type.


async def test_obligations_can_be_listed_for_one_form_type(
    cycles: httpx.AsyncClient, sessions: Sessions
) -> None:
    await add(
        sessions,
        obligation("acme-ltd", "overdue"),
        obligation("acme-ltd", "overdue", form_type_id="expenses"),
    )
    response = await cycles.get(
        f"{DEMO}/obligations",
        params={"form_type_id": "expenses", "period_key": "2026-Q4", "status": "overdue"},
    )
    [only] = response.json()
    assert (only["form_type_id"], only["filer_id"]) == ("expenses", "acme-ltd")
    assert only["workflow_url"] == (
        f"{TEMPORAL_UI}/namespaces/default/workflows/"
        "obligation%3Ademo%3Aexpenses%3Aacme-ltd%3A2026-Q4"
    )
