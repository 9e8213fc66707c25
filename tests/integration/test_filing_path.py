"""One quarter's filings end to end, through the services' HTTP APIs, real Kafka and the
real Temporal dev server: accepted, returned then resubmitted, sent twice, and duplicates."""

import asyncio
import re

import httpx
from temporalio.client import Client

from cabinet_common.events import Topic, from_kafka
from cabinet_common.temporal import connect
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


async def test_a_valid_return_is_acknowledged_once_with_the_same_document_every_fetch(
    stack: Stack, department: Department, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> None:
    obligation_id = department.obligation_id("filer-a")
    response = await submit(
        intake,
        department.id,
        obligation_id,
        [receipt_line(department.day(0), 1250), receipt_line(department.latest_day, 899, "Rail")],
        [unique_file("first day"), unique_file("last day")],
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["version"] == 1

    obligation = await obligation_in_status(cycles, department.id, obligation_id, "accepted")
    assert [h["status"] for h in obligation["history"]] == [
        "open",
        "submitted",
        "checking",
        "accepted",
    ]

    ack_url = f"/departments/{department.id}/obligations/{obligation_id}/acknowledgement"
    first, second = (await cycles.get(ack_url)), (await cycles.get(ack_url))
    assert first.status_code == 200
    assert first.content == second.content
    document = first.json()
    assert re.fullmatch(r"\d{12}", document["reference"])
    assert document["submission_sha256"] == accepted["submission_sha256"]
    assert document["submission_id"] == accepted["submission_id"]
    assert document["obligation"]["obligation_id"] == obligation_id

    intake_view = (
        await intake.get(f"/departments/{department.id}/obligations/{obligation_id}")
    ).json()
    assert intake_view["current_version"] == 1


async def test_a_wrong_return_is_sent_back_with_reasons_and_the_resubmission_is_accepted(
    stack: Stack, department: Department, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> None:
    obligation_id = department.obligation_id("filer-b")
    good_file = unique_file("good")
    first = await submit(
        intake,
        department.id,
        obligation_id,
        [receipt_line(department.day(39), 1000), receipt_line(department.day_after, 500)],
        [good_file, unique_file("dated after the quarter")],
        declared_total_pence=1501,
    )
    assert first.status_code == 202, first.text
    returned = await obligation_in_status(cycles, department.id, obligation_id, "returned")
    detail = returned["history"][-1]["detail"]
    assert "does not match the receipts" in detail
    assert "outside the period" in detail

    checks = await httpx.AsyncClient(
        base_url=stack.config.url("receipts"), headers=stack.config.machine_auth()
    ).get(
        f"/departments/{department.id}/submissions/{first.json()['submission_id']}/versions/1/checks"
    )
    result = checks.json()
    assert [r.get("accepted", False) for r in result["receipts"]] == [True, False]
    assert result["receipts"][1]["reasons"][0]["code"] == "DATE_OUTSIDE_PERIOD"
    assert result["submission_reasons"][0]["code"] == "TOTAL_MISMATCH"

    second = await submit(
        intake,
        department.id,
        obligation_id,
        [receipt_line(department.day(39), 1000), receipt_line(department.latest_day, 500)],
        [good_file, unique_file("dated inside the quarter")],
    )
    assert second.status_code == 202, second.text
    assert second.json()["submission_id"] == first.json()["submission_id"]
    assert second.json()["version"] == 2
    await obligation_in_status(cycles, department.id, obligation_id, "accepted")
    ack = await cycles.get(
        f"/departments/{department.id}/obligations/{obligation_id}/acknowledgement"
    )
    assert ack.json()["version"] == 2


async def test_the_same_submission_sent_twice_makes_one_submission_and_one_acknowledgement(
    stack: Stack, department: Department, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> None:
    obligation_id = department.obligation_id("filer-c")
    lines, files = [receipt_line(department.day(14), 4200)], [unique_file("sent twice")]
    responses = await asyncio.gather(
        *(
            submit(intake, department.id, obligation_id, lines, files, key="same-key")
            for _ in range(3)
        )
    )
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["submission_id"] for r in responses}) == 1
    assert {r.json()["version"] for r in responses} == {1}
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 2

    different = await submit(
        intake,
        department.id,
        obligation_id,
        [receipt_line(department.day(14), 4201)],
        files,
        key="same-key",
    )
    assert different.status_code == 409
    assert "already used for a different submission" in different.json()["detail"]

    await obligation_in_status(cycles, department.id, obligation_id, "accepted")
    submission = (
        await intake.get(
            f"/departments/{department.id}/submissions/{responses[0].json()['submission_id']}"
        )
    ).json()
    assert [v["version"] for v in submission["versions"]] == [1]

    acknowledgements = [
        event
        for event in (
            from_kafka(r.key, r.value, list(r.headers))
            for r in await read_topic(stack.config.kafka_bootstrap, Topic.ACKNOWLEDGEMENT_ISSUED)
        )
        if event.key == obligation_id
    ]
    assert len({event.id for event in acknowledgements}) == 1

    after_acceptance = await submit(
        intake, department.id, obligation_id, lines, [unique_file("late")]
    )
    assert after_acceptance.status_code == 409
    assert "already accepted" in after_acceptance.json()["detail"]


async def test_a_receipt_already_filed_by_another_filer_is_returned_as_duplicate(
    department: Department, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> None:
    shared_file = unique_file("filed twice")
    first = department.obligation_id("filer-a")
    second = department.obligation_id("filer-b")
    assert (
        await submit(
            intake, department.id, first, [receipt_line(department.day(1), 100)], [shared_file]
        )
    ).status_code == 202
    await obligation_in_status(cycles, department.id, first, "accepted")
    assert (
        await submit(
            intake, department.id, second, [receipt_line(department.day(1), 100)], [shared_file]
        )
    ).status_code == 202
    returned = await obligation_in_status(cycles, department.id, second, "returned")
    detail = returned["history"][-1]["detail"]
    assert "This receipt's file has been sent before" in detail
    assert "department" not in detail and "filer" not in detail


async def test_opening_a_period_twice_starts_no_second_cycle(
    stack: Stack, department: Department, cycles: httpx.AsyncClient
) -> None:
    again = await cycles.post(
        f"/departments/{department.id}/form-types/vat-return/periods",
        json={"period_key": department.period.key},
    )
    assert again.status_code == 200

    client: Client = await connect(stack.config.temporal_settings())
    query = (
        f'CabinetDepartment = "{department.id}" AND CabinetPeriodKey = "{department.period.key}"'
    )

    async def three_workflows() -> int | None:
        count = (await client.count_workflows(query)).count
        return count if count == 3 else None

    assert await eventually(three_workflows, what="three workflows visible") == 3
    await asyncio.sleep(1)
    assert (await client.count_workflows(query)).count == 3
