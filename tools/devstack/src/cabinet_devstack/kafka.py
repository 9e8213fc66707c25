"""A single-node Apache Kafka (KRaft, combined broker and controller) run straight from its jars.

The jars come from Maven Central via tools/kafka/pom.xml; no Kafka tarball is needed.
"""

from __future__ import annotations

import base64
import socket
import struct
import subprocess
import time
import uuid
from pathlib import Path

from cabinet_devstack.processes import ManagedProcess, start_detached

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


def server_properties(data_dir: Path, port: int, controller_port: int) -> str:
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
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
    config = data_dir / "server.properties"
    config.write_text(server_properties(data_dir, port, controller_port))
    if not (data_dir / "logs" / "meta.properties").exists():
        format_args = ["format", "-t", _cluster_id(), "-c", str(config), "--standalone"]
        argv = _java(jars_dir, "kafka.tools.StorageTool", *format_args)
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"formatting Kafka storage failed:\n{done.stdout}{done.stderr}")
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


def wait_kafka_ready(
    port: int, timeout_s: float = 60, process: ManagedProcess | None = None
) -> None:
    """Wait until the broker answers a Metadata request listing itself.

    If process is given, fail as soon as it exits instead of waiting out the timeout.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if broker_count(port) > 0:
                return
        except (OSError, struct.error):
            pass
        if process is not None and not process.is_alive():
            raise RuntimeError(f"Kafka exited during startup:\n{process.log_tail()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"Kafka on 127.0.0.1:{port} not ready after {timeout_s:g}s")
        time.sleep(0.2)
