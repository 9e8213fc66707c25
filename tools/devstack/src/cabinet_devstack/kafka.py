"""A single-node Apache Kafka (KRaft, combined broker and controller) run straight from its jars.

The jars come from Maven Central via tools/kafka/pom.xml; no Kafka tarball is needed.

Clients authenticate with SASL/SCRAM-SHA-512 on the broker's listener, and the
StandardAuthorizer holds each principal to its ACLs (cabinet_common.messaging.acls): one
principal per deployable, the operators' cabinet-dlq, the admin that creates the topics and
the broker itself (both super users). The SCRAM credentials are written into the storage
when it is formatted (`kafka-storage format --add-scram`); the passwords are files under
<state>/keys/kafka/. The controller listener stays PLAINTEXT on loopback (its ANONYMOUS
principal is the broker talking to its own controller).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import shutil
import socket
import struct
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest

from cabinet_common.messaging.acls import acls, principals
from cabinet_common.settings import CommonSettings
from cabinet_devstack.processes import ManagedProcess, port_open, start_detached

JVM_OPTS = [
    "-Xms256m",
    "-Xmx512m",
    "-Dorg.slf4j.simpleLogger.showDateTime=true",
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
    # Every client and server config is dumped at INFO: ~1,700 of the ~1,900 startup lines.
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.common.config.AbstractConfig=warn",
]


def ensure_jars(repo_root: Path) -> Path:
    """The directory of Kafka's jars, resolved by Maven on first use."""
    jars_dir = repo_root / ".stack" / "kafka" / "libs"
    if not any(jars_dir.glob("kafka_2.13-*.jar")):
        jars_dir.mkdir(parents=True, exist_ok=True)
        pom = repo_root / "tools" / "kafka" / "pom.xml"
        goal = ["dependency:copy-dependencies", f"-DoutputDirectory={jars_dir}"]
        subprocess.run(["mvn", "-q", "-B", "-f", str(pom), *goal], check=True)
    return jars_dir


BROKER = "cabinet-broker"
ADMIN = "cabinet-admin"
MECHANISM = "SCRAM-SHA-512"


def password_file(state_dir: Path, principal: str) -> Path:
    """The password of one principal of this stack's broker (made on first use)."""
    path = state_dir / "keys" / "kafka" / principal
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(24))
    return path


# The state directory of each broker this process started or configured (by its bootstrap
# address), so that tools and tests holding only the address connect as its admin.
STATE_DIRS: dict[str, Path] = {}


def options_for(bootstrap: str, principal: str = ADMIN) -> dict[str, Any]:
    """Client options for one of this process's stacks' brokers, as principal."""
    return principal_options(STATE_DIRS[bootstrap], int(bootstrap.rsplit(":", 1)[1]), principal)


def settings_for(bootstrap: str, principal: str = ADMIN, **extra: Any) -> CommonSettings:
    """CommonSettings of a client of that broker, as principal (the admin unless told)."""
    state_dir = STATE_DIRS[bootstrap]
    return CommonSettings(
        kafka_bootstrap_servers=bootstrap,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism=MECHANISM,
        kafka_username=principal,
        kafka_password_file=password_file(state_dir, principal),
        **extra,
    )


def client_env(state_dir: Path, principal: str) -> dict[str, str]:
    """The environment a Cabinet process connecting as principal needs."""
    return {
        "CABINET_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "CABINET_KAFKA_SASL_MECHANISM": MECHANISM,
        "CABINET_KAFKA_USERNAME": principal,
        "CABINET_KAFKA_PASSWORD_FILE": str(password_file(state_dir, principal)),
    }


def all_principals() -> list[str]:
    return sorted({BROKER, ADMIN, *principals()})


def server_properties(data_dir: Path, port: int, controller_port: int, state_dir: Path) -> str:
    broker_password = password_file(state_dir, BROKER).read_text()
    jaas = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required"
        f' username="{BROKER}" password="{broker_password}";'
    )
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "listeners": (
            f"SASL_PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}"
        ),
        "advertised.listeners": f"SASL_PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "SASL_PLAINTEXT",
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        f"listener.name.sasl_plaintext.{MECHANISM.lower()}.sasl.jaas.config": jaas,
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": f"User:{BROKER};User:{ADMIN};User:ANONYMOUS",
        "allow.everyone.if.no.acl.found": "false",
        "log.dirs": str(data_dir / "logs"),
        "num.partitions": "3",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
    }
    return "".join(f"{key}={value}\n" for key, value in props.items())


def _cluster_id() -> str:
    # What `StorageTool random-uuid` prints (Kafka's Uuid.toString), without a JVM start.
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):  # Kafka's Uuid.randomUuid() rejects these too
            return cluster_id


def _java(jars_dir: Path, *args: str) -> list[str]:
    return ["java", *JVM_OPTS, "-cp", f"{jars_dir}/*", *args]


