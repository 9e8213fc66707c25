"""`make bench`: in one run, against the same Temporal server, a raw baseline (a trivial
one-activity workflow) and Cabinet's end-to-end path (submit over HTTP -> FormSubmitted ->
receipts checked -> workflow -> AcknowledgementIssued on Kafka) for N submissions.
Writes JSON and prints a table. A benchmark, never a test: nothing here asserts a speed."""

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer

from cabinet_common.events import Topic, from_kafka
from cabinet_common.temporal import connect
from cabinet_devstack import kafka, postgres
from cabinet_devstack.baseline import BaselineWorkflow, echo
from cabinet_devstack.demo import seed_department
from cabinet_devstack.load_filings import PERIOD, filing_body, receipt_csv
from cabinet_devstack.processes import peak_rss_mb, pid_of
from cabinet_devstack.profiles import BENCH, cpu_used, profiled
from cabinet_devstack.stack import BACKENDS, REPO_ROOT, Stack, StackConfig

VISIBLE_WAIT_S = 900
HTTP_CONNECTIONS = 100
VAT_RETURN = REPO_ROOT / "examples" / "form-types" / "vat-return.yaml"


@dataclass(frozen=True)
class Measurement:
    name: str
    count: int
    concurrency: int
    wall_s: float
    throughput_per_s: float
    p50_ms: float
    p99_ms: float


def _measurement(
    name: str, latencies_s: list[float], concurrency: int, wall_s: float
) -> Measurement:
    ordered = sorted(latencies_s)
    return Measurement(
        name=name,
        count=len(ordered),
        concurrency=concurrency,
        wall_s=round(wall_s, 3),
        throughput_per_s=round(len(ordered) / wall_s, 2),
        p50_ms=round(statistics.median(ordered) * 1000, 1),
        p99_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
    )


async def _bounded(
    count: int, concurrency: int, one: Callable[[int], Awaitable[float]]
) -> tuple[list[float], float]:
    """Run `one(i)` for i < count with at most `concurrency` in flight; latencies and wall time."""
    gate = asyncio.Semaphore(concurrency)

    async def limited(i: int) -> float:
        async with gate:
            return await one(i)

    started = time.perf_counter()
    latencies = await asyncio.gather(*(limited(i) for i in range(count)))
    return list(latencies), time.perf_counter() - started


async def raw_baseline(config: StackConfig, count: int, concurrency: int) -> Measurement:
    from temporalio.worker import Worker

    client = await connect(config.temporal_settings())
    task_queue = f"bench-baseline-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client, task_queue=task_queue, workflows=[BaselineWorkflow], activities=[echo]
    ):

        async def one(i: int) -> float:
            started = time.perf_counter()
            await client.execute_workflow(
                BaselineWorkflow.run, str(i), id=f"{task_queue}-{i}", task_queue=task_queue
            )
            return time.perf_counter() - started

        latencies, wall = await _bounded(count, concurrency, one)
    return _measurement("raw Temporal baseline (1 activity)", latencies, concurrency, wall)


