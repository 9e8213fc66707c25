"""Untrusted work (parsing a PDF, decoding an image, OCR) off the event loop and bounded:
each task runs in a child process of its own, at most `workers` at once, with an
address-space limit, a CPU-time limit and a wall-clock timeout after which the child and
everything it started (tesseract) are killed. A hostile file can then cost one child its
limits, never the service its memory or its event loop.

A process per task rather than a long-lived pool: a stuck task is ended by killing exactly
its process group, and no limit or leaked state carries over from one file to the next.
Children are forked from a forkserver that has imported the main module and `preload`
once, so a task starts in milliseconds."""

import asyncio
import contextlib
import multiprocessing
import os
import resource
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar, cast

import structlog

T = TypeVar("T")
log = structlog.get_logger(__name__)


class TaskFailed(Exception):
    """The task raised, ran out of memory or CPU time, or its process died."""


class TaskTimedOut(TaskFailed):
    """The task was still running after the wall-clock timeout, and was killed."""


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 20.0
    memory_bytes: int = 1024 * 1024 * 1024
    cpu_s: int = 30


def _run_child(
    connection: Connection, limits: Limits, function: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    # Its own process group, so a timeout kills the programs it started as well.
    os.setpgrp()
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
    # One thread per task: the workers are the parallelism (tesseract uses OpenMP).
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        result = ("ok", function(*args))
    except MemoryError:
        result = ("error", "it needed more memory than allowed")
    except BaseException as error:
        result = ("error", f"{type(error).__name__}: {error}")
    try:
        connection.send(result)
    finally:
        connection.close()


class BoundedPool:
    def __init__(
        self, workers: int = 2, limits: Limits | None = None, preload: Sequence[str] = ()
    ) -> None:
        self.limits = limits or Limits()
        self._slots = asyncio.Semaphore(workers)
        self._context = multiprocessing.get_context("forkserver")
        # The main module too, imported once by the forkserver rather than by every child
        # (by path for a script; by name for `python -m`, whose children then only re-run
        # its body).
        main = getattr(sys.modules["__main__"], "__spec__", None)
        main_name = [] if main is None or main.name.endswith("__main__") else [main.name]
        self._context.set_forkserver_preload(
            ["__main__", *main_name, *_console_script_module(), *preload]
        )

    async def warm(self) -> None:
        """Start the forkserver (it imports the main module and `preload`: seconds on a
        busy machine) and fork one child, so the first real task does not wait for that.
        Best effort: a failure is logged, and the first real task starts the forkserver."""
        try:
            await self.run(os.getpid)
        except Exception as error:
            log.warning("bounded_pool_warm_up_failed", error=str(error))

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """function(*args) in a child process; TaskTimedOut or TaskFailed if it did not
        finish within the limits. function and args must be picklable (module-level)."""
        async with self._slots:
            return cast(T, await asyncio.to_thread(self._run_blocking, function, args))

    def _run_blocking(self, function: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        receiver, sender = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_run_child, args=(sender, self.limits, function, args), daemon=True
        )
        process.start()
        sender.close()
        try:
            if not receiver.poll(self.limits.timeout_s):
                raise TaskTimedOut(f"it took longer than {self.limits.timeout_s:g} s")
            try:
                outcome, value = receiver.recv()
            except EOFError as error:
                process.join(1)
                raise TaskFailed(_death(process.exitcode)) from error
        finally:
            receiver.close()
            if process.is_alive() and process.pid is not None:
                _kill_group(process.pid)
            process.join(5)
            process.close()
        if outcome != "ok":
            raise TaskFailed(value)
        return value


def _console_script_module() -> list[str]:
    """The module behind a console script (`cabinet-intake` is `from cabinet_intake.app
    import main`): every child re-runs the script, which costs seconds of imports per child
    unless the forkserver already holds that module."""
    entry = getattr(sys.modules["__main__"], "main", None)
    module = getattr(entry, "__module__", None)
    return [module] if isinstance(module, str) and module != "__main__" else []


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        # The child had not made its group yet (or is gone): kill the child alone.
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        if -exitcode == signal.SIGXCPU:
            return "it used more CPU time than allowed"
        return f"its process was killed by signal {-exitcode}"
    return f"its process exited with code {exitcode} without an answer"
