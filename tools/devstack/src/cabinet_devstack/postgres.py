"""A PostgreSQL 15 cluster of the stack's own, from Debian's server binaries: made with
initdb under the state directory, listening on 127.0.0.1 only (and a socket directory of
its own), with one role and one database per service.

PostgreSQL refuses to run as root, so as root the binaries run as the unprivileged
`postgres` user that Debian's package creates; the data and socket directories are made
theirs.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import secrets
import subprocess
import tempfile
import time
from collections.abc import Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from cabinet_devstack.processes import ManagedProcess, as_user, start_detached

BIN_DIR = Path(os.environ.get("CABINET_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "postgres"
# The OS user the server runs as when we are root.
RUN_AS = "postgres"
DEBIAN_PACKAGE = "postgresql-15"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def binaries_present() -> bool:
    return all((BIN_DIR / name).is_file() for name in ("initdb", "postgres", "pg_ctl"))


def ensure_installed() -> None:
    if not binaries_present():
        raise PostgresUnavailable(
            f"PostgreSQL 15 is not installed (no {BIN_DIR}/initdb): `make postgres` installs"
            f" the Debian package {DEBIAN_PACKAGE} (as root), or install it yourself"
        )


@dataclass(frozen=True)
class Cluster:
    """Where a cluster lives and how to reach it."""

    directory: Path
    port: int
    # fsync off for throwaway test clusters: faster, and a crash loses nothing that matters.
    durable: bool = True

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def socket_dir(self) -> Path:
        return self.directory / "run"

    @property
    def secrets_dir(self) -> Path:
        return self.directory / "passwords"

    def database_url(self, service: str) -> str:
        name = database_name(service)
        return f"postgresql+asyncpg://{name}:{self.password(service)}@127.0.0.1:{self.port}/{name}"

    def password(self, service: str) -> str:
        """The service role's password, made once and kept (mode 0600) beside the cluster."""
        path = self.secrets_dir / service
        if not path.exists():
            self.secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(24) + "\n")
        return path.read_text().strip()


def scratch_directory() -> Path:
    """A new directory for a throwaway cluster, which the server user can reach (pytest's
    own temporary directories are private to root)."""
    directory = Path(tempfile.mkdtemp(prefix="cabinet-postgres-"))
    directory.chmod(0o755)
    return directory


def database_name(service: str) -> str:
    """The role and the database of one service: `cabinet_intake`, ..."""
    return f"cabinet_{service}"


def _server_user() -> tuple[int, int] | None:
    """(uid, gid) to run the server as, or None to run it as ourselves (not root)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(RUN_AS)
    except KeyError as error:
        raise PostgresUnavailable(
            f"running as root, and there is no {RUN_AS!r} user to run PostgreSQL as"
            f" (the {DEBIAN_PACKAGE} package creates it)"
        ) from error
    return entry.pw_uid, entry.pw_gid


def _run_as_server_user(argv: list[str], log_path: Path, cwd: Path) -> None:
    with log_path.open("ab") as log:
        result = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            check=False,
            **as_user(_server_user()),
        )
    if result.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
        raise RuntimeError(f"{argv[0]} failed ({result.returncode}); end of {log_path}:\n{tail}")


def _own(user: tuple[int, int] | None, *paths: Path) -> None:
    for path in paths:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if user is not None:
            os.chown(path, *user)
        path.chmod(0o700)
    if user is not None:
        _check_reachable(paths[0].parent, user[0])


def _check_reachable(directory: Path, uid: int) -> None:
    """The server user must be able to pass through every folder above its data."""
    for folder in [directory, *directory.parents]:
        mode = folder.stat().st_mode
        if folder.stat().st_uid != uid and not mode & 0o001:
            raise PostgresUnavailable(
                f"{folder} is not searchable by the {RUN_AS} user, which PostgreSQL runs as:"
                f" put the stack's state directory somewhere it can reach"
                f" (chmod o+x {folder}, or another CABINET_STATE_DIR)"
            )


def init_cluster(cluster: Cluster, log_path: Path) -> None:
    """initdb the cluster once: the superuser reaches it only through the socket directory
    (trust, the directory being 0700), everyone else over 127.0.0.1 with a password."""
    ensure_installed()
    user = _server_user()
    cluster.directory.mkdir(parents=True, exist_ok=True)
    _own(user, cluster.data_dir, cluster.socket_dir)
    if (cluster.data_dir / "PG_VERSION").exists():
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    _run_as_server_user(
        [
            str(BIN_DIR / "initdb"),
            "--pgdata",
            str(cluster.data_dir),
            "--username",
            SUPERUSER,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ],
        log_path,
        cluster.directory,
    )


def start(cluster: Cluster, log_path: Path, pid_path: Path) -> ManagedProcess:
    """Start the server detached (initdb first if the cluster is new)."""
    init_cluster(cluster, log_path)
    settings = {
        "listen_addresses": "127.0.0.1",
        "port": str(cluster.port),
        "unix_socket_directories": str(cluster.socket_dir),
        # Each service's pool, twice over for a second replica, and the tools.
        "max_connections": "300",
        "password_encryption": "scram-sha-256",
    }
    if not cluster.durable:
        settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
    argv = [str(BIN_DIR / "postgres"), "-D", str(cluster.data_dir)]
    for name, value in settings.items():
        argv += ["-c", f"{name}={value}"]
    return start_detached(
        "postgres", argv, log_path, pid_path, run_as=_server_user(), cwd=cluster.directory
    )


def stop(cluster: Cluster, log_path: Path) -> None:
    """A fast shutdown (clients disconnected, nothing to recover at the next start)."""
    if not (cluster.data_dir / "postmaster.pid").exists():
        return
    _run_as_server_user(
        [str(BIN_DIR / "pg_ctl"), "stop", "-D", str(cluster.data_dir), "-m", "fast", "-w"],
        log_path,
        cluster.directory,
    )


def wait_ready(cluster: Cluster, process: ManagedProcess | None, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            _run(_query(cluster, "SELECT 1"))
            return
        except (OSError, asyncpg.PostgresError) as error:
            if process is not None and not process.is_alive():
                raise RuntimeError(
                    f"postgres exited; end of its log:\n{process.log_tail()}"
                ) from error
            if time.monotonic() > deadline:
                raise TimeoutError(f"postgres not ready after {timeout_s:g}s: {error}") from error
            time.sleep(0.2)


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run an asyncpg call to the end from sync code, even code called by a running event
    loop (a test's fixture): on a thread of its own, with a loop of its own."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, coroutine).result()


async def _query(cluster: Cluster, *statements: str) -> None:
    connection = await asyncpg.connect(
        host=str(cluster.socket_dir), port=cluster.port, user=SUPERUSER, database="postgres"
    )
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def provision(cluster: Cluster, services: Iterable[str]) -> None:
    """One role (with its password) and one database per service, owned by that role and
    closed to every other role."""
    _run(_provision(cluster, list(services)))


async def _provision(cluster: Cluster, services: list[str]) -> None:
    connection = await asyncpg.connect(
        host=str(cluster.socket_dir), port=cluster.port, user=SUPERUSER, database="postgres"
    )
    try:
        for service in services:
            name = database_name(service)
            password = cluster.password(service).replace("'", "''")
            exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name)
            verb = "ALTER" if exists else "CREATE"
            await connection.execute(f"{verb} ROLE {name} LOGIN PASSWORD '{password}'")
            if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await connection.execute(f"CREATE DATABASE {name} OWNER {name}")
            await connection.execute(f"REVOKE ALL ON DATABASE {name} FROM PUBLIC")
    finally:
        await connection.close()