class FilingPath:
    """`count` filers of a fresh department with the quarter open, and a watch on
    AcknowledgementIssued: file(i) submits filer i's return and waits for its acknowledgement."""

    def __init__(self, config: StackConfig, count: int, ack_timeout_s: float = 300) -> None:
        self._config = config
        self._count = count
        self._ack_timeout_s = ack_timeout_s
        # At most one POST per pooled connection: an open loop far ahead of the stack
        # would otherwise queue thousands of requests in httpcore's pool, whose every
        # step scans the queue, and the bench, not Cabinet, would become the bottleneck.
        self._posting = asyncio.Semaphore(HTTP_CONNECTIONS)
        self._department_id = f"bench-{uuid.uuid4().hex[:8]}"
        self._obligations: list[dict[str, Any]] = []
        self._acknowledged: dict[str, asyncio.Event] = {}

    async def __aenter__(self) -> "FilingPath":
        filers = {f"filer-{i:05d}": f"Filer {i}" for i in range(self._count)}
        self._obligations = await asyncio.to_thread(
            seed_department,
            self._config.url("cycles"),
            self._config.url("intake"),
            self._department_id,
            "vat-return",
            filers,
            PERIOD.key,
            self._config.machine_auth(),
            max(60.0, self._count / 5),
        )
        self._acknowledged = {o["obligation_id"]: asyncio.Event() for o in self._obligations}
        self._consumer = AIOKafkaConsumer(
            Topic.ACKNOWLEDGEMENT_ISSUED,
            **kafka.options_for(self._config.kafka_bootstrap),
            group_id=f"bench-{self._department_id}",
            auto_offset_reset="latest",
        )
        await self._consumer.start()
        while not self._consumer.assignment():
            await self._consumer.getmany(timeout_ms=200)
        # "latest" is looked up lazily: do it now, or an acknowledgement issued before the
        # lookup (a loaded machine) is never seen.
        for partition in self._consumer.assignment():
            await self._consumer.position(partition)
        self._collector = asyncio.create_task(self._collect())
        # Spread over the intake replicas, as a load balancer would.
        self._intakes = [
            httpx.AsyncClient(
                base_url=url,
                timeout=60,
                auth=self._config.machine_http_auth(),
                limits=httpx.Limits(max_connections=HTTP_CONNECTIONS),
            )
            for url in self._config.urls("intake")
        ]
        return self

    async def __aexit__(self, *_: object) -> None:
        self._collector.cancel()
        for client in self._intakes:
            await client.aclose()
        await self._consumer.stop()

    async def _collect(self) -> None:
        while True:
            for records in (await self._consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    event = from_kafka(record.key, record.value, list(record.headers))
                    if event.key in self._acknowledged:
                        self._acknowledged[event.key].set()

    async def file(self, i: int) -> float:
        """One filing, from the call (a wait for a free connection counts) until its
        acknowledgement is on Kafka."""
        obligation_id = self._obligations[i]["obligation_id"]
        body = filing_body(i)
        intake = self._intakes[i % len(self._intakes)]
        key, receipt = str(uuid.uuid4()), receipt_csv(str(uuid.uuid4()))
        started = time.perf_counter()
        async with self._posting:
            response = await self._post(intake, obligation_id, body, key, receipt)
        if response.status_code != 202:
            raise RuntimeError(f"filing {i}: {response.status_code} {response.text[:500]}")
        await asyncio.wait_for(
            self._acknowledged[obligation_id].wait(), timeout=self._ack_timeout_s
        )
        return time.perf_counter() - started

    async def _post(
        self,
        intake: httpx.AsyncClient,
        obligation_id: str,
        body: dict[str, Any],
        key: str,
        receipt: bytes,
    ) -> httpx.Response:
        for attempt in range(5):
            try:
                response = await intake.post(
                    f"/departments/{self._department_id}/obligations/{obligation_id}/submissions",
                    data={"submission": json.dumps(body)},
                    files=[("receipts", ("r.csv", receipt, "text/csv"))],
                    headers={"Idempotency-Key": key},
                )
            except httpx.TransportError:
                # A connection dropped (keep-alive race on a loaded machine): sent again
                # with the same key, as a real client would; the time counts.
                if attempt == 4:
                    raise
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            if response.status_code != 503 or attempt == 4:
                return response
            # Busy (every database connection in use): back after Retry-After, as asked.
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))
        raise AssertionError("unreachable: the last attempt returns or raises")


async def end_to_end(
    config: StackConfig,
    count: int,
    concurrency: int,
    watch: contextlib.AbstractContextManager[object] | None = None,
) -> Measurement:
    """`watch` is entered for the filings only, after the department is seeded."""
    async with FilingPath(config, count) as path:
        with watch or contextlib.nullcontext():
            latencies, wall = await _bounded(count, concurrency, path.file)
    return _measurement("end to end: submit -> acknowledgement", latencies, concurrency, wall)


async def steady(config: StackConfig, rate_per_s: float, duration_s: float) -> Measurement:
    """Filings arriving at a steady rate whatever the system's backlog (an open loop, as
    real filers are): the latency each one sees."""
    count = max(1, int(rate_per_s * duration_s))
    # Past the stack's capacity the backlog, and so the last filings' wait, grows with
    # the duration: wait for them rather than fail the phase.
    async with FilingPath(config, count, ack_timeout_s=300 + 4 * duration_s) as path:
        started = time.perf_counter()

        async def at_its_time(i: int) -> float:
            await asyncio.sleep(max(0.0, started + i / rate_per_s - time.perf_counter()))
            return await path.file(i)

        latencies = await asyncio.gather(*(at_its_time(i) for i in range(count)))
        wall = time.perf_counter() - started
    most = max(1, int(rate_per_s))
    name = f"steady {rate_per_s:g}/s for {duration_s:g} s"
    return _measurement(name, list(latencies), most, wall)


@dataclass(frozen=True)
class FanOut:
    obligations: int
    seconds_to_open: float
    obligations_per_s: float
    # None when the worker had not run every new workflow's first task within VISIBLE_WAIT_S.
    seconds_until_all_workflows_visible: float | None


