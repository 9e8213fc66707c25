"""Start, find and stop the background processes of the local stack (Kafka, Temporal, services).

A process is started in its own session, so it is the leader of its own process group: stopping
signals the whole group, and a stale pid file whose pid now belongs to some unrelated process is
recognised (that process is not a session leader of its own session) and left alone.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago (another process may still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout_s: float) -> None:
    """Wait until something accepts TCP connections on host:port; TimeoutError if it never does."""
    deadline = time.monotonic() + timeout_s
    while not port_open(host, port):
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_s:g}s")
        time.sleep(0.1)


def _pid_alive(pid: int) -> bool:
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)  # reaps it if it is our own exited child
        return reaped == 0
    except ChildProcessError:
        pass  # not our child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie whose parent has not reaped it yet is dead for our purposes
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def _is_session_leader(pid: int) -> bool:
    try:
        return os.getsid(pid) == pid
    except OSError:
        return False


@dataclass
class ManagedProcess:
    """A process started by start_detached: either a Popen of this Python process or a bare pid
    read from a pid file written by another (earlier) process. stop() removes pid_path."""

    name: str
    popen_or_pid: subprocess.Popen[bytes] | int
    log_path: Path | None = None
    pid_path: Path | None = None

    @property
    def pid(self) -> int:
        if isinstance(self.popen_or_pid, int):
            return self.popen_or_pid
        return self.popen_or_pid.pid

    def is_alive(self) -> bool:
        if isinstance(self.popen_or_pid, int):
            return _pid_alive(self.popen_or_pid)
        return self.popen_or_pid.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout_s: float = 15) -> None:
        """SIGTERM the process group; SIGKILL it if the leader is still alive after timeout_s."""
        self._signal_and_wait(timeout_s)
        if self.pid_path is not None:
            self.pid_path.unlink(missing_ok=True)

    def _signal_and_wait(self, timeout_s: float) -> None:
        for sig, wait_s in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 10.0)):
            if not self.is_alive():
                return
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                return
            if self._wait(wait_s):
                return
        raise RuntimeError(f"{self.name} (pid {self.pid}) survived SIGKILL")

    def _wait(self, timeout_s: float) -> bool:
        if isinstance(self.popen_or_pid, subprocess.Popen):
            try:
                self.popen_or_pid.wait(timeout_s)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout_s
        while self.is_alive():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True


def start_detached(
    name: str,
    argv: Sequence[str],
    log_path: Path,
    pid_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    run_as: tuple[int, int] | None = None,
) -> ManagedProcess:
    """Start argv in a new session, stdout and stderr appended to log_path, pid written to pid_path.

    env is laid over this process's environment; run_as (uid, gid) runs it as another user
    (we must be root). The process outlives this Python process.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    pid_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        log.write(f"\n==== {stamp} starting {name}: {' '.join(argv)}\n".encode())
        log.flush()
        popen = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env} if env is not None else None,
            cwd=cwd,
            start_new_session=True,
            **as_user(run_as),
        )
    pid_path.write_text(f"{popen.pid}\n")
    return ManagedProcess(name, popen, log_path, pid_path)


def as_user(run_as: tuple[int, int] | None) -> dict[str, Any]:
    """subprocess options that run a child as (uid, gid), without our supplementary groups."""
    if run_as is None:
        return {}
    uid, gid = run_as
    return {"user": uid, "group": gid, "extra_groups": []}


def _read_pid(pid_path: Path) -> int | None:
    try:
        return int(pid_path.read_text().strip())
    except (OSError, ValueError):
        return None


def pid_of(pid_path: Path) -> int | None:
    """The pid in pid_path if that process is running."""
    pid = _read_pid(pid_path)
    return pid if pid is not None and _pid_alive(pid) else None


def is_running(pid_path: Path) -> bool:
    pid = _read_pid(pid_path)
    return pid is not None and _pid_alive(pid) and _is_session_leader(pid)


def stop_from_pid_file(pid_path: Path, timeout_s: float = 15) -> None:
    """Stop the process named by pid_path if it is still running, then remove the pid file."""
    pid = _read_pid(pid_path)
    if pid is not None and _pid_alive(pid) and _is_session_leader(pid):
        ManagedProcess(pid_path.stem, pid).stop(timeout_s)
    pid_path.unlink(missing_ok=True)


def kill_from_pid_file(pid_path: Path, timeout_s: float = 15) -> None:
    """kill -9 the process group named by pid_path, as a crash would, and wait until it is gone."""
    pid = _read_pid(pid_path)
    if pid is None or not (_pid_alive(pid) and _is_session_leader(pid)):
        return
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout_s
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def peak_rss_mb(pid_path: Path) -> float | None:
    """The process's peak resident set size so far (VmHWM), in MB; None if it is not running."""
    pid = _read_pid(pid_path)
    if pid is None:
        return None
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def _stat_fields(pid: int | str) -> list[str] | None:
    """/proc/PID/stat after the command name (which may hold spaces): field 3 onwards."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def tree_cpu_seconds(pid_path: Path) -> float | None:
    """CPU time (user and system) used so far by the process named by pid_path and all its
    descendants, living (PostgreSQL's backends, a forkserver) or exited and reaped (a
    file check's child). None if it is not running."""
    pid = _read_pid(pid_path)
    if pid is None or _stat_fields(pid) is None:
        return None
    children: dict[str, list[str]] = {}
    ticks: dict[str, int] = {}
    for entry in Path("/proc").iterdir():
        fields = _stat_fields(entry.name) if entry.name.isdigit() else None
        if fields is None:
            continue
        children.setdefault(fields[1], []).append(entry.name)
        # utime, stime, and the same of its children that have exited and been waited for
        ticks[entry.name] = sum(int(fields[i]) for i in (11, 12, 13, 14))
    total, todo = 0, [str(pid)]
    while todo:
        current = todo.pop()
        total += ticks.get(current, 0)
        todo.extend(children.get(current, []))
    return total / os.sysconf("SC_CLK_TCK")
