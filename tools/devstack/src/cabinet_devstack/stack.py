"""Cabinet's local stack: Kafka, Temporal, the three services and the worker, started from
the project's own files. `make up` / `make down` call this; the integration tests use the
same code on free ports in a temporary directory.

    cabinet-stack up            # start what is not running, wait until healthy, seed the demo
    cabinet-stack down          # stop everything; data stays under .stack/
    cabinet-stack restart web   # one service (or the worker) again, on the code installed now
"""

import argparse
import asyncio
import functools
import os
import subprocess
import sys
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from cabinet_common import search_attributes
from cabinet_common.auth.principal import Principal, Role
from cabinet_common.auth.tokens import TokenMinter
from cabinet_common.messaging.acls import principal_of
from cabinet_common.messaging.kafka import ensure_topics
from cabinet_common.settings import TemporalSettings
from cabinet_devstack import kafka, postgres, temporal
from cabinet_devstack.demo import DEMO_DEPARTMENT, DEMO_FILERS, seed_demo
from cabinet_devstack.keys import (
    local_auth_keys,
    local_signing_key,
    local_temporal_payload_key,
    local_web_secret,
)
from cabinet_devstack.processes import (
    ManagedProcess,
    free_port,
    is_running,
    kill_from_pid_file,
    start_detached,
)
from cabinet_devstack.processes import stop_from_pid_file as stop_pid
from cabinet_devstack.web_accounts import DEMO_PASSWORD, department_accounts, save_accounts

REPO_ROOT = Path(__file__).resolve().parents[4]
# The APIs, then the web pages that call intake's and cycles'.
API_SERVICES = ("intake", "receipts", "cycles")
SERVICES = (*API_SERVICES, "web")
RESTARTABLE = (*SERVICES, "worker")
# Only the services that sign anything are given the key.
SIGNING_SERVICES = ("cycles",)
# What runs more than once with `replicas` > 1: "intake.2" is intake's second replica, on
# the same database and Kafka group as the first (the web pages stay single).
REPLICATED = (*API_SERVICES, "worker")


def base_name(name: str) -> str:
    """ "intake.2" -> "intake": the program a replica runs."""
    return name.split(".", 1)[0]


def _replica_names(name: str, replicas: int) -> list[str]:
    count = replicas if name in REPLICATED else 1
    return [name, *(f"{name}.{n}" for n in range(2, count + 1))]


# Each owns one database (the worker has none).
DATABASE_SERVICES = SERVICES
BACKENDS = ("sqlite", "postgres")


def _metrics_names(replicas: int) -> list[str]:
    """Metrics served on ports of their own (the services serve theirs at <url>/metrics):
    each worker's, and the Temporal SDK's in each process that talks to Temporal."""
    names: list[str] = []
    for worker in _replica_names("worker", replicas):
        names += [worker, f"{worker}-temporal-sdk"]
    return names + [f"{cycles}-temporal-sdk" for cycles in _replica_names("cycles", replicas)]


def _env_port(name: str, default: int) -> int:
    return int(os.environ.get(f"CABINET_{name}_PORT", default))


