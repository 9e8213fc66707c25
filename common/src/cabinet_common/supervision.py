"""Background loops that heal by ending the process. A supervised loop that dies marks the
process failed and asks it to stop (its HTTP server shuts down cleanly, or, in a process
without one, SIGTERM); the process then exits non-zero and Kubernetes (or `make chaos`)
starts it again. Connecting to a dependency at start-up is retried for as long as it
takes, so a process starts, and answers /healthz, while Kafka or Temporal is away."""

import asyncio
import os
import random
import signal
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

log = structlog.get_logger(__name__)

T = TypeVar("T")

# The loops of this process that died, by name (metrics and the exit status read it).
dead_loops: list[str] = []


def _terminate() -> None:
    os.kill(os.getpid(), signal.SIGTERM)


# How a dead loop stops this process; serve() replaces it with a clean server shutdown.
stop_process: Callable[[], None] = _terminate


def supervised(
    name: str, loop: Callable[[], Awaitable[None]], returns: bool = False
) -> "asyncio.Task[None]":
    """Run the loop as a task; if it fails (or, unless it `returns` when done, stops) other
    than by cancellation, end the process."""

    async def guard() -> None:
        try:
            await loop()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background loop died; stopping the process", loop=name)
        else:
            if returns:
                return
            log.error("background loop returned; stopping the process", loop=name)
        dead_loops.append(name)
        stop_process()

    return asyncio.create_task(guard(), name=name)


def exit_status() -> int:
    """What the process should exit with once its server has stopped."""
    return 1 if dead_loops else 0


async def keep_trying(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    first_delay_s: float = 0.5,
    max_delay_s: float = 15.0,
) -> T:
    """Call attempt until it succeeds, with capped exponential backoff and jitter."""
    tries = 0
    while True:
        try:
            result = await attempt()
        except Exception as error:
            tries += 1
            ceiling = min(max_delay_s, first_delay_s * 2 ** min(tries - 1, 20))
            log.warning(
                "dependency not reachable; retrying", what=what, tries=tries, error=repr(error)
            )
            await asyncio.sleep(random.uniform(ceiling / 2, ceiling))
            continue
        if tries:
            log.info("dependency reachable again", what=what, tries=tries)
        return result
