"""Submissions sent at once for one obligation, on SQLite and on PostgreSQL: the same
Idempotency-Key makes one submission (every answer is that one), different keys make
consecutive versions, and each version is announced once."""

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import receipt_files
from tests.postgres_support import BACKENDS
from tests.unit.intake_support import line, running_intake

AT_ONCE = 5


@pytest.mark.parametrize("backend", BACKENDS)
async def test_one_key_sent_at_once_makes_one_submission(
    backend: str, new_database: Callable[[str], str], tmp_path: Path
) -> None:
    async with running_intake(tmp_path, new_database(backend)) as intake:
        receipt = receipt_files.pdf()
        responses = await asyncio.gather(
            *(
                intake.submit([line("2026-08-01", 1000)], key="same-key", files=[receipt])
                for _ in range(AT_ONCE)
            )
        )
        assert [r.status_code for r in responses] == [202] * AT_ONCE, [r.text for r in responses]
        accepted = {(r.json()["submission_id"], r.json()["version"]) for r in responses}
        assert len(accepted) == 1 and next(iter(accepted))[1] == 1
        replayed = [r.headers.get("Idempotent-Replayed") == "true" for r in responses]
        assert replayed.count(False) == 1
        assert len(await intake.form_submitted()) == 1


@pytest.mark.parametrize("backend", BACKENDS)
async def test_versions_sent_at_once_are_numbered_one_after_another(
    backend: str, new_database: Callable[[str], str], tmp_path: Path
) -> None:
    async with running_intake(tmp_path, new_database(backend)) as intake:
        responses = await asyncio.gather(
            *(intake.submit([line("2026-08-01", 1000 + n)]) for n in range(AT_ONCE))
        )
        assert [r.status_code for r in responses] == [202] * AT_ONCE, [r.text for r in responses]
        assert len({r.json()["submission_id"] for r in responses}) == 1
        assert sorted(r.json()["version"] for r in responses) == list(range(1, AT_ONCE + 1))
        announced = await intake.form_submitted()
        assert sorted(event.version for event in announced) == list(range(1, AT_ONCE + 1))