@dataclass(frozen=True)
class StackConfig:
    state_dir: Path
    kafka_port: int
    kafka_controller_port: int
    temporal_port: int
    temporal_ui_port: int
    temporal_http_port: int
    temporal_metrics_port: int
    service_ports: dict[str, int]
    metrics_ports: dict[str, int]
    # "sqlite" (a file per service under data/) or "postgres" (a cluster of the stack's
    # own under postgres_dir, one database and role per service).
    database: str = "sqlite"
    postgres_port: int = 5433
    # Where the PostgreSQL cluster lives; state_dir/postgres unless set.
    postgres_dir: Path | None = None
    # fsync on; by default only for the cluster under state_dir (a throwaway cluster under
    # postgres_dir, for tests, need not survive a power cut).
    postgres_durable: bool | None = None
    task_queue: str = "cabinet-obligations"
    # Consumers join their group in 1-3 s instead of ~5 s; for tests.
    fast_group_join: bool = False
    # Each process appends its spans to <traces_dir>/<name>.jsonl; None exports none.
    traces_dir: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    # Processes of each of REPLICATED (the extra ones get ports in service_ports).
    replicas: int = 1

    def __post_init__(self) -> None:
        if self.database not in BACKENDS:
            raise ValueError(f"database must be one of {', '.join(BACKENDS)}: {self.database!r}")
        kafka.STATE_DIRS[self.kafka_bootstrap] = self.state_dir

    @classmethod
    def from_env(cls) -> "StackConfig":
        """The ports of `make up`, each overridable with CABINET_<NAME>_PORT, and the
        database backend from CABINET_DB (sqlite by default, or postgres)."""
        return cls(
            database=os.environ.get("CABINET_DB", "sqlite"),
            postgres_port=_env_port("POSTGRES", 5433),
            state_dir=Path(os.environ.get("CABINET_STATE_DIR", REPO_ROOT / ".stack")),
            kafka_port=_env_port("KAFKA", 9092),
            kafka_controller_port=_env_port("KAFKA_CONTROLLER", 9093),
            temporal_port=_env_port("TEMPORAL", 7233),
            temporal_ui_port=_env_port("TEMPORAL_UI", 8233),
            temporal_http_port=_env_port("TEMPORAL_HTTP", 7243),
            temporal_metrics_port=_env_port("TEMPORAL_METRICS", 7244),
            service_ports={
                "intake": _env_port("INTAKE", 8001),
                "receipts": _env_port("RECEIPTS", 8002),
                "cycles": _env_port("CYCLES", 8003),
                "web": _env_port("WEB", 8000),
            },
            metrics_ports={
                "worker": _env_port("WORKER_METRICS", 9101),
                "worker-temporal-sdk": _env_port("WORKER_TEMPORAL_SDK_METRICS", 9102),
                "cycles-temporal-sdk": _env_port("CYCLES_TEMPORAL_SDK_METRICS", 9103),
            },
            traces_dir=Path(os.environ["CABINET_TRACES_DIR"])
            if os.environ.get("CABINET_TRACES_DIR")
            else None,
        )

    @classmethod
    def on_free_ports(cls, state_dir: Path, **options: object) -> "StackConfig":
        replicas = int(str(options.get("replicas", 1)))
        return cls(
            state_dir=state_dir,
            kafka_port=free_port(),
            kafka_controller_port=free_port(),
            temporal_port=free_port(),
            temporal_ui_port=free_port(),
            temporal_http_port=free_port(),
            temporal_metrics_port=free_port(),
            service_ports={
                replica: free_port()
                for name in SERVICES
                for replica in _replica_names(name, replicas)
            },
            metrics_ports={name: free_port() for name in _metrics_names(replicas)},
            postgres_port=free_port(),
            **options,  # type: ignore[arg-type]
        )

    @property
    def postgres_cluster(self) -> postgres.Cluster:
        directory = self.postgres_dir or self.state_dir / "postgres"
        durable = self.postgres_durable
        if durable is None:
            durable = self.postgres_dir is None
        return postgres.Cluster(directory, self.postgres_port, durable=durable)

    def database_url(self, service: str) -> str:
        if self.database == "postgres":
            return self.postgres_cluster.database_url(service)
        return f"sqlite+aiosqlite:///{self.state_dir / 'data' / service}.db"

    @property
    def mail_dir(self) -> Path:
        """Where the worker's local notification adapter delivers reminders."""
        return self.state_dir / "data" / "mail"

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    @property
    def temporal_ui_url(self) -> str:
        return f"http://127.0.0.1:{self.temporal_ui_port}"

    @property
    def temporal_codec_url(self) -> str:
        """The web service's codec endpoint, which the Temporal Web UI decodes payloads
        through (the UI adds /decode and /encode)."""
        return f"{self.url('web')}/temporal-codec"

    def temporal_settings(self) -> TemporalSettings:
        """What a client of this stack's Temporal needs (tests, bench): its address and key."""
        return TemporalSettings(
            temporal_address=self.temporal_address,
            temporal_payload_key_file=local_temporal_payload_key(self.state_dir),
        )

    def url(self, service: str) -> str:
        """Of the service's first replica, or of the replica named ("intake.2")."""
        return f"http://127.0.0.1:{self.service_ports[service]}"

    def auth_for(self, principal: Principal) -> dict[str, str]:
        """Authorization for anyone, minted with the stack's operators' key (tests)."""
        return {"Authorization": f"Bearer {_ops_minter(self.state_dir).mint(principal, 900)}"}

    def machine_http_auth(self) -> httpx.Auth:
        """A fresh machine token on every request, for clients that outlive a token."""
        return _FreshMachineToken(self)

    def cli_env(self) -> dict[str, str]:
        """What a Cabinet CLI needs in its environment to call this stack's APIs."""
        keys = local_auth_keys(self.state_dir)
        return {"CABINET_AUTH_PRIVATE_KEY_FILE": str(keys.ops_private_key)}

    def machine_auth(self) -> dict[str, str]:
        """Authorization for the stack's own machine identity (the demo seed, the tests)."""
        return self.auth_for(Principal("devstack", Role.SERVICE, None))

    def metrics_urls(self) -> dict[str, str]:
        """Every Prometheus endpoint of the stack, by the process (and what) it measures."""
        urls = {
            replica: f"{self.url(replica)}/metrics"
            for name in SERVICES
            for replica in self.replica_names(name)
        }
        for name, port in self.metrics_ports.items():
            urls[name] = f"http://127.0.0.1:{port}/metrics"
        return urls

    def replica_names(self, name: str) -> list[str]:
        """The processes of one service (or the worker): ["intake", "intake.2", ...]."""
        return _replica_names(name, self.replicas)

    def urls(self, service: str) -> list[str]:
        return [self.url(name) for name in self.replica_names(service)]

    @property
    def app_names(self) -> list[str]:
        """Every service and worker process, replicas included, in start order."""
        return [r for name in (*SERVICES, "worker") for r in self.replica_names(name)]

    def process_env(self, name: str) -> dict[str, str]:
        service = base_name(name)
        data = self.state_dir / "data"
        auth = local_auth_keys(self.state_dir)
        env = {
            "CABINET_KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
            # Each deployable is its own Kafka principal (web has no Kafka side).
            **(kafka.client_env(self.state_dir, principal_of(service)) if service != "web" else {}),
            "CABINET_TEMPORAL_ADDRESS": self.temporal_address,
            "CABINET_TEMPORAL_UI_URL": self.temporal_ui_url,
            "CABINET_TEMPORAL_PAYLOAD_KEY_FILE": str(local_temporal_payload_key(self.state_dir)),
            "CABINET_OBLIGATION_TASK_QUEUE": self.task_queue,
            "CABINET_DATABASE_URL": self.database_url(service),
            "CABINET_EVIDENCE_DIR": str(data / "evidence"),
            "CABINET_MAIL_DIR": str(self.mail_dir),
            **self.extra_env,
        }
        if name in self.service_ports:
            env["CABINET_PORT"] = str(self.service_ports[name])
        if service in API_SERVICES:
            env["CABINET_AUTH_TRUSTED_KEYS_DIR"] = str(auth.trusted_dir)
        if f"{name}-temporal-sdk" in self.metrics_ports:
            port = self.metrics_ports[f"{name}-temporal-sdk"]
            env["CABINET_TEMPORAL_SDK_METRICS_ADDRESS"] = f"127.0.0.1:{port}"
        if service == "worker":
            env["CABINET_METRICS_PORT"] = str(self.metrics_ports[name])
        if self.traces_dir is not None:
            env["CABINET_TRACES_FILE"] = str(self.traces_dir / f"{name}.jsonl")
        if service in SIGNING_SERVICES:
            env.setdefault("CABINET_SIGNING_KEY", local_signing_key(self.state_dir))
        if service == "web":
            env["CABINET_TEMPORAL_UI_ORIGIN"] = self.temporal_ui_url
            env["CABINET_INTAKE_URL"] = self.url("intake")
            env["CABINET_CYCLES_URL"] = self.url("cycles")
            env["CABINET_RECEIPTS_URL"] = self.url("receipts")
            env["CABINET_AUTH_PRIVATE_KEY_FILE"] = str(auth.web_private_key)
            env.setdefault("CABINET_SECRET_KEY", local_web_secret(self.state_dir))
            # The local stack is plain HTTP on loopback, where curl and httpx do not send a
            # Secure cookie back; deployed behind TLS the default (Secure) stands.
            env.setdefault("CABINET_COOKIE_SECURE", "false")
        if self.fast_group_join:
            env["CABINET_KAFKA_SESSION_TIMEOUT_MS"] = "6000"
            env["CABINET_KAFKA_HEARTBEAT_INTERVAL_MS"] = "500"
        return env


