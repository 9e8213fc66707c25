"""Reading receipts on the real stack: a form type that reads receipts, a receipt photo
filed through intake, read by the receipts service in its bounded pool off Kafka. A line
the photo bears out is accepted; one with the wrong amount typed is held for a caseworker
with AMOUNT_NOT_ON_RECEIPT and the photo's reading beside it, never returned."""

import uuid
from datetime import date
from typing import Any

import httpx
import yaml

from cabinet_devstack.demo import VAT_RETURN_DEFINITION, seed_department
from cabinet_devstack.stack import Stack
from tests.integration.helpers import eventually, obligation_in_status, submit
from tests.receipt_corpus import make_corpus

QUARTER = "2026-Q3"


def reading_vat_return() -> bytes:
    definition = yaml.safe_load(VAT_RETURN_DEFINITION.read_text())
    definition["receipt_checks"] = {"reading": {}}
    return yaml.safe_dump(definition).encode()


async def test_a_typed_line_is_checked_against_what_its_receipt_says(
    stack: Stack, intake: httpx.AsyncClient, cycles: httpx.AsyncClient
) -> None:
    department_id = f"read-{uuid.uuid4().hex[:8]}"
    obligations = seed_department(
        stack.config.url("cycles"),
        stack.config.url("intake"),
        department_id,
        "vat-return",
        {"genuine": "Genuine", "mistyped": "Mistyped"},
        QUARTER,
        stack.config.machine_auth(),
        definition_yaml=reading_vat_return(),
    )
    obligation = {o["filer_id"]: o["obligation_id"] for o in obligations}
    [photo, till] = [
        s
        for s in make_corpus(24, seed=5, mismatched_share=0)
        if s.kind in ("photo", "till") and date(2026, 7, 1) <= s.date <= date(2026, 9, 30)
    ][:2]

    def line(sample_typed_pence: int, sample_date: date, payee: str) -> dict[str, object]:
        return {
            "date": sample_date.isoformat(),
            "amount_pence": sample_typed_pence,
            "currency": "GBP",
            "payee": payee,
            "category": "office",
        }

    genuine = await submit(
        intake,
        department_id,
        obligation["genuine"],
        [line(photo.typed_pence, photo.date, photo.payee)],
        [photo.content],
    )
    assert genuine.status_code == 202, genuine.text
    mistyped = await submit(
        intake,
        department_id,
        obligation["mistyped"],
        [line(till.typed_pence * 10, till.date, till.payee)],
        [till.content],
    )
    assert mistyped.status_code == 202, mistyped.text

    # Reading takes seconds per receipt, more on a loaded machine.
    await obligation_in_status(
        cycles, department_id, obligation["genuine"], "accepted", timeout_s=240
    )
    held = await obligation_in_status(
        cycles, department_id, obligation["mistyped"], "checking", timeout_s=240
    )
    assert held["status"] == "checking"

    async with httpx.AsyncClient(
        base_url=stack.config.url("receipts"), timeout=10, headers=stack.config.machine_auth()
    ) as receipts:
        base = f"/departments/{department_id}"

        async def checks_of(response: httpx.Response) -> dict[str, Any] | None:
            got = await receipts.get(
                f"{base}/submissions/{response.json()['submission_id']}/versions/1/checks"
            )
            body: dict[str, Any] = got.json()
            return body if got.status_code == 200 else None

        flagged = await eventually(
            lambda: checks_of(mistyped), timeout_s=240, what="the mistyped check"
        )
        [check] = flagged["receipts"]
        assert check["accepted"] is True  # a flag, not a return
        assert [f["code"] for f in check["flags"]] == ["AMOUNT_NOT_ON_RECEIPT"]
        assert check["reading"]["claimed_pence"] == till.total_pence
        assert check["reading"]["method"] == "ocr"

        passed = await eventually(lambda: checks_of(genuine), what="the genuine check")
        [good] = passed["receipts"]
        assert good.get("flags", []) == [] and good["reading"]["readable"] is True

        receipt_id = mistyped.json()["receipt_ids"][0]
        reading = (await receipts.get(f"{base}/receipts/{receipt_id}/reading?q=total")).json()
        assert any("TOTAL" in match["text"].upper() for match in reading["matches"])
