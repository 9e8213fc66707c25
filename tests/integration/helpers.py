"""Driving and observing the running stack from tests."""

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from cabinet_devstack import kafka
from tests import receipt_files

T = TypeVar("T")


def unique_file(label: str) -> bytes:
    """A real one-page PDF no other test has filed (duplicates are checked per department;
    intake takes only files that open)."""
    return receipt_files.pdf(label)


# Answers every question of examples/form-types/vat-return.yaml, keeping its rules.
VAT_ANSWERS = {
    "box1": "100",
    "box2": "20",
    "box3": "120",
    "box4": "50",
    "box5": "70",
    "box6": "1000",
    "box7": "500",
    "box8": "0",
    "box9": "0",
    "declaration": "yes",
}


def receipt_line(day: str, pence: int, payee: str = "Stationers Ltd") -> dict[str, Any]:
    return {
        "date": day,
        "amount_pence": pence,
        "currency": "GBP",
        "payee": payee,
        "category": "office",
    }


async def submit(
    intake: httpx.AsyncClient,
    department_id: str,
    obligation_id: str,
    lines: list[dict[str, Any]],
    files: list[bytes],
    key: str | None = None,
    declared_total_pence: int | None = None,
    answers: dict[str, str] | None = None,
    file_names: list[str] | None = None,
) -> httpx.Response:
    body = {
        "answers": VAT_ANSWERS if answers is None else answers,
        "declared_total_pence": (
            sum(line["amount_pence"] for line in lines)
            if declared_total_pence is None
            else declared_total_pence
        ),
        "receipts": lines,
    }
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}
    return await intake.post(
        f"/departments/{department_id}/obligations/{obligation_id}/submissions",
        data={"submission": json.dumps(body)},
        files=[
            ("receipts", (name, content, "application/pdf"))
            for name, content in zip(
                file_names or [f"receipt-{i}.pdf" for i in range(len(files))], files, strict=True
            )
        ],
        headers=headers,
    )


async def eventually(
    probe: Callable[[], Awaitable[T | None]], timeout_s: float = 45, what: str = "condition"
) -> T:
    """Poll until probe returns something other than None."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = await probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.2)


def latest_history_entry(obligation: dict[str, Any]) -> dict[str, Any]:
    """The obligation's newest history entry, or an empty one before its first status change
    has come back over Kafka (so a probe keeps polling instead of failing)."""
    history: list[dict[str, Any]] = obligation["history"]
    return history[-1] if history else {"actor": None, "detail": "", "reasons": []}


async def obligation_in_status(
    cycles: httpx.AsyncClient,
    department_id: str,
    obligation_id: str,
    status: str,
    after_version: int = 0,
    timeout_s: float = 45,
) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        response = await cycles.get(f"/departments/{department_id}/obligations/{obligation_id}")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body if body["status"] == status else None

    return await eventually(
        probe, timeout_s=timeout_s, what=f"obligation {obligation_id} to be {status}"
    )


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on the topic right now, from the beginning."""
    consumer = AIOKafkaConsumer(
        **kafka.options_for(bootstrap), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p) for p in range(await partition_count(bootstrap, topic))
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def partition_count(bootstrap: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(**kafka.options_for(bootstrap))
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
        return len(described["partitions"])
    finally:
        await admin.close()


HEADER = "filer_id,name,contact_email,form_type_ids\n"


async def new_department(cycles: httpx.AsyncClient) -> str:
    department_id = f"reg-{uuid.uuid4().hex[:10]}"
    response = await cycles.put(f"/departments/{department_id}", json={"name": "Register"})
    response.raise_for_status()
    return department_id


async def import_filers(cycles: httpx.AsyncClient, department_id: str, csv: str) -> httpx.Response:
    return await cycles.post(
        f"/departments/{department_id}/filers/import",
        content=csv,
        headers={"content-type": "text/csv"},
    )
