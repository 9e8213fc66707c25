"""The receipt cases of the unit table, on the real stack: each filed by its own filer of one
department through intake, checked by the receipts service off Kafka, and asserted by the
exact codes the receipts service published for it."""

import asyncio
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import pytest

from cabinet_devstack.demo import seed_department
from cabinet_devstack.stack import Stack
from tests.integration.helpers import eventually, receipt_line, submit, unique_file

QUARTER = "2026-Q3"  # 1 July to 30 September 2026: every date in it is in the past


@dataclass(frozen=True)
class Case:
    name: str
    lines: list[dict[str, Any]]
    declared_pence: int | None = None
    receipt_codes: tuple[tuple[str, ...], ...] = ()
    submission_codes: tuple[str, ...] = ()


CASES = [
    Case(
        "first and last day of the period",
        [receipt_line("2026-07-01", 1000), receipt_line("2026-09-30", 250)],
        receipt_codes=((), ()),
    ),
    Case(
        "the day before and the day after the period",
        [receipt_line("2026-06-30", 1000), receipt_line("2026-10-01", 250)],
        receipt_codes=(("DATE_OUTSIDE_PERIOD",), ("DATE_OUTSIDE_PERIOD",)),
    ),
    Case(
        "declared total 1p more than the receipts",
        [receipt_line("2026-08-01", 1000), receipt_line("2026-08-02", 1)],
        declared_pence=1002,
        receipt_codes=((), ()),
        submission_codes=("TOTAL_MISMATCH",),
    ),
    Case(
        "a currency the form type does not accept",
        [{**receipt_line("2026-08-03", 1500), "currency": "USD"}],
        receipt_codes=(("CURRENCY_NOT_ACCEPTED",),),
    ),
    Case(
        "a receipt of no money",
        [receipt_line("2026-08-04", 0)],
        receipt_codes=(("INVALID_AMOUNT",),),
    ),
]


@dataclass(frozen=True)
class Filed:
    department_id: str
    obligation_of_case: dict[str, str]


@pytest.fixture
def filed(stack: Stack) -> Filed:
    """One filer per case in a fresh department with the quarter open."""
    department_id = f"cases-{uuid.uuid4().hex[:8]}"
    filers = {f"filer-{n}": case.name for n, case in enumerate(CASES)}
    obligations = seed_department(
        stack.config.url("cycles"),
        stack.config.url("intake"),
        department_id,
        "vat-return",
        filers,
        QUARTER,
        stack.config.machine_auth(),
    )
    return Filed(department_id, {filers[o["filer_id"]]: o["obligation_id"] for o in obligations})


async def test_each_receipt_case_gets_exactly_its_codes(
    stack: Stack, filed: Filed, intake: httpx.AsyncClient
) -> None:
    department_id = filed.department_id

    async def file(case: Case) -> dict[str, Any]:
        response = await submit(
            intake,
            department_id,
            filed.obligation_of_case[case.name],
            case.lines,
            [unique_file(case.name) for _ in case.lines],
            declared_total_pence=case.declared_pence,
        )
        assert response.status_code == 202, (case.name, response.text)
        submission: dict[str, Any] = response.json()
        return submission

    submissions = await asyncio.gather(*(file(case) for case in CASES))
    async with httpx.AsyncClient(
        base_url=stack.config.url("receipts"), timeout=30, headers=stack.config.machine_auth()
    ) as receipts:
        for case, submission in zip(CASES, submissions, strict=True):
            checks = await eventually(
                partial(_checks, receipts, department_id, submission["submission_id"]),
                what=f"the checks of {case.name!r}",
            )
            got_receipts = tuple(
                tuple(r["code"] for r in receipt["reasons"]) for receipt in checks["receipts"]
            )
            got_submission = tuple(r["code"] for r in checks["submission_reasons"])
            assert (got_receipts, got_submission) == (
                case.receipt_codes,
                case.submission_codes,
            ), case.name


async def _checks(
    receipts: httpx.AsyncClient, department_id: str, submission_id: str
) -> dict[str, Any] | None:
    response = await receipts.get(
        f"/departments/{department_id}/submissions/{submission_id}/versions/1/checks"
    )
    if response.status_code != 200:
        return None
    body: dict[str, Any] = response.json()
    return body
