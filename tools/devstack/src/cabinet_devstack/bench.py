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
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer

from cabinet_common.events import Topic, from_kafka
from cabinet_common.form_types.periods import quarter_containing
from cabinet_common.settings import TemporalSettings
from cabinet_common.temporal import connect
from cabinet_devstack.baseline import BaselineWorkflow, echo
from cabinet_devstack.demo import seed_department
from cabinet_devstack.stack import REPO_ROOT, Stack, StackConfig

PERIOD = quarter_containing(date.today())
VISIBLE_WAIT_S = 900
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
        PERIOD.key,
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
                    # Every question of the VAT example answered, its rules kept.
                    "answers": {
                        **{f"box{n}": "0" for n in range(1, 10)},
                        "declaration": "yes",
                    },
                    "declared_total_pence": 1234,
                    "receipts": [
                        {
                            "date": PERIOD.start.isoformat(),
                            "amount_pence": 1234,
                            "payee": f"Payee {i}",  # else a possible duplicate
                            "category": "x",
                        }
                    ],
                }
                started = time.perf_counter()
                response = await intake.post(
                    f"/departments/{department_id}/obligations/{obligation_id}/submissions",
                    data={"submission": json.dumps(body)},
                    # Intake takes only files that open: a one-row CSV, unique per filing.
                    files=[("receipts", ("r.csv", f"r,{uuid.uuid4()}\n".encode(), "text/csv"))],
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
    async with httpx.AsyncClient(base_url=config.url("cycles"), timeout=600) as cycles:
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
    client = await connect(TemporalSettings(temporal_address=config.temporal_address))
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
    config: StackConfig, count: int, concurrency: int, fan_out_count: int
) -> dict[str, object]:
    """Unloaded (one at a time: the latency of one filing), loaded (throughput), and the
    time to open a quarter of `fan_out_count` obligations."""
    unloaded = min(count, 20)
    raw_one = await raw_baseline(config, unloaded, 1)
    e2e_one = await end_to_end(config, unloaded, 1)
    raw = await raw_baseline(config, count, concurrency)
    e2e = await end_to_end(config, count, concurrency)
    results = [raw_one, e2e_one, raw, e2e]
    opening = await fan_out(config, fan_out_count) if fan_out_count else None
    return {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "results": [asdict(m) for m in results],
        "end_to_end_over_raw": {
            "unloaded": _ratios(raw_one, e2e_one),
            "loaded": _ratios(raw, e2e),
        },
        "quarter_fan_out": asdict(opening) if opening else None,
        "table": _table(results)
        + (
            f"\n\nopening a quarter of {opening.obligations} obligations: "
            f"{opening.seconds_to_open} s ({opening.obligations_per_s}/s); every workflow "
            f"visible after {opening.seconds_until_all_workflows_visible} s"
            if opening
            else ""
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="cabinet-bench", description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=300)
    parser.add_argument("-c", "--concurrency", type=int, default=50)
    parser.add_argument(
        "--fan-out", type=int, default=10_000, help="obligations in the quarter opened (0: skip)"
    )
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
        try:
            if not args.use_running:
                stack.up()
            report = asyncio.run(run(stack.config, args.count, args.concurrency, args.fan_out))
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
