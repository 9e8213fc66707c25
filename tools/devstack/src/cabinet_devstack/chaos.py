"""`make chaos`: files N returns through intake's API like a real client (each with its own
Idempotency-Key, retried with the same key until a 202) while it kills -9 each component
in turn, then holds Temporal down, then Kafka (and the database, where the stack has one
it can stop); a supervisor restarts any service that exits, as Kubernetes would. Then it
waits for the system to settle and checks that nothing was lost or done twice:

- every filing that got a 202 ends accepted, with exactly one acknowledgement reference;
- its acknowledgement is the same bytes on every fetch;
- one AcknowledgementIssued event id per obligation on Kafka;
- no dead letter waits in any `.dlq` topic.

It prints a timeline and writes JSON. A runner, not a test: its figures (lost, duplicated,
time to recover per fault) are what it reports; it exits 1 when a check fails."""

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from cabinet.obligations.v1 import events_pb2 as obligations_pb2
from cabinet_common.events import Topic, from_kafka
from cabinet_common.messaging.dead_letters import read_all, read_dead_letters, waiting
from cabinet_devstack import kafka, postgres
from cabinet_devstack.demo import seed_department
from cabinet_devstack.load_filings import PERIOD, filing_body, receipt_csv
from cabinet_devstack.stack import BACKENDS, RESTARTABLE, SERVICES, Stack, StackConfig

# Infrastructure the fault schedule restarts itself; apps are restarted by the supervisor.
INFRASTRUCTURE = ("kafka", "temporal")


@dataclass
class Fault:
    name: str
    started_s: float
    ended_s: float = 0.0
    # From the end of the fault until every filing that had its 202 by then was accepted.
    recovered_after_s: float | None = None
    # Filings that had their 202 by the end of the fault and were never accepted.
    stranded: int = 0


@dataclass
class Filing:
    obligation_id: str
    key: str
    attempts: int = 0
    accepted_202_s: float | None = None
    accepted_s: float | None = None


