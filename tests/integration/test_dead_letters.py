"""Dead letters are kept for 30 days and can be re-driven from the command line: the
record goes back to its topic with its original headers and event id, the filing it
stranded is acknowledged, and re-driving it again changes nothing. An outbox row Kafka
refuses for good is set aside (its notice on the dead-letter topic, never re-drivable) and
the rows after it flow."""

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from cabinet.common.v1 import types_pb2
from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_common.database import create_engine, session_factory
from cabinet_common.events import Event, Topic, owner_source
from cabinet_common.messaging.acls import OPERATOR
from cabinet_common.messaging.kafka import REDRIVES_TOPIC, ensure_topics
from cabinet_common.messaging.outbox import add_to_outbox
from cabinet_devstack import kafka
from cabinet_devstack.stack import Stack
from tests.integration.conftest import Department
from tests.integration.helpers import (
    eventually,
    obligation_in_status,
    read_topic,
    receipt_line,
    submit,
    unique_file,
)
from tests.integration.stranding import strand_a_filing

THIRTY_DAYS_MS = str(30 * 24 * 3600 * 1000)


def run_dlq(stack: Stack, *args: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(
        [str(Path(sys.executable).parent / "cabinet-dlq"), *args],
        env={
            **os.environ,
            "CABINET_KAFKA_BOOTSTRAP_SERVERS": stack.config.kafka_bootstrap,
            **kafka.client_env(stack.config.state_dir, OPERATOR),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def cabinet_dlq(stack: Stack, *args: str) -> str:
    result = run_dlq(stack, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


async def _retention(admin: AIOKafkaAdminClient, topic: str) -> str:
    [response] = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": None})]
    )
    [(_, _, _, _, entries)] = response.resources
    return str(next(e[1] for e in entries if e[0] == "retention.ms"))


async def test_dead_letter_topics_keep_records_thirty_days_and_existing_ones_are_put_right(
    stack: Stack,
) -> None:
    admin = AIOKafkaAdminClient(**kafka.options_for(stack.config.kafka_bootstrap))
    await admin.start()
    try:
        dead_letters = Topic.FORM_SUBMITTED.dead_letter
        assert await _retention(admin, dead_letters) == THIRTY_DAYS_MS
        assert await _retention(admin, REDRIVES_TOPIC) == THIRTY_DAYS_MS
        # A topic created with the broker's default (or changed by hand) is put right.
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, dead_letters, {"retention.ms": "60000"})]
        )
        assert await _retention(admin, dead_letters) == "60000"
        await ensure_topics(kafka.settings_for(stack.config.kafka_bootstrap), create=True)
        assert await _retention(admin, dead_letters) == THIRTY_DAYS_MS
    finally:
        await admin.close()


async def test_a_stranded_filing_is_acknowledged_once_its_dead_letter_is_re_driven(
    stack: Stack, department: Department, cycles: httpx.AsyncClient
) -> None:
    obligation_id = await strand_a_filing(stack, department, "filer-a")
    # Cycles passed the submission on, but the check result never reached the workflow.
    await obligation_in_status(cycles, department.id, obligation_id, "submitted")

    dlq = Topic.RECEIPTS_CHECKED.dead_letter
    listed = [
        line.split("\t")
        for line in (
            await asyncio.to_thread(cabinet_dlq, stack, "list", "--topic", dlq)
        ).splitlines()
    ]
    [letter] = [row for row in listed if obligation_id in cabinet_dlq(stack, "show", row[0])]
    ref, _age, state, consumer, event_type, event_id, reason = letter
    assert (state, consumer, event_type) == (
        "waiting",
        "cabinet-cycles",
        "cabinet.receipts.v1.ReceiptsChecked",
    )
    assert "tcp connect error" in reason

    printed = await asyncio.to_thread(cabinet_dlq, stack, "redrive", ref)
    assert (
        printed.strip() == f"re-driven {ref} -> {Topic.RECEIPTS_CHECKED.value} (ce_id {event_id})"
    )
    await obligation_in_status(cycles, department.id, obligation_id, "accepted")
    url = f"/departments/{department.id}/obligations/{obligation_id}/acknowledgement"
    first = await cycles.get(url)
    assert first.status_code == 200

    # Back on its topic as it was first sent: same key, value and headers, so the same ce_id.
    originals = [
        r
        for r in await read_topic(stack.config.kafka_bootstrap, Topic.RECEIPTS_CHECKED)
        if dict(r.headers)["ce_id"].decode() == event_id
    ]
    assert len(originals) == 2
    assert originals[0].key == originals[1].key
    assert originals[0].value == originals[1].value
    assert list(originals[0].headers) == list(originals[1].headers)

    # No longer waiting; listed as re-driven with --all.
    assert ref not in cabinet_dlq(stack, "list", "--topic", dlq)
    assert f"{ref}\t" in cabinet_dlq(stack, "list", "--all", "--topic", dlq)

    # Re-driving it again is harmless: consumers drop the repeated event id.
    cabinet_dlq(stack, "redrive", ref)

    async def third_copy_read() -> bool | None:
        records = await read_topic(stack.config.kafka_bootstrap, Topic.RECEIPTS_CHECKED)
        return (
            True
            if sum(dict(r.headers)["ce_id"].decode() == event_id for r in records) == 3
            else None
        )

    await eventually(third_copy_read, what="the second re-drive")
    again = await cycles.get(url)
    assert again.content == first.content
    assert again.json()["version"] == 1


async def test_an_event_kafka_refuses_for_good_is_set_aside_and_later_events_flow(
    stack: Stack, department: Department, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> None:
    # A FormSubmitted over Kafka's size limit, written to intake's outbox as if intake had
    # let it through (it refuses such submissions now), ahead of a filing of the same
    # obligation's neighbour.
    stuck_id = department.obligation_id("filer-b")
    too_large = submissions_pb2.FormSubmitted(
        obligation=types_pb2.ObligationRef(obligation_id=stuck_id, department_id=department.id),
        submission_id=str(uuid.uuid4()),
        version=1,
        answers={"notes": "x" * 1_200_000},
    )
    engine = create_engine(stack.config.process_env("intake")["CABINET_DATABASE_URL"])
    try:
        async with session_factory(engine).begin() as session:
            add_to_outbox(
                session,
                Event(payload=too_large, key=stuck_id, source=owner_source(Topic.FORM_SUBMITTED)),
            )
    finally:
        await engine.dispose()

    flowing_id = department.obligation_id("filer-c")
    after = await submit(
        intake,
        department.id,
        flowing_id,
        [receipt_line(department.day(4), 555)],
        [unique_file("after a refused event")],
    )
    assert after.status_code == 202
    await obligation_in_status(cycles, department.id, flowing_id, "accepted")

    async def notice() -> list[str] | None:
        listed = cabinet_dlq(stack, "list", "--topic", Topic.FORM_SUBMITTED.dead_letter)
        rows = [line.split("\t") for line in listed.splitlines()]
        found = [
            row[0]
            for row in rows
            if stuck_id in cabinet_dlq(stack, "show", row[0]) and row[2] == "set aside"
        ]
        return found or None

    [ref] = await eventually(notice, what="the notice of the set-aside row")
    shown = cabinet_dlq(stack, "show", ref)
    assert "set aside by the outbox of cabinet-intake" in shown
    assert "MessageSizeTooLargeError" in shown
    refused = await asyncio.to_thread(run_dlq, stack, "redrive", ref)
    assert refused.returncode == 2
    assert "not re-drivable" in refused.stderr
