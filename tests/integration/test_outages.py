"""Processes heal: with Kafka away every service starts, answers /healthz and /readyz and
intake takes filings, and they connect once it is back; with Temporal away, cycles and the
worker start (cycles answers /healthz and /readyz) and connect once it is back; web stays
ready with intake and cycles away. These tests stop servers, so they run on a stack of their own."""

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from cabinet_devstack.stack import Stack
from tests.integration.conftest import Department, seeded_department, stack_of_its_own
from tests.integration.helpers import obligation_in_status, receipt_line, submit, unique_file

# A restarted service can take a while to answer on a loaded machine.
READY_S = 240


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with stack_of_its_own(tmp_path_factory, "outages") as running:
        yield running


def _answers(stack: Stack, service: str, path: str) -> int:
    return httpx.get(f"{stack.config.url(service)}{path}", timeout=5).status_code


async def test_cycles_and_the_worker_start_while_temporal_is_down_and_connect_when_it_returns(
    own_stack: Stack,
) -> None:
    stack = own_stack
    department = seeded_department(stack)
    stack.stop_app("temporal")
    try:
        stack.stop_app("cycles")
        stack.stop_app("worker")
        stack.start_app("cycles")
        stack.start_app("worker")
        stack.wait_ready("cycles", timeout_s=READY_S)
        assert _answers(stack, "cycles", "/healthz") == 200
        await asyncio.sleep(3)  # long enough for a worker that gives up on Temporal to have exited
        assert stack.is_running("worker")
    finally:
        stack.start("temporal")
    await _a_filing_is_acknowledged(stack, department, "filer-a")


async def _file(intake: httpx.AsyncClient, department: Department, filer_id: str) -> httpx.Response:
    obligation_id = department.obligation_id(filer_id)
    return await submit(
        intake,
        department.id,
        obligation_id,
        [receipt_line(department.day(1), 1234)],
        [unique_file(f"outage {obligation_id}")],
    )


async def _a_filing_is_acknowledged(stack: Stack, department: Department, filer_id: str) -> None:
    async with (
        httpx.AsyncClient(
            base_url=stack.config.url("intake"), timeout=30, headers=stack.config.machine_auth()
        ) as intake,
        httpx.AsyncClient(
            base_url=stack.config.url("cycles"), timeout=30, headers=stack.config.machine_auth()
        ) as cycles,
    ):
        response = await _file(intake, department, filer_id)
        assert response.status_code == 202, response.text
        obligation_id = department.obligation_id(filer_id)
        await obligation_in_status(cycles, department.id, obligation_id, "accepted")


async def test_every_service_starts_while_kafka_is_down_and_connects_when_it_returns(
    own_stack: Stack,
) -> None:
    stack = own_stack
    department = seeded_department(stack)
    apps = ("intake", "receipts", "cycles", "web")
    stack.stop_app("kafka")
    try:
        for name in (*apps, "worker"):
            stack.stop_app(name)
            stack.start_app(name)
        for name in apps:
            stack.wait_ready(name, timeout_s=READY_S)
            assert _answers(stack, name, "/healthz") == 200
        async with httpx.AsyncClient(
            base_url=stack.config.url("intake"), timeout=30, headers=stack.config.machine_auth()
        ) as intake:
            waiting = (await intake.get("/readyz")).json()["waiting"]
            assert {"kafka": "connecting"}.items() <= waiting[0].items()
            # Intake takes a filing: its FormSubmitted waits in the outbox.
            response = await _file(intake, department, "filer-b")
            assert response.status_code == 202, response.text
        await asyncio.sleep(3)  # long enough for a worker that gives up on Kafka to have exited
        assert stack.is_running("worker")
    finally:
        await asyncio.to_thread(stack.start, "kafka")
    # Then checked by receipts, acknowledged through cycles and the worker.
    async with httpx.AsyncClient(
        base_url=stack.config.url("cycles"), timeout=30, headers=stack.config.machine_auth()
    ) as cycles:
        await obligation_in_status(
            cycles, department.id, department.obligation_id("filer-b"), "accepted"
        )


def test_web_stays_ready_with_intake_and_cycles_away(own_stack: Stack) -> None:
    stack = own_stack
    stack.stop_app("intake")
    stack.stop_app("cycles")
    try:
        assert _answers(stack, "web", "/readyz") == 200
        assert _answers(stack, "web", "/healthz") == 200
    finally:
        stack.start_app("intake")
        stack.start_app("cycles")
        stack.wait_ready("intake", timeout_s=READY_S)
        stack.wait_ready("cycles", timeout_s=READY_S)
