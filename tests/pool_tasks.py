"""Tasks for the bounded pool's tests, in a module of their own: a child process imports
the module a task comes from, and this one is light (no pytest)."""

import os
import subprocess
import time


def add(a: int, b: int) -> int:
    return a + b


def pid() -> int:
    return os.getpid()


def sleep_in_a_program(seconds: float, marker: str) -> None:
    subprocess.run(["sleep", str(seconds)], check=False)
    with open(marker, "w") as done:
        done.write("finished")


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def fail() -> None:
    raise ValueError("bad file")


def count_alongside(directory: str) -> int:
    """How many tasks are in this directory while this one is (including itself)."""
    mine = os.path.join(directory, str(os.getpid()))
    open(mine, "w").close()
    time.sleep(0.3)
    seen = len(os.listdir(directory))
    os.remove(mine)
    return seen
