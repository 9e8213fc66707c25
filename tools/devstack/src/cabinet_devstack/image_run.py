"""Start each built image as Kubernetes would run it and report what it did.

Kafka and the Temporal dev server run on the host on free loopback ports (the devstack's
own code); every container runs with podman as the image's uid 10001, with a read-only
root filesystem, a tmpfs /tmp and (services) a volume for its SQLite database, on the host
network so it reaches them on 127.0.0.1. A service with migrations is first migrated by
its own image (`<entry point> migrate`, as the pods' init container), then started; it
counts as started when it answers /healthz; the worker when it logs the task queues it
polls. Each container is also asked to write into its root filesystem,
which must fail.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from cabinet_common.messaging.kafka import ensure_topics
from cabinet_devstack import kafka
from cabinet_devstack.images import BY_NAME, REPO_ROOT, image_size_mb
from cabinet_devstack.keys import local_auth_keys
from cabinet_devstack.processes import free_port
from cabinet_devstack.stack import Stack, StackConfig

# podman's defaults ask for more open files and processes than these machines allow, and
# their crun refuses the hybrid cgroup layout: runc with explicit limits works.
PODMAN_RUN = [
    "podman", "--runtime", "runc", "run", "--read-only", "--network", "host",
    "--tmpfs", "/tmp:rw,size=256m,mode=1777", "--ulimit", "nofile=16384:16384",
    "--ulimit", "nproc=4096:4096",
]  # fmt: skip
# Where each process writes inside its container: the tmpfs, as the pods' emptyDirs.
CONTAINER_PATHS = {
    "CABINET_EVIDENCE_DIR": "/tmp/evidence",
    "CABINET_MAIL_DIR": "/tmp/mail",
}
START_ORDER = ("intake", "receipts", "cycles", "worker", "web")
# Web is ready only while intake and cycles answer.
READY_NEEDS = {"web": {"intake", "cycles"}}


@dataclass
class Started:
    name: str
    tag: str
    size_mb: float
    seconds: float | None
    uid: str
    root_read_only: bool
    detail: str

    @property
    def ok(self) -> bool:
        return self.seconds is not None and self.uid == "10001" and self.root_read_only


# A service's database lives on a volume (as on its PersistentVolume or PostgreSQL), so
# that the migrate container and the service container share it.
DATA_DIR = "/var/lib/cabinet/data"


def container_env(config: StackConfig, name: str) -> dict[str, str]:
    env = {**config.process_env(name), **CONTAINER_PATHS, "CABINET_HOST": "127.0.0.1"}
    if name != "worker":
        env["CABINET_DATABASE_URL"] = f"sqlite+aiosqlite:///{DATA_DIR}/{name}.db"
    # The token keys where auth_volume mounts them, as the pods mount them from Secrets.
    if "CABINET_AUTH_TRUSTED_KEYS_DIR" in env:
        env["CABINET_AUTH_TRUSTED_KEYS_DIR"] = f"{AUTH_DIR}/trusted"
    if "CABINET_AUTH_PRIVATE_KEY_FILE" in env:
        env["CABINET_AUTH_PRIVATE_KEY_FILE"] = f"{AUTH_DIR}/web.pem"
    # The host's password file is not in the container: its content instead.
    if "CABINET_KAFKA_PASSWORD_FILE" in env:
        env["CABINET_KAFKA_PASSWORD"] = Path(env.pop("CABINET_KAFKA_PASSWORD_FILE")).read_text()
    return env


AUTH_DIR = "/etc/cabinet/auth"


def auth_volume(state_dir: Path) -> str:
    """The stack's token keys, copied where the image's user may read them, read-only."""
    keys = local_auth_keys(state_dir)
    folder = state_dir / "container-auth"
    trusted = folder / "trusted"
    trusted.mkdir(parents=True, exist_ok=True)
    for key in keys.trusted_dir.iterdir():
        shutil.copyfile(key, trusted / key.name)
    shutil.copyfile(keys.web_private_key, folder / "web.pem")
    for path in (folder, trusted, folder / "web.pem", *trusted.iterdir()):
        os.chown(path, 10001, 10001)
    return f"{folder}:{AUTH_DIR}:ro"


def data_volume(state_dir: Path, name: str) -> str:
    """A host folder owned by the image's user, mounted where the database lives."""
    folder = state_dir / "data" / name
    folder.mkdir(parents=True, exist_ok=True)
    os.chown(folder, 10001, 10001)
    return f"{folder}:{DATA_DIR}"


def podman_argv(env: Mapping[str, str], volumes: list[str]) -> list[str]:
    argv = list(PODMAN_RUN)
    for volume in volumes:
        argv += ["--volume", volume]
    for key, value in env.items():
        argv += ["--env", f"{key}={value}"]
    return argv


