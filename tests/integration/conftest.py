"""The integration suite runs against real servers: it starts Kafka, the Temporal dev
server, the services and the worker on free loopback ports in a temporary directory, each
service on its own SQLite file or, with CABINET_TEST_DB=postgres, its own database in a
throwaway PostgreSQL cluster (or, with CABINET_TEST_STACK=running, it uses the stack
`make up` started)."""

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cabinet_common.form_types.periods import quarter_containing
from cabinet_devstack import postgres
from cabinet_devstack.demo import seed_department
from cabinet_devstack.stack import BACKENDS, Stack, StackConfig

pytestmark = pytest.mark.integration
CURRENT_QUARTER = quarter_containing(date.today())
TEST_DB = os.environ.get("CABINET_TEST_DB", "sqlite")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if os.environ.get("CABINET_TEST_STACK") == "running":
        yield Stack(StackConfig.from_env())
        return
    with stack_of_its_own(tmp_path_factory, "stack", traces=True) as running:
        yield running


@contextmanager
def stack_of_its_own(
    tmp_path_factory: pytest.TempPathFactory, name: str, traces: bool = False, **options: Any
) -> Iterator[Stack]:
    """A stack of a test's own on free ports and on CABINET_TEST_DB's backend, up until the
    block ends; its servers' logs are then kept under test-artifacts/<name>-logs. With
    traces, each process writes its spans under <state dir>/traces."""
    assert TEST_DB in BACKENDS, f"CABINET_TEST_DB must be one of {BACKENDS}, not {TEST_DB!r}"
    state_dir = Path(tmp_path_factory.mktemp(name))
    postgres_dir = postgres.scratch_directory() if TEST_DB == "postgres" else None
    config = StackConfig.on_free_ports(
        state_dir,
        fast_group_join=True,
        database=TEST_DB,
        postgres_dir=postgres_dir,
        traces_dir=state_dir / "traces" if traces else None,
        **options,
    )
    # The tests check what a receipt reads as, not how fast (make receipts-accuracy does):
    # on a loaded CI machine a slow read must not become a RECEIPT_NOT_READABLE flag.
    config.extra_env.setdefault("CABINET_READING_TIMEOUT_S", "180")
    running = Stack(config)
    try:
        running.up()
        yield running
    finally:
        running.down()
        keep_logs(state_dir, f"{name}-logs")
        if postgres_dir is not None:
            shutil.rmtree(postgres_dir, ignore_errors=True)


def keep_logs(state_dir: Path, folder: str = "stack-logs") -> None:
    """Copy the servers' logs where CI keeps test artefacts."""
    target = Path("test-artifacts") / folder
    target.mkdir(parents=True, exist_ok=True)
    for log in (state_dir / "logs").glob("*.log"):
        (target / log.name).write_bytes(log.read_bytes())


@pytest.fixture
async def intake(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=stack.config.url("intake"), timeout=30, headers=stack.config.machine_auth()
    ) as client:
        yield client


@pytest.fixture
async def cycles(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=stack.config.url("cycles"), timeout=30, headers=stack.config.machine_auth()
    ) as client:
        yield client


@pytest.fixture
def department(stack: Stack) -> "Department":
    """A fresh department with three filers and the current quarter open (due in the
    future, so nothing is overdue), so tests never share state."""
    return seeded_department(stack)


def seeded_department(stack: Stack) -> "Department":
    department_id = f"dept-{uuid.uuid4().hex[:10]}"
    obligations = seed_department(
        stack.config.url("cycles"),
        stack.config.url("intake"),
        department_id,
        "vat-return",
        {"filer-a": "Filer A", "filer-b": "Filer B", "filer-c": "Filer C"},
        CURRENT_QUARTER.key,
        stack.config.machine_auth(),
    )
    return Department(department_id, {o["filer_id"]: o for o in obligations})


class Department:
    def __init__(self, department_id: str, obligations: dict[str, dict[str, Any]]) -> None:
        self.id = department_id
        self.obligations = obligations
        self.period = CURRENT_QUARTER

    def day(self, offset: int) -> str:
        """A date in the open quarter, `offset` days after its first day, or today if that
        is sooner (a receipt dated after the day it is sent is FUTURE_DATE)."""
        return min(self.period.start + timedelta(days=offset), date.today()).isoformat()

    @property
    def last_day(self) -> str:
        return self.period.end.isoformat()

    @property
    def latest_day(self) -> str:
        """The last day of the open quarter that is not in the future: a receipt dated
        after the day it is sent is FUTURE_DATE."""
        return min(self.period.end, date.today()).isoformat()

    @property
    def day_after(self) -> str:
        return (self.period.end + timedelta(days=1)).isoformat()

    def obligation_id(self, filer_id: str) -> str:
        return str(self.obligations[filer_id]["obligation_id"])