@functools.cache
def _ops_minter(state_dir: Path) -> TokenMinter:
    keys = local_auth_keys(state_dir)
    return TokenMinter.from_file(keys.ops_private_key, "machine:devstack")


class _FreshMachineToken(httpx.Auth):
    def __init__(self, config: StackConfig) -> None:
        self._config = config

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(self._config.machine_auth())
        yield request


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self._run_dir = config.state_dir / "run"
        self._log_dir = config.state_dir / "logs"

    def pid_file(self, name: str) -> Path:
        return self._run_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self._log_dir / f"{name}.log"

    def up(self) -> None:
        if self.config.database == "postgres":
            self.start_postgres()
        self.start_kafka()
        self.start_temporal()
        asyncio.run(ensure_topics(kafka.settings_for(self.config.kafka_bootstrap), create=True))
        for name in DATABASE_SERVICES:
            self.migrate(name)
        for name in self.config.app_names:
            self.start_app(name)
        for name in self.config.app_names:
            if base_name(name) in SERVICES:
                self.wait_ready(name)

    def down(self) -> None:
        for name in (*reversed(self.config.app_names), "temporal", "kafka"):
            stop_pid(self.pid_file(name))
        if is_running(self.pid_file("postgres")):
            postgres.stop(self.config.postgres_cluster, self.log_file("postgres"))
        stop_pid(self.pid_file("postgres"))

    def stop_database(self) -> None:
        """A database outage: PostgreSQL shut down, its clients cut off (SQLite files have no
        server to stop)."""
        if self.config.database != "postgres":
            raise RuntimeError("only a PostgreSQL stack has a database server to stop")
        postgres.stop(self.config.postgres_cluster, self.log_file("postgres"))
        stop_pid(self.pid_file("postgres"))

    def start_postgres(self) -> None:
        cluster = self.config.postgres_cluster
        process = None
        if not is_running(self.pid_file("postgres")):
            process = postgres.start(cluster, self.log_file("postgres"), self.pid_file("postgres"))
        postgres.wait_ready(cluster, process)
        postgres.provision(cluster, DATABASE_SERVICES)

    def migrate(self, service: str) -> None:
        """`cabinet-<service> migrate`, as the Kubernetes init container runs it."""
        (self.config.state_dir / "data").mkdir(parents=True, exist_ok=True)
        log = self.log_file(f"{service}-migrate")
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as output:
            result = subprocess.run(
                [str(Path(sys.executable).parent / f"cabinet-{service}"), "migrate"],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.config.process_env(service)},
                cwd=REPO_ROOT,
                check=False,
            )
        if result.returncode != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            raise RuntimeError(f"{service} migrate failed; end of {log}:\n{tail}")

    def start_kafka(self, timeout_s: float = 90) -> None:
        if is_running(self.pid_file("kafka")):
            return
        jars = kafka.ensure_jars(REPO_ROOT)
        process = kafka.start_kafka(
            jars,
            self.config.state_dir / "kafka" / "data",
            self.config.kafka_port,
            self.config.kafka_controller_port,
            self.log_file("kafka"),
            self.pid_file("kafka"),
        )
        state_dir = self.config.state_dir
        kafka.wait_kafka_ready(
            self.config.kafka_port, timeout_s=timeout_s, process=process, state_dir=state_dir
        )
        kafka.create_acls(state_dir, self.config.kafka_port)

    def start_temporal(self) -> None:
        attributes = {key.name: _cli_type(key.indexed_value_type) for key in search_attributes.ALL}
        if not is_running(self.pid_file("temporal")):
            process = temporal.start_temporal(
                self.config.state_dir / "temporal" / "temporal.db",
                self.config.temporal_port,
                self.config.temporal_ui_port,
                self.config.temporal_http_port,
                self.config.temporal_metrics_port,
                self.log_file("temporal"),
                self.pid_file("temporal"),
                attributes,
                codec_endpoint=self.config.temporal_codec_url,
            )
            temporal.wait_temporal_ready(self.config.temporal_port, process=process)
        temporal.ensure_search_attributes(self.config.temporal_port, attributes)

    def start_app(self, name: str) -> ManagedProcess | None:
        if is_running(self.pid_file(name)):
            return None
        (self.config.state_dir / "data").mkdir(parents=True, exist_ok=True)
        return start_detached(
            name,
            [str(Path(sys.executable).parent / f"cabinet-{base_name(name)}")],
            self.log_file(name),
            self.pid_file(name),
            env=self.config.process_env(name),
            cwd=REPO_ROOT,
        )

    def stop_app(self, name: str) -> None:
        stop_pid(self.pid_file(name))

    def restart(self, name: str) -> None:
        """Stop one service (or the worker) and start it again on the code now installed
        (its database migrated to that code's head first)."""
        self.stop_app(name)
        if base_name(name) in DATABASE_SERVICES:
            self.migrate(base_name(name))
        self.start_app(name)
        if base_name(name) in SERVICES:
            self.wait_ready(name)

    def start(self, name: str) -> None:
        """Start one component (Kafka, Temporal, a service or the worker) if it is not running."""
        if name == "kafka":
            # A restart on a loaded machine can take minutes (log recovery, JIT).
            self.start_kafka(timeout_s=600)
        elif name == "temporal":
            self.start_temporal()
        else:
            self.start_app(name)

    def is_running(self, name: str) -> bool:
        return is_running(self.pid_file(name))

    def kill(self, name: str) -> None:
        """kill -9 one component's process group, as a crash would."""
        kill_from_pid_file(self.pid_file(name))

    def wait_ready(self, service: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        url = f"{self.config.url(service)}/readyz"
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if not is_running(self.pid_file(service)):
                break
            time.sleep(0.3)
        log = self.log_file(service)
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:]) if log.exists() else ""
        raise RuntimeError(f"{service} did not become ready; end of {log}:\n{tail}")


