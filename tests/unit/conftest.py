"""Fixtures shared by the workflow tests: the time-skipping test server (with Cabinet's
search attributes) and a worker running the obligation workflow with fake activities; and
by the intake API tests: intake's app in process."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.temporal_support import FakeObligationActivities, obligation_worker, time_skipping_env
from tests.unit.intake_support import Intake, running_intake

# No deadline per example: on 2 shared cores one example can take 300 ms, and a test's
# outcome must not depend on timing (speed is for `make bench`).
settings.register_profile("cabinet", deadline=None)
settings.load_profile("cabinet")


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with time_skipping_env() as environment:
        yield environment


@pytest.fixture
def activities() -> FakeObligationActivities:
    return FakeObligationActivities()


@pytest.fixture
async def worker(
    env: WorkflowEnvironment, activities: FakeObligationActivities
) -> AsyncIterator[Worker]:
    async with obligation_worker(env, activities) as running:
        yield running


@pytest.fixture
async def intake(tmp_path: Path) -> AsyncIterator[Intake]:
    async with running_intake(tmp_path) as running:
        yield running