@dataclass
class Timeline:
    started: float = field(default_factory=time.monotonic)
    events: list[tuple[float, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return round(time.monotonic() - self.started, 1)

    def note(self, what: str) -> None:
        with self.lock:
            self.events.append((self.now(), what))
        print(f"[{self.now():7.1f}s] {what}", flush=True)


class Supervisor(threading.Thread):
    """Starts again any service (or the worker) that is not running, like a kubelet."""

    def __init__(self, stack: Stack, timeline: Timeline) -> None:
        super().__init__(daemon=True)
        self.stack = stack
        self.timeline = timeline
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(1.0):
            for name in RESTARTABLE:
                if not self.stack.is_running(name):
                    self.timeline.note(f"supervisor: {name} is not running; starting it")
                    self.stack.start_app(name)


async def file_one(
    intake: httpx.AsyncClient, department_id: str, filing: Filing, i: int, timeline: Timeline
) -> None:
    """POST until a 202, with the same key and body each time, backing off like a client."""
    body = json.dumps(filing_body(i))
    # The same file on every retry.
    receipt = receipt_csv(filing.obligation_id)
    delay = 0.5
    while True:
        filing.attempts += 1
        try:
            response = await intake.post(
                f"/departments/{department_id}/obligations/{filing.obligation_id}/submissions",
                data={"submission": body},
                files=[("receipts", ("r.csv", receipt, "text/csv"))],
                headers={"Idempotency-Key": filing.key},
            )
            if response.status_code == 202:
                filing.accepted_202_s = timeline.now()
                return
            if response.status_code < 500 and response.status_code != 429:
                timeline.note(
                    f"filing {i} refused for good: {response.status_code} {response.text}"
                )
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(random.uniform(delay / 2, delay))
        delay = min(delay * 2, 10.0)


class Release:
    """How many filings may have started: a share more at the start of each fault, so
    filings meet every fault however long the restarts take."""

    def __init__(self, total: int, faults: int) -> None:
        self.total = total
        self.faults = faults
        self.allowed = 0

    def fault_started(self, index: int) -> None:
        self.allowed = max(self.allowed, self.total * (index + 1) // (self.faults + 1))

    def all(self) -> None:
        self.allowed = self.total


async def file_all(
    stack: Stack, department_id: str, filings: list[Filing], release: Release, timeline: Timeline
) -> None:
    async with httpx.AsyncClient(
        base_url=stack.config.url("intake"), timeout=30, auth=stack.config.machine_http_auth()
    ) as intake:
        tasks = []
        for i, filing in enumerate(filings):
            # Polled: the fault thread raises the allowance (an asyncio.Event is not
            # thread-safe).
            while i >= release.allowed:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
            tasks.append(asyncio.create_task(file_one(intake, department_id, filing, i, timeline)))
            await asyncio.sleep(0.05)
        await asyncio.gather(*tasks)
    timeline.note(f"all {len(filings)} filings have had their answer")


def run_faults(
    stack: Stack,
    timeline: Timeline,
    release: Release,
    faults: list[Fault],
    kill_gap_s: float,
    outage_s: float,
    database_outage_s: float,
) -> None:
    def fault(name: str, down: Callable[[], None], up: Callable[[], None], hold_s: float) -> None:
        record = Fault(name, timeline.now())
        release.fault_started(len(faults))
        timeline.note(f"fault: {name}")
        down()
        time.sleep(hold_s)
        up()
        record.ended_s = timeline.now()
        timeline.note(f"fault over: {name}")
        faults.append(record)
        time.sleep(kill_gap_s)

    for name in (*SERVICES, "worker", *INFRASTRUCTURE):
        # An app is started again by the supervisor, as a kubelet would (the fault is over
        # once it is back); Kafka and Temporal by the schedule, a second later.
        infrastructure = name in INFRASTRUCTURE
        up = partial(stack.start, name) if infrastructure else partial(_back, stack, name)
        fault(f"kill -9 {name}", partial(stack.kill, name), up, 1 if infrastructure else 0)
    for name in INFRASTRUCTURE[::-1]:  # Temporal, then Kafka
        down = partial(stack.stop_app, name)
        fault(f"{name} down {outage_s:g}s", down, partial(stack.start, name), outage_s)
    if database_outage_s and stack.config.database == "postgres":
        fault(
            f"database down {database_outage_s:g}s",
            stack.stop_database,
            stack.start_postgres,
            database_outage_s,
        )
    elif database_outage_s:
        timeline.note("database outage skipped: this stack's databases are SQLite files")


def _back(stack: Stack, name: str) -> None:
    """Until the supervisor has started the app again (and a service answers /readyz)."""
    while not stack.is_running(name):
        time.sleep(0.2)
    if name in SERVICES:
        stack.wait_ready(name, timeout_s=300)


async def watch_acceptances(
    stack: Stack,
    department_id: str,
    filings: list[Filing],
    filing: "asyncio.Task[None]",
    timeline: Timeline,
    settle_timeout_s: float,
) -> None:
    """Note when each obligation is first seen accepted, from the start, until every filing
    has had its answer and every 202 is accepted, or settle_timeout_s after the last
    answer."""
    by_id = {f.obligation_id: f for f in filings}
    deadline: float | None = None
    async with httpx.AsyncClient(
        base_url=stack.config.url("cycles"), timeout=30, auth=stack.config.machine_http_auth()
    ) as cycles:
        while deadline is None or time.monotonic() < deadline:
            try:
                response = await cycles.get(
                    f"/departments/{department_id}/obligations",
                    params={"period_key": PERIOD.key, "status": "accepted", "limit": 5000},
                )
                if response.status_code == 200:
                    for obligation in response.json():
                        found = by_id.get(obligation["obligation_id"])
                        if found is not None and found.accepted_s is None:
                            found.accepted_s = timeline.now()
            except httpx.TransportError:
                pass
            if filing.done():
                deadline = deadline or time.monotonic() + settle_timeout_s
                if all(f.accepted_s is not None for f in filings if f.accepted_202_s is not None):
                    return
            await asyncio.sleep(2)


def recovery_times(faults: list[Fault], filings: list[Filing]) -> None:
    for record in faults:
        backlog = [
            f.accepted_s
            for f in filings
            if f.accepted_202_s is not None and f.accepted_202_s <= record.ended_s
        ]
        record.stranded = sum(at is None for at in backlog)
        if backlog and not record.stranded:
            last = max(at for at in backlog if at is not None)
            record.recovered_after_s = round(max(0.0, last - record.ended_s), 1)


async def check(stack: Stack, department_id: str, filings: list[Filing]) -> dict[str, Any]:
    given_202 = [f for f in filings if f.accepted_202_s is not None]
    lost = [f.obligation_id for f in given_202 if f.accepted_s is None]
    events: dict[str, set[str]] = defaultdict(set)
    references: dict[str, set[str]] = defaultdict(set)
    for record in await read_all(
        kafka.settings_for(stack.config.kafka_bootstrap),
        [Topic.ACKNOWLEDGEMENT_ISSUED],
    ):
        event = from_kafka(record.key, record.value, list(record.headers))
        issued = event.payload_as(obligations_pb2.AcknowledgementIssued)
        if issued.obligation.department_id == department_id:
            events[event.key].add(event.id)
            references[event.key].add(issued.reference)
    unacknowledged = [f.obligation_id for f in given_202 if not events[f.obligation_id]]
    duplicated = [f.obligation_id for f in given_202 if len(events[f.obligation_id]) > 1]
    not_one_reference = [
        f.obligation_id for f in given_202 if len(references[f.obligation_id]) != 1
    ]
    differing: list[str] = []
    async with httpx.AsyncClient(
        base_url=stack.config.url("cycles"), timeout=30, auth=stack.config.machine_http_auth()
    ) as cycles:
        for filing in given_202:
            url = f"/departments/{department_id}/obligations/{filing.obligation_id}/acknowledgement"
            fetched = [(await cycles.get(url)) for _ in range(2)]
            if (
                any(r.status_code != 200 for r in fetched)
                or fetched[0].content != fetched[1].content
            ):
                differing.append(filing.obligation_id)
                continue
            reference = fetched[0].json().get("reference")
            if references[filing.obligation_id] != {reference}:
                not_one_reference.append(filing.obligation_id)
    dead = waiting(await read_dead_letters(kafka.settings_for(stack.config.kafka_bootstrap)))
    return {
        "filed": len(filings),
        "given_202": len(given_202),
        "never_given_202": len(filings) - len(given_202),
        "lost": len(lost),
        "lost_ids": lost[:50],
        "no_acknowledgement_event": len(unacknowledged),
        "duplicated_acknowledgement_events": len(duplicated),
        "duplicated_ids": duplicated[:50],
        "not_exactly_one_reference": len(set(not_one_reference)),
        "acknowledgement_bytes_differ": len(differing),
        "waiting_dead_letters": [f"{d.ref} {d.reason}" for d in dead][:50],
        "client_attempts": sum(f.attempts for f in filings),
    }


def passed(result: dict[str, Any]) -> bool:
    return (
        result["never_given_202"] == 0
        and result["lost"] == 0
        and result["no_acknowledgement_event"] == 0
        and result["duplicated_acknowledgement_events"] == 0
        and result["not_exactly_one_reference"] == 0
        and result["acknowledgement_bytes_differ"] == 0
        and not result["waiting_dead_letters"]
    )


async def run(args: argparse.Namespace, stack: Stack, timeline: Timeline) -> dict[str, Any]:
    department_id = f"chaos-{uuid.uuid4().hex[:8]}"
    filers = {f"filer-{i:05d}": f"Filer {i}" for i in range(args.filings)}
    timeline.note(f"seeding {department_id} with {args.filings} filers")
    obligations = await asyncio.to_thread(
        seed_department,
        stack.config.url("cycles"),
        stack.config.url("intake"),
        department_id,
        "vat-return",
        filers,
        PERIOD.key,
        stack.config.machine_auth(),
        max(120.0, args.filings / 2),
    )
    filings = [Filing(o["obligation_id"], str(uuid.uuid4())) for o in obligations]
    supervisor = Supervisor(stack, timeline)
    supervisor.start()
    faults: list[Fault] = []
    # Every app and Kafka and Temporal killed; Temporal and Kafka held down; the database.
    release = Release(len(filings), len(RESTARTABLE) + 2 * len(INFRASTRUCTURE) + 1)
    faults_done = asyncio.create_task(
        asyncio.to_thread(
            run_faults,
            stack,
            timeline,
            release,
            faults,
            args.kill_gap_s,
            args.outage_s,
            args.database_outage_s,
        )
    )
    filing = asyncio.create_task(file_all(stack, department_id, filings, release, timeline))
    watching = asyncio.create_task(
        watch_acceptances(stack, department_id, filings, filing, timeline, args.settle_timeout_s)
    )
    await faults_done
    release.all()
    timeline.note("faults over; waiting for the system to settle")
    await watching
    await filing
    supervisor.stopping.set()
    recovery_times(faults, filings)
    timeline.note("settled; checking")
    result = await check(stack, department_id, filings)
    return {
        "filings": args.filings,
        "backend": args.backend,
        "outage_s": args.outage_s,
        "database_outage_s": args.database_outage_s,
        "faults": [asdict(f) for f in faults],
        "checks": result,
        "passed": passed(result),
        "timeline": timeline.events,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="cabinet-chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=1000)
    parser.add_argument("--outage-s", type=float, default=180, help="Temporal, then Kafka")
    parser.add_argument("--database-outage-s", type=float, default=60)
    parser.add_argument("--kill-gap-s", type=float, default=10, help="between two kills")
    parser.add_argument("--settle-timeout-s", type=float, default=1200)
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=os.environ.get("CABINET_DB", "postgres"),
        help="the services' databases (default CABINET_DB, else postgres: what production "
        "runs, and the only one with a server to hold down)",
    )
    parser.add_argument("--out", type=Path, default=Path("chaos-results/chaos.json"))
    args = parser.parse_args()
    timeline = Timeline()
    state_dir = Path(tempfile.mkdtemp(prefix="cabinet-chaos-"))
    postgres_dir = postgres.scratch_directory() if args.backend == "postgres" else None
    stack = Stack(
        StackConfig.on_free_ports(
            state_dir, fast_group_join=True, database=args.backend, postgres_dir=postgres_dir
        )
    )
    timeline.note(f"starting a stack in {state_dir}")
    try:
        stack.up()
        result = asyncio.run(run(args, stack, timeline))
    finally:
        stack.down()
        if postgres_dir is not None:
            shutil.rmtree(postgres_dir, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(_summary(result))
    print(f"wrote {args.out}; logs in {state_dir / 'logs'}")
    sys.stdout.flush()
    sys.exit(0 if result["passed"] else 1)


def _summary(result: dict[str, Any]) -> str:
    checks = result["checks"]
    lines = [
        "",
        f"filings {checks['filed']}: 202 {checks['given_202']}, lost {checks['lost']}, "
        f"not acknowledged {checks['no_acknowledgement_event']}, "
        f"duplicated {checks['duplicated_acknowledgement_events']}, "
        f"references not one {checks['not_exactly_one_reference']}, "
        f"bytes differ {checks['acknowledgement_bytes_differ']}, "
        f"dead letters waiting {len(checks['waiting_dead_letters'])}",
        "fault                         ended at   recovered after",
    ]
    for f in result["faults"]:
        recovered = (
            f"never: {f['stranded']} filings still waiting"
            if f["stranded"]
            else "no filing was waiting"
            if f["recovered_after_s"] is None
            else f"{f['recovered_after_s']}s"
        )
        lines.append(f"{f['name']:<30}{f['ended_s']:>7}s   {recovered}")
    lines.append("PASSED" if result["passed"] else "FAILED")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