def _cli_type(indexed_value_type: object) -> str:
    """SearchAttributeIndexedValueType.KEYWORD -> "Keyword", as the temporal CLI spells it."""
    return str(getattr(indexed_value_type, "name", indexed_value_type)).title()


def _print_urls(config: StackConfig) -> None:
    print("\nCabinet is up:")
    print(f"  Web pages           {config.url('web')}/sign-in")
    for service in API_SERVICES:
        print(f"  {service:<9} API docs  {config.url(service)}/docs")
    print(f"  Temporal Web UI     {config.temporal_ui_url}")
    print(f"  Temporal codec      {config.temporal_codec_url} (sign in as an operator)")
    print(f"  Kafka bootstrap     {config.kafka_bootstrap} (SASL/SCRAM-SHA-512)")
    print(f"  Kafka passwords     {config.state_dir / 'keys' / 'kafka'}/<principal>")
    if config.database == "postgres":
        print(
            f"  PostgreSQL          127.0.0.1:{config.postgres_port} (databases cabinet_<service>)"
        )
    print(f"  Signing public key  {config.url('cycles')}/signing-key")
    print("  Prometheus metrics")
    for name, url in config.metrics_urls().items():
        print(f"    {name:<19} {url}")
    print(f"  Reminders (mail)    {config.mail_dir}")
    print(f"  Logs and data       {config.state_dir}")


