"""The bounded pool runs untrusted work in child processes within limits: a task that
runs too long is killed (with what it started), one that needs too much memory fails, and
neither harms the caller or the next task."""

import asyncio
import json
import os
import sys
import types

import pytest
import structlog.testing

from cabinet_common import bounded
from cabinet_common.bounded import BoundedPool, Limits, TaskFailed, TaskTimedOut
from tests.pool_tasks import add, allocate, count_alongside, fail, pid, sleep_in_a_program


async def test_a_task_runs_in_another_process_and_returns_its_result() -> None:
    pool = BoundedPool(workers=2)
    assert await pool.run(add, 2, 3) == 5
    assert await pool.run(pid) != os.getpid()


async def test_a_task_that_overruns_is_killed_with_the_programs_it_started(
    tmp_path: object,
) -> None:
    marker = f"{tmp_path}/marker"
    pool = BoundedPool(workers=1, limits=Limits(timeout_s=2))
    with pytest.raises(TaskTimedOut, match="longer than 2 s"):
        await pool.run(sleep_in_a_program, 4, marker)
    await asyncio.sleep(3)
    # The sleep program was killed with its parent, so nothing finished and wrote.
    assert not await asyncio.to_thread(os.path.exists, marker)
    # Nothing is left behind: the next task runs (with time to start on a loaded machine).
    assert await BoundedPool(workers=1).run(add, 1, 1) == 2


async def test_a_failed_warm_up_is_logged_and_the_pool_still_runs_tasks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = BoundedPool(workers=1)
    monkeypatch.setattr(pool, "_run_blocking", lambda function, args: fail())
    with structlog.testing.capture_logs() as logs:
        await pool.warm()
    assert [entry["event"] for entry in logs] == ["bounded_pool_warm_up_failed"]
    monkeypatch.undo()
    assert await pool.run(add, 1, 1) == 2


async def test_a_task_over_its_memory_limit_fails_cleanly() -> None:
    pool = BoundedPool(workers=1, limits=Limits(memory_bytes=400 * 1024 * 1024))
    with pytest.raises(TaskFailed, match="more memory than allowed"):
        await pool.run(allocate, 1000)
    assert await pool.run(allocate, 10) == 10 * 1024 * 1024


async def test_a_task_that_raises_fails_with_the_error() -> None:
    with pytest.raises(TaskFailed, match="ValueError: bad file"):
        await BoundedPool().run(fail)


async def test_at_most_workers_tasks_run_at_once(tmp_path: object) -> None:
    pool = BoundedPool(workers=2)
    seen = await asyncio.gather(*(pool.run(count_alongside, str(tmp_path)) for _ in range(4)))
    assert max(seen) <= 2


def test_the_forkserver_preloads_the_module_behind_a_console_script(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A console script is `from cabinet_intake.app import main`: without that module in the
    # forkserver, every child would import the whole service again (seconds per file).
    script = types.ModuleType("__main__")
    script.main = json.dumps  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "__main__", script)
    assert bounded._console_script_module() == ["json"]
    del script.main
    assert bounded._console_script_module() == []
