"""`make bench`: in one run, against the same Temporal server, a raw baseline (a trivial
one-activity workflow) and Cabinet's end-to-end path (submit over HTTP -> FormSubmitted ->
receipts checked -> workflow -> AcknowledgementIssued on Kafka) for N submissions.
Writes JSON and prints a table. A benchmark, never a test: nothing here asserts a speed."""

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer

from cabinet_common.events import Topic, from_kafka
from cabinet_common.settings import TemporalSettings
from cabinet_common.temporal import connect
from cabinet_devstack.baseline import BaselineWorkflow, echo
from cabinet_devstack.demo import seed_department
from cabinet_devstack.stack import Stack, StackConfig


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

    client = await connect(TemporalSettings(temporal_address=config.temporal_address))
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


async def end_to_end(config: StackConfig, count: int, concurrency: int) -> Measurement:
    department_id = f"bench-{uuid.uuid4().hex[:8]}"
    filers = {f"filer-{i:05d}": f"Filer {i}" for i in range(count)}
    obligations = await asyncio.to_thread(
        seed_department,
        config.url("cycles"),
        config.url("intake"),
        department_id,
        "vat-return",
        filers,
        "2026-Q3",
        max(60.0, count / 5),
    )
    acknowledged = {o["obligation_id"]: asyncio.Event() for o in obligations}
    consumer = AIOKafkaConsumer(
        Topic.ACKNOWLEDGEMENT_ISSUED,
        bootstrap_servers=config.kafka_bootstrap,
        group_id=f"bench-{department_id}",
        auto_offset_reset="latest",
    )
    await consumer.start()
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=200)

    async def collect() -> None:
        while True:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    event = from_kafka(record.key, record.value, list(record.headers))
                    if event.key in acknowledged:
                        acknowledged[event.key].set()

    collector = asyncio.create_task(collect())
    try:
        async with httpx.AsyncClient(base_url=config.url("intake"), timeout=60) as intake:

            async def one(i: int) -> float:
                """One filing, from the POST until its acknowledgement is on Kafka."""
                obligation_id = obligations[i]["obligation_id"]
                body = {
                    "answers": {"box1": "100"},
                    "declared_total_pence": 1234,
                    "receipts": [
                        {"date": "2026-08-01", "amount_pence": 1234, "payee": "B", "category": "x"}
                    ],
                }
                started = time.perf_counter()
                response = await intake.post(
                    f"/departments/{department_id}/obligations/{obligation_id}/submissions",
                    data={"submission": json.dumps(body)},
                    files=[("receipts", ("r.pdf", uuid.uuid4().bytes, "application/pdf"))],
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                )
                response.raise_for_status()
                await asyncio.wait_for(acknowledged[obligation_id].wait(), timeout=300)
                return time.perf_counter() - started

            latencies, wall = await _bounded(count, concurrency, one)
    finally:
        collector.cancel()
        await consumer.stop()
    return _measurement("end to end: submit -> acknowledgement", latencies, concurrency, wall)


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


async def run(config: StackConfig, count: int, concurrency: int) -> dict[str, object]:
    """Unloaded (one at a time: the latency of one filing) and loaded (throughput)."""
    unloaded = min(count, 20)
    raw_one = await raw_baseline(config, unloaded, 1)
    e2e_one = await end_to_end(config, unloaded, 1)
    raw = await raw_baseline(config, count, concurrency)
    e2e = await end_to_end(config, count, concurrency)
    results = [raw_one, e2e_one, raw, e2e]
    return {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "results": [asdict(m) for m in results],
        "end_to_end_over_raw": {
            "unloaded": _ratios(raw_one, e2e_one),
            "loaded": _ratios(raw, e2e),
        },
        "table": _table(results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="cabinet-bench", description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=300)
    parser.add_argument("-c", "--concurrency", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path("bench-results/bench.json"))
    parser.add_argument(
        "--use-running", action="store_true", help="measure the stack `make up` started"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state_dir:
        if args.use_running:
            stack = Stack(StackConfig.from_env())
        else:
            stack = Stack(StackConfig.on_free_ports(Path(state_dir)))
            stack.up()
        try:
            report = asyncio.run(run(stack.config, args.count, args.concurrency))
        finally:
            if not args.use_running:
                stack.down()
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
