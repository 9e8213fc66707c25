"""Ordering races are waits, not poison: a FormSubmitted that names a form type version
receipts has not learnt yet waits (it is not dead-lettered) and is checked once the
FormTypePublished of that version arrives."""

import uuid
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer

from cabinet.common.v1 import types_pb2
from cabinet.receipts.v1 import events_pb2 as receipts_pb2
from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_common.events import (
    Event,
    InvalidEvent,
    Topic,
    from_kafka,
    owner_source,
    to_kafka,
)
from cabinet_devstack import kafka
from cabinet_devstack.stack import REPO_ROOT, Stack
from tests.integration.conftest import Department
from tests.integration.helpers import eventually, read_topic

VAT_RETURN = Path(REPO_ROOT) / "examples" / "form-types" / "vat-return.yaml"


async def _checked(stack: Stack, submission_id: str) -> receipts_pb2.ReceiptsChecked | None:
    for record in await read_topic(stack.config.kafka_bootstrap, Topic.RECEIPTS_CHECKED):
        try:
            event = from_kafka(record.key, record.value, list(record.headers))
        except InvalidEvent:
            continue  # another test's poison message on the shared topic
        checked = event.payload_as(receipts_pb2.ReceiptsChecked)
        if checked.submission_id == submission_id:
            return checked
    return None


async def test_a_submission_for_a_form_type_version_not_yet_known_waits_for_it(
    stack: Stack, department: Department, cycles: httpx.AsyncClient
) -> None:
    obligation = department.obligations["filer-a"]
    submission_id = str(uuid.uuid4())
    # Version 2 of the form type does not exist yet: its FormSubmitted overtakes it.
    submitted = submissions_pb2.FormSubmitted(
        obligation=types_pb2.ObligationRef(
            obligation_id=obligation["obligation_id"],
            department_id=department.id,
            form_type_id="vat-return",
            filer_id="filer-a",
            period_key=department.period.key,
        ),
        submission_id=submission_id,
        version=1,
        period_start=department.period.start.isoformat(),
        period_end=department.period.end.isoformat(),
        answers={},
        declared_total_pence=0,
        submission_sha256="ab" * 32,
        form_type_version=2,
    )
    record = to_kafka(
        Event(
            payload=submitted,
            key=obligation["obligation_id"],
            source=owner_source(Topic.FORM_SUBMITTED),
        )
    )
    producer = AIOKafkaProducer(**kafka.options_for(stack.config.kafka_bootstrap))
    await producer.start()
    try:
        await producer.send_and_wait(
            Topic.FORM_SUBMITTED, key=record.key, value=record.value, headers=record.headers
        )
    finally:
        await producer.stop()

    # Longer than the old six attempts (about 15 s) took to dead-letter it.
    async def dead_lettered() -> bool | None:
        records = await read_topic(stack.config.kafka_bootstrap, Topic.FORM_SUBMITTED.dead_letter)
        return True if any(r.key == record.key for r in records) else None

    try:
        await eventually(dead_lettered, timeout_s=25, what="a dead letter")
        raise AssertionError("the early FormSubmitted was dead-lettered")
    except AssertionError as error:
        if "timed out" not in str(error):
            raise
    assert await _checked(stack, submission_id) is None

    definition = VAT_RETURN.read_text().replace("name: VAT return", "name: VAT return (v2)", 1)
    published = await cycles.put(
        f"/departments/{department.id}/form-types/vat-return",
        content=definition.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert published.status_code in (200, 201), published.text
    assert published.json()["version"] == 2

    async def checked() -> receipts_pb2.ReceiptsChecked | None:
        return await _checked(stack, submission_id)

    assert await eventually(checked, what="the waiting submission to be checked")