def start_kafka(
    jars_dir: Path,
    data_dir: Path,
    port: int,
    controller_port: int,
    log_path: Path,
    pid_path: Path,
) -> ManagedProcess:
    """Start the broker detached; storage is formatted only on the first start of data_dir."""
    data_dir.mkdir(parents=True, exist_ok=True)
    state_dir = data_dir.parent.parent  # <state>/kafka/data
    config = data_dir / "server.properties"
    config.write_text(server_properties(data_dir, port, controller_port, state_dir))
    sasl_marker = data_dir / "logs" / "cabinet-scram"
    if (data_dir / "logs" / "meta.properties").exists() and not sasl_marker.exists():
        # Formatted before the broker authenticated clients: its storage has no SCRAM
        # credentials, which only formatting adds. A dev broker's data is disposable.
        print(f"reformatting {data_dir / 'logs'}: it predates SASL/SCRAM")
        shutil.rmtree(data_dir / "logs")
    if not (data_dir / "logs" / "meta.properties").exists():
        format_args = ["format", "-t", _cluster_id(), "-c", str(config), "--standalone"]
        for principal in all_principals():
            password = password_file(state_dir, principal).read_text()
            format_args += ["--add-scram", f"{MECHANISM}=[name={principal},password={password}]"]
        argv = _java(jars_dir, "kafka.tools.StorageTool", *format_args)
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"formatting Kafka storage failed:\n{done.stdout}{done.stderr}")
        sasl_marker.write_text("")
    argv = _java(jars_dir, "kafka.Kafka", str(config))
    return start_detached("kafka", argv, log_path, pid_path)


def _request(sock: socket.socket, api_key: int, version: int, body: bytes) -> bytes:
    client_id = b"cabinet-devstack"
    header = struct.pack(">hhih", api_key, version, 1, len(client_id)) + client_id
    sock.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
    (size,) = struct.unpack(">i", _recv_exactly(sock, 4))
    return _recv_exactly(sock, size)


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("Kafka closed the connection")
        data += chunk
    return data


def broker_count(port: int) -> int:
    """Brokers in a Metadata (v4) response from 127.0.0.1:port; 0 until the broker is unfenced."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.settimeout(2)
        # Metadata v4 body: topics = [] (none), allow_auto_topic_creation = false.
        response = _request(sock, 3, 4, struct.pack(">i?", 0, False))
    # Response: correlation_id, throttle_time_ms, then the brokers array length.
    _, _, count = struct.unpack(">iii", response[:12])
    return int(count)


def admin_options(state_dir: Path, port: int) -> dict[str, Any]:
    """Client options of the stack's admin principal (a super user)."""
    return principal_options(state_dir, port, ADMIN)


def principal_options(state_dir: Path, port: int, principal: str) -> dict[str, Any]:
    return {
        "bootstrap_servers": f"127.0.0.1:{port}",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": MECHANISM,
        "sasl_plain_username": principal,
        "sasl_plain_password": password_file(state_dir, principal).read_text(),
    }


async def _broker_count(options: dict[str, Any]) -> int:
    admin = AIOKafkaAdminClient(**options, request_timeout_ms=3000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
        return len(cluster["brokers"])
    finally:
        await admin.close()


# Kafka's protocol codes (org.apache.kafka.common.acl / resource).
_RESOURCE = {"topic": 2, "group": 3}
_OPERATION = {"Read": 3, "Write": 4}
_LITERAL, _ALLOW = 3, 3


async def _create_acls(options: dict[str, Any]) -> None:
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        for acl in acls():
            request = CreateAclsRequest(
                _RESOURCE[acl.resource],
                acl.name,
                _LITERAL,
                f"User:{acl.principal}",
                "*",
                _OPERATION[acl.operation],
                _ALLOW,
            )
            response = await admin._send_request(request)
            for code, message in response.creation_responses:
                if code:
                    raise RuntimeError(f"Kafka refused {acl}: {message or code}")
    finally:
        await admin.close()


def create_acls(state_dir: Path, port: int) -> None:
    """Grant each principal what cabinet_common.messaging.acls lists (idempotent)."""
    asyncio.run(_create_acls(admin_options(state_dir, port)))


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def wait_kafka_ready(
    port: int,
    timeout_s: float = 60,
    process: ManagedProcess | None = None,
    state_dir: Path | None = None,
) -> None:
    """Wait until the broker answers the admin principal with itself in its cluster.

    If process is given, fail as soon as it exits instead of waiting out the timeout.
    Blocking: from async code, call it in a thread (asyncio.to_thread).
    """
    if _in_event_loop():
        raise RuntimeError("wait_kafka_ready blocks: call it through asyncio.to_thread")
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if state_dir is None:
                if broker_count(port) > 0:
                    return
            # The port first: aiokafka logs an error line for every refused connection.
            elif port_open("127.0.0.1", port) and (
                asyncio.run(_broker_count(admin_options(state_dir, port))) > 0
            ):
                return
        except Exception:  # not up yet: refused, closed, timed out
            pass
        if process is not None and not process.is_alive():
            raise RuntimeError(f"Kafka exited during startup:\n{process.log_tail()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"Kafka on 127.0.0.1:{port} not ready after {timeout_s:g}s")
        time.sleep(0.2)
