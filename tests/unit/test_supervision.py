"""A background loop that dies ends its process with status 1 (so it is restarted), after
the server has shut down cleanly; a dependency that is away at start-up is retried until
it answers."""

import subprocess
import sys

from cabinet_common.supervision import keep_trying

SERVICE = """
import asyncio
from contextlib import asynccontextmanager
from fastapi import FastAPI
from cabinet_common.service import serve
from cabinet_common.settings import ServiceSettings
from cabinet_common.supervision import supervised

async def dies() -> None:
    await asyncio.sleep(0.3)
    raise RuntimeError("the broker refused for good")

@asynccontextmanager
async def lifespan(app):
    supervised("doomed loop", dies)
    yield
    print("shut down cleanly", flush=True)

settings = ServiceSettings(database_url="sqlite+aiosqlite://", port=0, log_json=False)
serve(FastAPI(lifespan=lifespan), settings, "test")
"""


def test_a_dead_loop_stops_the_server_and_the_process_exits_non_zero() -> None:
    finished = subprocess.run(
        [sys.executable, "-c", SERVICE], capture_output=True, text=True, timeout=60
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 1, output
    assert "background loop died" in output
    assert "the broker refused for good" in output
    assert "shut down cleanly" in output


async def test_a_dependency_away_at_start_is_tried_until_it_answers() -> None:
    calls: list[int] = []

    async def connect() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionRefusedError("not yet")
        return "connected"

    assert await keep_trying("peer", connect, first_delay_s=0.01, max_delay_s=0.02) == "connected"
    assert len(calls) == 3