async def fan_out(config: StackConfig, count: int) -> FanOut:
    """Open one quarter for `count` filers: time until the quarter workflow has opened every
    obligation (each one a row, an ObligationOpened event and a started workflow)."""
    department_id = f"fanout-{uuid.uuid4().hex[:8]}"
    department = f"/departments/{department_id}"
    rows = "".join(f"f{n:06d},Filer {n},f{n:06d}@example.org,vat-return\n" for n in range(count))
    async with httpx.AsyncClient(
        base_url=config.url("cycles"), timeout=600, auth=config.machine_http_auth()
    ) as cycles:
        (await cycles.put(department, json={"name": "Fan-out"})).raise_for_status()
        (
            await cycles.put(
                f"{department}/form-types/vat-return",
                content=VAT_RETURN.read_bytes(),
                headers={"content-type": "application/yaml"},
            )
        ).raise_for_status()
        (
            await cycles.post(
                f"{department}/filers/import",
                content="filer_id,name,contact_email,form_type_ids\n" + rows,
                headers={"content-type": "text/csv"},
            )
        ).raise_for_status()
        started = time.perf_counter()
        period = f"{department}/form-types/vat-return/periods"
        (await cycles.post(period, json={"period_key": PERIOD.key})).raise_for_status()
        while True:
            response = await cycles.get(f"{period}/{PERIOD.key}")
            progress = response.json()["progress"] if response.status_code == 200 else None
            if progress is not None and progress["phase"] != "opening":
                break
            await asyncio.sleep(0.5)
        opened_s = time.perf_counter() - started
    client = await connect(config.temporal_settings())
    query = f'CabinetDepartment = "{department_id}"'
    visible_s: float | None = None
    while time.perf_counter() - started < opened_s + VISIBLE_WAIT_S:
        if (await client.count_workflows(query)).count >= count:
            visible_s = round(time.perf_counter() - started, 1)
            break
        await asyncio.sleep(1)
    return FanOut(
        obligations=progress["opened"],
        seconds_to_open=round(opened_s, 1),
        obligations_per_s=round(progress["opened"] / opened_s, 1),
        seconds_until_all_workflows_visible=visible_s,
    )


_COLUMNS = ("name", "count", "concurrency", "wall_s", "throughput_per_s", "p50_ms", "p99_ms")
_HEADINGS = ("measurement", "n", "conc", "wall s", "per s", "p50 ms", "p99 ms")


def _table(results: list[Measurement]) -> str:
    def row(cells: tuple[object, ...]) -> str:
        return f"{cells[0]!s:<40}" + "".join(f"{cell!s:>9}" for cell in cells[1:])

    lines = [row(_HEADINGS), *(row(tuple(getattr(m, c) for c in _COLUMNS)) for m in results)]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def _ratios(raw: Measurement, e2e: Measurement) -> dict[str, float]:
    return {
        "throughput": round(e2e.throughput_per_s / raw.throughput_per_s, 3),
        "p50": round(e2e.p50_ms / raw.p50_ms, 3),
        "p99": round(e2e.p99_ms / raw.p99_ms, 3),
    }


