"""Puts a filing in the state issue 10 found after a long Temporal outage: its
ReceiptsChecked went to the dead-letter topic of the cycles consumer, which committed past
it, so nothing acknowledges the filing until an operator re-drives it."""

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from cabinet_common.events import Topic
from cabinet_devstack import kafka
from cabinet_devstack.stack import Stack
from tests.integration.conftest import Department
from tests.integration.helpers import eventually, read_topic, receipt_line, submit, unique_file

CYCLES_GROUP = "cabinet-cycles"


async def strand_a_filing(stack: Stack, department: Department, filer_id: str) -> str:
    """Files for the filer with cycles stopped, dead-letters the filing's ReceiptsChecked
    for cycles and starts cycles again. Returns the obligation id."""
    bootstrap = stack.config.kafka_bootstrap
    obligation_id = department.obligation_id(filer_id)
    stack.stop_app("cycles")
    try:
        async with httpx.AsyncClient(
            base_url=stack.config.url("intake"), timeout=30, headers=stack.config.machine_auth()
        ) as intake:
            response = await submit(
                intake,
                department.id,
                obligation_id,
                [receipt_line(department.day(3), 4321)],
                [unique_file(f"stranded {obligation_id}")],
            )
        assert response.status_code == 202, response.text

        async def checked() -> ConsumerRecord[bytes, bytes] | None:
            records = await read_topic(bootstrap, Topic.RECEIPTS_CHECKED)
            return next((r for r in records if r.key == obligation_id.encode()), None)

        record = await eventually(checked, what="the filing's ReceiptsChecked")
        await _dead_letter(bootstrap, record)
    finally:
        stack.start_app("cycles")
        stack.wait_ready("cycles")
    return obligation_id


async def _dead_letter(bootstrap: str, record: ConsumerRecord[bytes, bytes]) -> None:
    """What the cycles consumer did: the record to its .dlq, the offset committed past it."""
    producer = AIOKafkaProducer(**kafka.options_for(bootstrap))
    await producer.start()
    try:
        await producer.send_and_wait(
            Topic(record.topic).dead_letter,
            key=record.key,
            value=record.value,
            headers=[
                *record.headers,
                ("dlq_reason", b"failed 6 times: RPCError('tcp connect error')"),
                ("dlq_consumer", CYCLES_GROUP.encode()),
                ("dlq_original", f"{record.topic}/{record.partition}/{record.offset}".encode()),
            ],
        )
    finally:
        await producer.stop()
    partition = TopicPartition(record.topic, record.partition)
    consumer = AIOKafkaConsumer(
        **kafka.options_for(bootstrap), group_id=CYCLES_GROUP, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([partition])
        # Cycles was stopped before the record was written, so it is the next one it reads.
        assert (await consumer.committed(partition) or 0) == record.offset
        await consumer.commit({partition: record.offset + 1})
    finally:
        await consumer.stop()