def podman_run(container: str, tag: str, env: Mapping[str, str], volumes: list[str]) -> None:
    subprocess.run(["podman", "rm", "--force", "--ignore", container], check=True)
    argv = [*podman_argv(env, volumes), "--detach", "--name", container, tag]
    subprocess.run(argv, check=True, capture_output=True, text=True)


def has_migrations(name: str) -> bool:
    """Services with an Alembic history refuse a database that is not at its head."""
    package_dir = REPO_ROOT / BY_NAME[name].package_dir / "src" / f"cabinet_{name}"
    return (package_dir / "migrations").is_dir()


def migrate(tag: str, env: Mapping[str, str], volumes: list[str]) -> str:
    """`<entry point> migrate` in a container of its own, as the pods' init container."""
    argv = [*podman_argv(env, volumes), "--rm", tag, "migrate"]
    # Bounded: an entry point without a migrate command would serve instead, forever.
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"{tag} migrate failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def logs(container: str) -> str:
    result = subprocess.run(["podman", "logs", container], capture_output=True, text=True)
    return result.stdout + result.stderr


def running(container: str) -> bool:
    result = subprocess.run(
        ["podman", "inspect", "--format", "{{.State.Running}}", container],
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() == "true"


def wait_healthz(container: str, url: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and running(container):
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def worker_queues(container: str, timeout_s: float) -> list[str] | None:
    """The task queues the worker says it polls, from its JSON log."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and running(container):
        for line in logs(container).splitlines():
            if '"worker.polling"' in line:
                queues: list[str] = json.loads(line)["task_queues"]
                return queues
        time.sleep(0.1)
    return None


def exec_in(container: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", "exec", container, *argv], capture_output=True, text=True, check=False
    )


def start_one(config: StackConfig, name: str, tag: str, timeout_s: float = 90) -> Started:
    container = f"cabinet-images-{name}"
    env = container_env(config, name)
    volumes = [auth_volume(config.state_dir)]
    if name != "worker":
        volumes.append(data_volume(config.state_dir, name))
        if has_migrations(name):
            migrate(tag, env, volumes)
    began = time.monotonic()
    podman_run(container, tag, env, volumes)
    if name == "worker":
        queues = worker_queues(container, timeout_s)
        detail = f"polls {', '.join(queues)}" if queues else "did not report its task queues"
        started = queues is not None
    else:
        started = wait_healthz(container, config.url(name), timeout_s)
        detail = "/healthz 200" if started else "/healthz never answered"
    seconds = time.monotonic() - began if started else None
    if not started:
        detail += "\n" + "\n".join(logs(container).splitlines()[-20:])
    uid = exec_in(container, "python3", "-c", "import os; print(os.getuid())").stdout.strip()
    write = exec_in(container, "python3", "-c", "open('/opt/cabinet/probe', 'w')")
    read_only = write.returncode != 0 and "Read-only file system" in write.stderr
    return Started(name, tag, image_size_mb(tag), seconds, uid, read_only, detail)


def wait_ready(url: str, timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    status = 0
    while time.monotonic() < deadline:
        try:
            status = httpx.get(f"{url}/readyz", timeout=2).status_code
            if status == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    return status


def report(results: list[Started], ready: Mapping[str, int]) -> None:
    print(f"\n{'image':<34} {'size':>9} {'start-up':>9}  uid    root fs    result")
    for r in results:
        seconds = f"{r.seconds:.1f} s" if r.seconds is not None else "-"
        fs = "read-only" if r.root_read_only else "WRITABLE"
        extra = f", /readyz {ready[r.name]}" if r.name in ready else ""
        print(
            f"{r.tag:<34} {r.size_mb:6.1f} MB {seconds:>9}  {r.uid:<6} {fs:<10} {r.detail}{extra}"
        )


def start_and_report(tags: Mapping[str, str], state_dir: Path) -> bool:
    """Start Kafka, Temporal and then each image in tags; print sizes and start-up times."""
    config = StackConfig.on_free_ports(state_dir, fast_group_join=True)
    config.service_ports.update({name: free_port() for name in tags})
    stack = Stack(config)
    results: list[Started] = []
    ready: dict[str, int] = {}
    try:
        stack.start_kafka()
        stack.start_temporal()
        asyncio.run(ensure_topics(kafka.settings_for(config.kafka_bootstrap), create=True))
        for name in (n for n in START_ORDER if n in tags):
            results.append(start_one(config, name, tags[name]))
        # With Kafka and Temporal there, each service must also become ready.
        ready = {
            r.name: wait_ready(config.url(r.name))
            for r in results
            if r.name != "worker" and READY_NEEDS.get(r.name, set()) <= set(tags)
        }
    finally:
        for name in tags:
            subprocess.run(["podman", "rm", "--force", "--ignore", f"cabinet-images-{name}"],
                           capture_output=True, check=False)  # fmt: skip
        stack.down()
    report(results, ready)
    return all(r.ok for r in results) and all(status == 200 for status in ready.values())
