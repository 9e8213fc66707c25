"""Processes heal: with Temporal away, cycles and the worker start (cycles answers /healthz
and /readyz) and connect once it is back; web stays ready with intake and cycles away and
shows a page saying so. These tests stop servers, so they run on a stack of their own."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cabinet_devstack.stack import Stack, StackConfig
from tests.integration.conftest import Department, seeded_department
from tests.integration.helpers import obligation_in_status, receipt_line, submit, unique_file


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    state_dir = Path(tmp_path_factory.mktemp("outages"))
    running = Stack(StackConfig.on_free_ports(state_dir, fast_group_join=True))
    try:
        running.up()
        yield running
    finally:
        running.down()


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
        stack.wait_ready("cycles")
        assert _answers(stack, "cycles", "/healthz") == 200
        await asyncio.sleep(3)  # long enough for a worker that gives up on Temporal to have exited
        assert stack.is_running("worker")
    finally:
        stack.start_temporal()
    await _a_filing_is_acknowledged(stack, department, "filer-a")


async def _a_filing_is_acknowledged(stack: Stack, department: Department, filer_id: str) -> None:
    obligation_id = department.obligation_id(filer_id)
    async with (
        httpx.AsyncClient(
            base_url=stack.config.url("intake"), timeout=30, headers=stack.config.machine_auth()
        ) as intake,
        httpx.AsyncClient(
            base_url=stack.config.url("cycles"), timeout=30, headers=stack.config.machine_auth()
        ) as cycles,
    ):
        response = await submit(
            intake,
            department.id,
            obligation_id,
            [receipt_line(department.day(1), 1234)],
            [unique_file(f"outage {obligation_id}")],
        )
        assert response.status_code == 202, response.text
        await obligation_in_status(cycles, department.id, obligation_id, "accepted")


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
        stack.wait_ready("intake")
        stack.wait_ready("cycles")
