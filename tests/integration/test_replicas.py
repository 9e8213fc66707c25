"""Two replicas each of intake, receipts and cycles and two workers, on one database server
and one Kafka: each outbox row reaches Kafka once, the replicas of a service share the
partitions of its topics, concurrent requests with one Idempotency-Key make one submission,
and every filing is acknowledged exactly once.

This module starts a stack of its own (the session's stack runs one of each)."""

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date
from functools import partial

import httpx
import pytest

from cabinet_common.events import Topic
from cabinet_devstack.demo import seed_department
from cabinet_devstack.stack import Stack
from tests.integration.conftest import CURRENT_QUARTER, stack_of_its_own
from tests.integration.helpers import (
    eventually,
    obligation_in_status,
    partition_count,
    read_topic,
    receipt_line,
    submit,
    unique_file,
)

pytestmark = pytest.mark.integration

FILERS = 12
GROUPS = {"intake": "cabinet-intake", "receipts": "cabinet-receipts", "cycles": "cabinet-cycles"}


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with stack_of_its_own(tmp_path_factory, "replica-stack", replicas=2) as running:
        yield running


def _assignments(stack: Stack, name: str) -> set[str] | None:
    """The partitions the replica was last assigned, from its log."""
    last = None
    for line in stack.log_file(name).read_text(errors="replace").splitlines():
        if '"partitions assigned"' in line:
            last = set(json.loads(line)["partitions"])
    return last


async def test_replicas_share_partitions_publish_once_and_acknowledge_once(
    replicated: Stack,
) -> None:
    config = replicated.config
    department_id = f"dept-{uuid.uuid4().hex[:10]}"
    filers = {f"filer-{n:02d}": f"Filer {n}" for n in range(FILERS)}
    obligations = await asyncio.to_thread(
        seed_department,
        config.url("cycles"),
        config.url("intake"),
        department_id,
        "vat-return",
        filers,
        CURRENT_QUARTER.key,
        config.machine_auth(),
    )
    ids = [str(o["obligation_id"]) for o in obligations]
    day = min(CURRENT_QUARTER.start, date.today()).isoformat()

    # Each filing sent three times at once with one Idempotency-Key, to both intake replicas.
    intakes = [
        httpx.AsyncClient(base_url=url, timeout=60, headers=config.machine_auth())
        for url in config.urls("intake")
    ]
    try:

        async def file(n: int, obligation_id: str) -> set[str]:
            key, document = str(uuid.uuid4()), unique_file(f"replica filing {obligation_id}")
            responses = await asyncio.gather(
                *(
                    submit(
                        intakes[(n + attempt) % 2],
                        department_id,
                        obligation_id,
                        [receipt_line(day, 100 + n)],
                        [document],
                        key=key,
                    )
                    for attempt in range(3)
                )
            )
            assert all(r.status_code == 202 for r in responses), [r.text for r in responses]
            return {r.json()["submission_id"] for r in responses}

        submissions = await asyncio.gather(*(file(n, o) for n, o in enumerate(ids)))
    finally:
        for client in intakes:
            await client.aclose()
    assert all(len(one) == 1 for one in submissions)  # one submission per key

    async with httpx.AsyncClient(
        base_url=config.url("cycles.2"), timeout=30, headers=config.machine_auth()
    ) as cycles:
        for obligation_id in ids:
            await obligation_in_status(cycles, department_id, obligation_id, "accepted")

    bootstrap = config.kafka_bootstrap

    async def event_ids(topic: Topic, count: int) -> Counter[bytes] | None:
        records = [r for r in await read_topic(bootstrap, topic) if r.key.decode() in ids]
        found = Counter(dict(r.headers)["ce_id"] for r in records)
        return found if len(records) >= count else None

    # Each from an outbox of a replicated service (cycles, intake, receipts), then what the
    # workflows issue: exactly one record per event, one event per filing.
    for topic in (
        Topic.OBLIGATION_OPENED,
        Topic.FORM_SUBMITTED,
        Topic.RECEIPTS_CHECKED,
        Topic.ACKNOWLEDGEMENT_ISSUED,
    ):
        found = await eventually(partial(event_ids, topic, FILERS), what=f"{topic} records")
        assert len(found) == FILERS, topic
        assert set(found.values()) == {1}, f"{topic}: some event published more than once"

    # The two replicas of each service split its topics' partitions between them.
    for service, group in GROUPS.items():
        first, second = (_assignments(replicated, n) for n in config.replica_names(service))
        assert first and second, f"{group}: a replica has no partitions"
        assert not first & second, f"{group}: a partition assigned twice"
        topics = {p.split("'")[1] for p in first | second}
        total = sum([await partition_count(bootstrap, t) for t in topics])
        assert len(first | second) == total, f"{group}: partitions left unassigned"
