"""What the stack's processes spend a phase of the bench on: the CPU seconds each one used,
and (optionally) a py-spy profile of each Python process, as evidence of what bounds a figure.

The profiles are py-spy's "raw" format (collapsed stacks, one "frame;frame;... count" per
line), which speedscope and flamegraph.pl read; the report keeps each one's hottest frames."""

import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cabinet_devstack.processes import tree_cpu_seconds

PY_SPY = Path(sys.executable).parent / "py-spy"
SAMPLES_PER_S = 50
TOP_FRAMES = 12
BENCH = "bench"  # this process: the load generator shares the machine


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu(pid_files: Mapping[str, Path]) -> dict[str, float | None]:
    return {
        BENCH: _own_cpu_seconds(),
        **{name: tree_cpu_seconds(path) for name, path in pid_files.items()},
    }


@contextlib.contextmanager
def cpu_used(pid_files: Mapping[str, Path], into: dict[str, Any]) -> Iterator[None]:
    """Fill `into` with the phase's wall time, the CPU seconds each process (and this one)
    used in it, and what the machine's cores could have given in that time."""
    before, started = _cpu(pid_files), time.perf_counter()
    yield
    after, wall = _cpu(pid_files), time.perf_counter() - started
    used = {
        name: round(now - spent, 1)
        for name, spent in before.items()
        if spent is not None and (now := after.get(name)) is not None
    }
    into.update(
        wall_s=round(wall, 1),
        cpu_s=dict(sorted(used.items(), key=lambda item: -item[1])),
        cpu_s_total=round(sum(used.values()), 1),
        cpu_s_available=round(wall * (os.cpu_count() or 1), 1),
    )


@contextlib.contextmanager
def profiled(pids: Mapping[str, int], directory: Path, into: dict[str, Any]) -> Iterator[None]:
    """py-spy records each process while the block runs (sampling without pausing it);
    `into` gets each profile's path and hottest frames."""
    directory.mkdir(parents=True, exist_ok=True)
    recorders = {
        name: subprocess.Popen(
            [
                str(PY_SPY),
                "record",
                "--pid",
                str(pid),
                "--format",
                "raw",
                "--rate",
                str(SAMPLES_PER_S),
                "--nonblocking",
                "--nolineno",
                "--output",
                str(directory / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=(directory / f"{name}.py-spy.log").open("w"),
        )
        for name, pid in pids.items()
    }
    try:
        yield
    finally:
        for recorder in recorders.values():
            recorder.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for recorder in recorders.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                recorder.wait(timeout=60)
    for name in pids:
        path = directory / f"{name}.txt"
        into[name] = {"profile": str(path), **hottest(path)} if path.exists() else None


def hottest(collapsed: Path, top: int = TOP_FRAMES) -> dict[str, Any]:
    """From collapsed stacks: the frames most often on the CPU themselves ("self") and
    most often on the stack at all ("total"), each as a share of the samples."""
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            anywhere[frame] += count

    def shares(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(frame, round(n / samples, 3)) for frame, n in counter.most_common(top)]

    if not samples:
        return {"samples": 0, "self": [], "total": []}
    # Frames on (nearly) every stack, the thread's entry points, say nothing.
    below_root = Counter({f: n for f, n in anywhere.items() if n < 0.9 * samples})
    return {"samples": samples, "self": shares(own), "total": shares(below_root)}