def _seed_demo_accounts(config: StackConfig) -> None:
    accounts = department_accounts(list(DEMO_FILERS))
    save_accounts(config.process_env("web")["CABINET_DATABASE_URL"], DEMO_DEPARTMENT, accounts)
    print(f"  Sign in as {', '.join(a.user_id for a in accounts)}")
    print(f"  (demo password: {DEMO_PASSWORD})")


def main() -> None:
    parser = argparse.ArgumentParser(prog="cabinet-stack", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "down", "restart"])
    parser.add_argument("--no-demo", action="store_true", help="do not seed the demo department")
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"for restart: any of {', '.join(RESTARTABLE)}"
    )
    args = parser.parse_args()
    config = StackConfig.from_env()
    stack = Stack(config)
    if args.command == "down":
        stack.down()
        print("Cabinet stopped; data kept in", config.state_dir)
        return
    if args.command == "restart":
        if not args.names or not set(args.names) <= set(RESTARTABLE):
            parser.error(f"restart which? any of {', '.join(RESTARTABLE)}")
        for name in args.names:
            stack.restart(name)
        return
    stack.up()
    _print_urls(config)
    if not args.no_demo:
        period_key = seed_demo(config.url("cycles"), config.url("intake"), config.machine_auth())
        print(f"\nDemo department {DEMO_DEPARTMENT!r}: {period_key} is open for its filers.")
        _seed_demo_accounts(config)


if __name__ == "__main__":
    main()
