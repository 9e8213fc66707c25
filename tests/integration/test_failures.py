"""Bad input gets a clear error and loses nothing; a poison message goes to its dead-letter
topic and the consumer carries on; crashed processes resume where they stopped."""

import json
import uuid

import httpx
from aiokafka import AIOKafkaProducer

from cabinet_common.events import Topic
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


async def test_bad_requests_are_refused_with_a_clear_error(
    department: Department, intake: httpx.AsyncClient
) -> None:
    obligation_id = department.obligation_id("filer-a")
    url = f"/departments/{department.id}/obligations/{obligation_id}/submissions"
    lines, files = [receipt_line(department.day(0), 100)], [unique_file("bad requests")]

    # Every refusal is a problem document with a stable code and what it concerns.
    no_key = await intake.post(url, data={"submission": json.dumps({"declared_total_pence": 0})})
    assert no_key.status_code == 422
    assert no_key.headers["content-type"] == "application/problem+json"
    assert no_key.json()["errors"] == [
        {
            "code": "REQUIRED",
            "field": "idempotency-key",
            "detail": "idempotency-key: Field required",
        }
    ]

    not_json = await intake.post(url, data={"submission": "{"}, headers={"Idempotency-Key": "k1"})
    assert not_json.status_code == 422
    assert not_json.json()["errors"][0]["code"] == "INVALID_JSON"

    negative = {"declared_total_pence": 0, "receipts": [{**lines[0], "amount_pence": -100}]}
    refused = await intake.post(
        url, data={"submission": json.dumps(negative)}, headers={"Idempotency-Key": "k3"}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "code": "NEGATIVE",
            "field": "receipts.0.amount_pence",
            "detail": "receipts.0.amount_pence: must be 0 or more, not negative",
        }
    ]

    # What was sent is never echoed back: a 500 kB payee gives a short answer.
    huge = {"declared_total_pence": 0, "receipts": [{**lines[0], "payee": "x" * 500_000}]}
    too_long = await intake.post(
        url, data={"submission": json.dumps(huge)}, headers={"Idempotency-Key": "k4"}
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["code"] == "TOO_LONG"
    assert len(too_long.content) < 1000

    float_money = await intake.post(
        url,
        data={"submission": json.dumps({"declared_total_pence": 12.5, "receipts": []})},
        headers={"Idempotency-Key": "k2"},
    )
    assert float_money.status_code == 422

    missing_file = await submit(intake, department.id, obligation_id, lines, [])
    assert missing_file.status_code == 422
    assert "one file per receipt line" in missing_file.json()["detail"]

    empty_file = await submit(intake, department.id, obligation_id, lines, [b""])
    assert empty_file.status_code == 422
    assert "is empty" in empty_file.json()["detail"]

    elsewhere = await submit(intake, "another-department", obligation_id, lines, files)
    assert elsewhere.status_code == 404

    # None of the refused requests made a submission; a good one is still version 1.
    good = await submit(intake, department.id, obligation_id, lines, files)
    assert good.status_code == 202
    assert good.json()["version"] == 1


async def test_a_poison_message_goes_to_the_dead_letter_topic_and_consumers_carry_on(
    stack: Stack, department: Department, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> None:
    marker = uuid.uuid4().hex.encode()
    producer = AIOKafkaProducer(**kafka.options_for(stack.config.kafka_bootstrap))
    await producer.start()
    try:
        await producer.send_and_wait(
            Topic.FORM_SUBMITTED, key=marker, value=b"not a protobuf", headers=[("x", b"y")]
        )
        await producer.send_and_wait(
            Topic.RECEIPTS_CHECKED,
            key=marker,
            value=b"\xff\xff\xff",
            headers=[
                ("ce_id", marker),
                ("ce_source", b"/test"),
                ("ce_type", b"cabinet.receipts.v1.ReceiptsChecked"),
                ("ce_specversion", b"1.0"),
                ("content-type", b"application/protobuf"),
            ],
        )
    finally:
        await producer.stop()

    async def dead_letters() -> list[tuple[str, str, str]] | None:
        found = [
            (
                topic.dead_letter,
                dict(r.headers)["dlq_consumer"].decode(),
                dict(r.headers)["dlq_reason"].decode(),
            )
            for topic in (Topic.FORM_SUBMITTED, Topic.RECEIPTS_CHECKED)
            for r in await read_topic(stack.config.kafka_bootstrap, topic.dead_letter)
            if r.key == marker
        ]
        # Each topic has two consumer groups: form.submitted receipts and cycles,
        # receipts.checked cycles and intake.
        return found if len(found) == 4 else None

    letters = await eventually(dead_letters, what="four dead letters")
    assert {(topic, consumer) for topic, consumer, _ in letters} == {
        ("form.submitted.v1.dlq", "cabinet-receipts"),
        ("form.submitted.v1.dlq", "cabinet-cycles"),
        ("receipts.checked.v1.dlq", "cabinet-cycles"),
        ("receipts.checked.v1.dlq", "cabinet-intake"),
    }
    assert all(reason.startswith("invalid event") for _, _, reason in letters)

    obligation_id = department.obligation_id("filer-b")
    after = await submit(
        intake,
        department.id,
        obligation_id,
        [receipt_line(department.day(2), 700)],
        [unique_file("after poison")],
    )
    assert after.status_code == 202
    await obligation_in_status(cycles, department.id, obligation_id, "accepted")


async def test_a_submission_made_while_checker_and_worker_are_down_is_acknowledged_once_they_return(
    stack: Stack, department: Department, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> None:
    obligation_id = department.obligation_id("filer-c")
    stack.stop_app("receipts")
    stack.stop_app("worker")
    try:
        response = await submit(
            intake,
            department.id,
            obligation_id,
            [receipt_line(department.day(37), 321)],
            [unique_file("outage")],
        )
        assert response.status_code == 202

        # Cycles has passed it on (its workflow will see it when the worker is back).
        async def passed_on() -> str | None:
            url = f"/departments/{department.id}/obligations/{obligation_id}"
            submission_id: str | None = (await cycles.get(url)).json()["submission_id"]
            return submission_id

        assert await eventually(passed_on, what="the submission reaching cycles")
    finally:
        stack.start_app("receipts")
        stack.start_app("worker")
        stack.wait_ready("receipts")
    await obligation_in_status(cycles, department.id, obligation_id, "accepted")
    acknowledgement = await cycles.get(
        f"/departments/{department.id}/obligations/{obligation_id}/acknowledgement"
    )
    assert acknowledgement.json()["version"] == 1


async def test_a_filing_made_while_temporal_is_down_waits_and_is_acknowledged_when_it_returns(
    stack: Stack, department: Department, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> None:
    """Temporal being away is a wait, never poison: the cycles consumer holds the partition
    and retries (each attempt is itself several seconds of the SDK's own retries), says so
    in /readyz, and delivers the filing when Temporal is back."""
    obligation_id = department.obligation_id("filer-a")
    stack.stop_app("temporal")
    try:
        response = await submit(
            intake,
            department.id,
            obligation_id,
            [receipt_line(department.day(3), 450)],
            [unique_file("temporal outage")],
        )
        assert response.status_code == 202

        async def retried_often() -> list[dict[str, object]] | None:
            ready = (await cycles.get("/readyz")).json()
            waiting: list[dict[str, object]] = ready.get("waiting", [])
            return waiting if any(int(str(w.get("attempts", 0))) >= 3 for w in waiting) else None

        waiting = await eventually(
            retried_often, timeout_s=120, what="cycles to report its retries"
        )
        assert any("RPCError" in str(w["error"]) for w in waiting)
    finally:
        stack.start_temporal()
    await obligation_in_status(cycles, department.id, obligation_id, "accepted")
    acknowledgement = await cycles.get(
        f"/departments/{department.id}/obligations/{obligation_id}/acknowledgement"
    )
    assert acknowledgement.json()["version"] == 1
    for topic in (Topic.FORM_SUBMITTED, Topic.RECEIPTS_CHECKED):
        letters = await read_topic(stack.config.kafka_bootstrap, topic.dead_letter)
        assert [r for r in letters if r.key == obligation_id.encode()] == []
