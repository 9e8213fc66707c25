"""Partial acceptance and targeted return on the real stack: one receipt of two is
returned, the resubmission keeps the good one (by id, without sending it again) and
replaces only the returned one, and version 2 is accepted and acknowledged; the diff of the
two versions says what was kept, removed (and why it had been returned) and added."""

import json
import uuid
from typing import Any

import httpx

from cabinet_devstack.stack import Stack
from tests.integration.conftest import Department
from tests.integration.helpers import (
    VAT_ANSWERS,
    eventually,
    obligation_in_status,
    receipt_line,
    submit,
    unique_file,
)


async def resubmit(
    intake: httpx.AsyncClient,
    department_id: str,
    obligation_id: str,
    body: dict[str, Any],
    files: list[bytes],
    key: str | None = None,
) -> httpx.Response:
    return await intake.post(
        f"/departments/{department_id}/obligations/{obligation_id}/submissions",
        data={"submission": json.dumps(body)},
        files=[("receipts", (f"new-{i}.pdf", f, "application/pdf")) for i, f in enumerate(files)],
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


async def test_the_resubmission_replaces_only_the_returned_receipt_and_is_accepted(
    stack: Stack, department: Department, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> None:
    obligation_id = department.obligation_id("filer-a")
    first = await submit(
        intake,
        department.id,
        obligation_id,
        [receipt_line(department.day(1), 1000), receipt_line(department.day_after, 500, "Rail")],
        [unique_file("kept"), unique_file("dated after the quarter")],
    )
    assert first.status_code == 202, first.text
    submission_id = first.json()["submission_id"]
    good, bad = first.json()["receipt_ids"]
    await obligation_in_status(cycles, department.id, obligation_id, "returned")

    # Intake learns from SubmissionReturned which receipt was returned, and why.
    submission_url = f"/departments/{department.id}/submissions/{submission_id}"

    async def return_known() -> dict[str, Any] | None:
        body: dict[str, Any] = (await intake.get(submission_url)).json()
        return body if body["versions"][0]["returned"] else None

    known = await eventually(return_known, what="intake to know of the return")
    version_1 = known["versions"][0]
    assert [(r["receipt_id"], r["returned"]) for r in version_1["receipts"]] == [
        (good, False),
        (bad, True),
    ]
    # Dated after the quarter, which has not ended yet: also after the day it was sent.
    reasons = {r["code"]: r["message"] for r in version_1["receipts"][1]["return_reasons"]}
    assert set(reasons) == {"DATE_OUTSIDE_PERIOD", "FUTURE_DATE"}
    assert "outside the period" in reasons["DATE_OUTSIDE_PERIOD"]

    # Keeping the returned receipt is refused, naming it.
    refused = await resubmit(
        intake,
        department.id,
        obligation_id,
        {"answers": VAT_ANSWERS, "declared_total_pence": 1500, "keep_receipt_ids": [good, bad]},
        [],
    )
    assert refused.status_code == 422, refused.text
    assert [(e["receipt_id"], e["code"]) for e in refused.json()["errors"]] == [
        (bad, "RECEIPT_RETURNED")
    ]
    assert f"You cannot keep receipt {bad} (Rail, £5.00" in refused.json()["detail"]

    # Keep the good one; send only the replacement (and a corrected answer).
    answers = {**VAT_ANSWERS, "box7": "600"}
    body = {
        "answers": answers,
        "declared_total_pence": 1450,
        "receipts": [receipt_line(department.latest_day, 450, "Rail")],
        "keep_receipt_ids": [good],
    }
    replacement = unique_file("replacement")
    second = await resubmit(
        intake, department.id, obligation_id, body, [replacement], key="targeted-2"
    )
    assert second.status_code == 202, second.text
    accepted = second.json()
    assert accepted["submission_id"] == submission_id and accepted["version"] == 2
    assert accepted["receipt_ids"][0] == good
    new = accepted["receipt_ids"][1]
    again = await resubmit(
        intake, department.id, obligation_id, body, [replacement], key="targeted-2"
    )
    assert again.status_code == 202 and again.json() == accepted
    assert again.headers["Idempotent-Replayed"] == "true"

    await obligation_in_status(cycles, department.id, obligation_id, "accepted")
    ack = (
        await cycles.get(
            f"/departments/{department.id}/obligations/{obligation_id}/acknowledgement"
        )
    ).json()
    assert ack["version"] == 2
    assert ack["submission_sha256"] == accepted["submission_sha256"]

    # The receipts service checked the whole of version 2: the kept file is its own, not a
    # duplicate of itself.
    async with httpx.AsyncClient(
        base_url=stack.config.url("receipts"), headers=stack.config.machine_auth()
    ) as receipts:
        checks = (
            await receipts.get(
                f"/departments/{department.id}/submissions/{submission_id}/versions/2/checks"
            )
        ).json()
    assert [(r["receipt_id"], r["accepted"]) for r in checks["receipts"]] == [
        (good, True),
        (new, True),
    ]
    assert not any(r["reasons"] or r["flags"] for r in checks["receipts"])

    diff = await intake.get(f"{submission_url}/diff", params={"from": 1, "to": 2})
    assert diff.status_code == 200, diff.text
    result = diff.json()
    assert result["changed"] == [
        {"field": "box7", "before": "500", "after": "600"},
        {"field": "declared_total_pence", "before": 1500, "after": 1450},
    ]
    assert [r["receipt_id"] for r in result["kept"]] == [good]
    [removed] = result["removed"]
    assert removed["receipt_id"] == bad and removed["returned"]
    assert {r["code"] for r in removed["return_reasons"]} == set(reasons)
    [added] = result["added"]
    assert (added["receipt_id"], added["date"], added["amount_pence"], added["payee"]) == (
        new,
        department.latest_day,
        450,
        "Rail",
    )
    kept_before = version_1["receipts"][0]
    assert result["kept"][0]["file_sha256"] == kept_before["file_sha256"]

    unknown = await intake.get(f"{submission_url}/diff", params={"from": 1, "to": 3})
    assert unknown.status_code == 404