async def run(
    config: StackConfig,
    count: int,
    concurrency: int,
    fan_out_count: int,
    rate_per_s: float,
    steady_s: float,
    pid_files: Mapping[str, Path],
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    """Unloaded (one at a time: the latency of one filing), loaded (throughput), a steady
    arrival rate (latency under a given load), and the time to open a quarter of
    `fan_out_count` obligations. The loaded phases also record the CPU seconds each
    process used, and with `profile_dir` the loaded end to end is profiled."""
    unloaded = min(count, 20)
    raw_one = await raw_baseline(config, unloaded, 1)
    e2e_one = await end_to_end(config, unloaded, 1)
    cpu: dict[str, dict[str, Any]] = {"raw": {}, "end_to_end": {}}
    with cpu_used(pid_files, cpu["raw"]):
        raw = await raw_baseline(config, count, concurrency)
    profiles: dict[str, Any] = {}

    @contextlib.contextmanager
    def watched() -> Iterator[None]:
        with cpu_used(pid_files, cpu["end_to_end"]), contextlib.ExitStack() as also:
            if profile_dir is not None:
                also.enter_context(profiled(_python_pids(pid_files), profile_dir, profiles))
            yield

    e2e = await end_to_end(config, count, concurrency, watched())
    results = [raw_one, e2e_one, raw, e2e]
    failed: list[str] = []  # a later phase that fails does not lose the earlier figures
    if rate_per_s > 0 and steady_s > 0:
        try:
            results.append(await steady(config, rate_per_s, steady_s))
        except Exception as error:
            failed.append(f"steady {rate_per_s:g}/s: {error!r}")
    opening = None
    if fan_out_count:
        try:
            opening = await fan_out(config, fan_out_count)
        except Exception as error:
            failed.append(f"fan-out of {fan_out_count}: {error!r}")
    return {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "setup": {
            "backend": _backend(config),
            "replicas": config.replicas,
            "observability": _observability(config),
        },
        "results": [asdict(m) for m in results],
        "end_to_end_over_raw": {
            "unloaded": _ratios(raw_one, e2e_one),
            "loaded": _ratios(raw, e2e),
        },
        "cpu_seconds_loaded": cpu,
        "profiles_loaded_end_to_end": profiles or None,
        "quarter_fan_out": asdict(opening) if opening else None,
        "failed": failed,
        "table": _table(results)
        + (
            f"\n\nopening a quarter of {opening.obligations} obligations: "
            f"{opening.seconds_to_open} s ({opening.obligations_per_s}/s); every workflow "
            f"visible after {opening.seconds_until_all_workflows_visible} s"
            if opening
            else ""
        )
        + "".join(f"\nFAILED: {failure}" for failure in failed)
        + "".join(f"\n{_cpu_line(name, figures)}" for name, figures in cpu.items()),
    }


def _python_pids(pid_files: Mapping[str, Path]) -> dict[str, int]:
    """The Cabinet processes (not Kafka, Temporal or PostgreSQL) and this one."""
    pids = {name: pid_of(path) for name, path in pid_files.items() if name not in _SERVERS}
    return {BENCH: os.getpid(), **{name: pid for name, pid in pids.items() if pid is not None}}


def _cpu_line(phase: str, figures: dict[str, Any]) -> str:
    spent = ", ".join(f"{name} {s:g}" for name, s in figures["cpu_s"].items())
    return (
        f"CPU s, loaded {phase.replace('_', ' ')} ({figures['wall_s']} s wall, "
        f"{figures['cpu_s_available']} available, {figures['cpu_s_total']} used): {spent}"
    )


# `make receipts-accuracy` writes its figures here: how fast receipts are read (OCR of
# images, PDFs' text layers and scans) by the receipts service's own reading code.
READING_FIGURES = Path("bench-results/receipts-reading.json")


def receipt_reading(path: Path) -> dict[str, Any] | None:
    """The last `make receipts-accuracy` figures, if it has been run."""
    try:
        figures: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return figures


def _reading_table(figures: dict[str, Any]) -> str:
    setup = figures.get("setup", {})
    lines = [
        f"receipts read (make receipts-accuracy, {figures.get('when', '?')}, "
        f"{setup.get('workers', '?')} workers):"
    ]
    for kind, speed in figures.get("speed", {}).items():
        lines.append(
            f"  {kind:5}  {speed['count']:4} read  {speed['per_s']:6.2f}/s  "
            f"p50 {speed['p50_s']:5.2f} s  p99 {speed['p99_s']:5.2f} s"
        )
    return "\n".join(lines)


def _backend(config: StackConfig) -> str:
    return str(getattr(config, "database", "sqlite"))


def _observability(config: StackConfig) -> str:
    return "on" if config.traces_dir is not None else "off"


def bench_stack(state_dir: Path, backend: str, replicas: int, observability: bool) -> Stack:
    """A stack of the bench's own on free ports. Observability off: no spans exported and no
    Temporal SDK metrics; on: every process exports its spans (to a file, standing in for an
    OTLP collector) and the SDK's metrics are served. Prometheus counters count in both."""
    config = StackConfig.on_free_ports(
        state_dir,
        replicas=replicas,
        database=backend,
        postgres_dir=postgres.scratch_directory() if backend == "postgres" else None,
        # Measured as production runs it: every commit flushed to disk, as SQLite's are.
        postgres_durable=True,
        traces_dir=state_dir / "traces" if observability else None,
    )
    if not observability:
        sdk_metrics = {name for name in config.metrics_ports if name.endswith("-temporal-sdk")}
        config = replace(
            config,
            metrics_ports={
                name: port for name, port in config.metrics_ports.items() if name not in sdk_metrics
            },
        )
    return Stack(config)


def stop_bench_stack(stack: Stack) -> None:
    stack.down()
    if stack.config.postgres_dir is not None:
        shutil.rmtree(stack.config.postgres_dir, ignore_errors=True)


def observability_overhead(
    state_dir: Path, config: StackConfig, count: int, concurrency: int, off: Measurement
) -> dict[str, Any]:
    """Loaded end to end again on a second stack with observability on, against `off`
    (this run's loaded figure, measured with it off)."""
    stack = bench_stack(state_dir, _backend(config), config.replicas, observability=True)
    try:
        stack.up()
        on = asyncio.run(end_to_end(stack.config, count, concurrency))
    finally:
        stop_bench_stack(stack)
    return {
        "off": asdict(off),
        "on": asdict(on),
        "throughput_lost": round(1 - on.throughput_per_s / off.throughput_per_s, 3),
    }


_SERVERS = ("kafka", "temporal", "postgres")


def pid_files(stack: Stack) -> dict[str, Path]:
    """Every process of the stack (PostgreSQL's only when it runs it)."""
    names = [*stack.config.app_names, *_SERVERS]
    return {name: stack.pid_file(name) for name in names if stack.pid_file(name).exists()}


def peak_rss(stack: Stack) -> dict[str, float | None]:
    """Each process's peak resident memory so far (the kernel's high-water mark), in MB."""
    return {name: peak_rss_mb(path) for name, path in pid_files(stack).items()}


def _rss_table(rss: dict[str, float | None]) -> str:
    cells = [f"{name} {mb:.0f}" if mb is not None else f"{name} -" for name, mb in rss.items()]
    return "peak RSS, MB: " + ", ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(prog="cabinet-bench", description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=300)
    parser.add_argument("-c", "--concurrency", type=int, default=50)
    parser.add_argument(
        "--fan-out", type=int, default=10_000, help="obligations in the quarter opened (0: skip)"
    )
    parser.add_argument(
        "--rate", type=float, default=20, help="steady arrivals per second (0: skip)"
    )
    parser.add_argument(
        "--steady-seconds", type=float, default=300, help="how long the steady rate lasts"
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="processes of each of intake, receipts, cycles and the worker",
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=os.environ.get("CABINET_DB", "sqlite"),
        help="the services' databases (default: CABINET_DB, else sqlite)",
    )
    parser.add_argument(
        "--overhead",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure loaded end to end again with traces and Temporal SDK metrics on",
    )
    parser.add_argument("--out", type=Path, default=Path("bench-results/bench.json"))
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy profiles of each Python process during loaded end to end, here",
    )
    parser.add_argument(
        "--state-dir", type=Path, help="keep the stack's data and logs here (default: a temp dir)"
    )
    parser.add_argument(
        "--use-running", action="store_true", help="measure the stack `make up` started"
    )
    parser.add_argument(
        "--reading",
        type=Path,
        default=READING_FIGURES,
        help="the receipt reading figures `make receipts-accuracy` wrote, added to the report",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        state_dir = args.state_dir or Path(temporary)
        if args.use_running:
            stack = Stack(StackConfig.from_env())
        else:
            stack = bench_stack(state_dir, args.backend, args.replicas, observability=False)
        try:
            if not args.use_running:
                stack.up()
            report = asyncio.run(
                run(
                    stack.config,
                    args.count,
                    args.concurrency,
                    args.fan_out,
                    args.rate,
                    args.steady_seconds,
                    pid_files(stack),
                    args.profile,
                )
            )
            report["peak_rss_mb"] = peak_rss(stack)
            report["table"] += "\n" + _rss_table(report["peak_rss_mb"])
            if args.overhead and not args.use_running:
                stop_bench_stack(stack)
                loaded = Measurement(**report["results"][3])
                overhead = observability_overhead(
                    state_dir / "observed", stack.config, args.count, args.concurrency, loaded
                )
                report["observability_overhead"] = overhead
                report["table"] += (
                    f"\nwith traces and SDK metrics on: {overhead['on']['throughput_per_s']}/s "
                    f"loaded, {overhead['throughput_lost']:.1%} less than with them off"
                )
            report["receipt_reading"] = reading = receipt_reading(args.reading)
            if reading:
                report["table"] += "\n" + _reading_table(reading)
        finally:
            if not args.use_running:
                stop_bench_stack(stack)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(report["table"])
    print("end-to-end / raw:", json.dumps(report["end_to_end_over_raw"]))
    print("written to", args.out)
    sys.stdout.flush()
    # temporalio/sdk-python#300: the interpreter can abort while finalizing the SDK's
    # runtime after a clean run; everything is written, so leave without finalizers.
    os._exit(0)


if __name__ == "__main__":
    main()
